import { beforeAll, beforeEach, expect, it } from "vitest";
import { readCorpus } from "../../src/store/corpus-reader.js";
import type { Db } from "../../src/store/db.js";
import { StoreError } from "../../src/store/errors.js";
import { migrateUp } from "../../src/store/migrator.js";
import { loadSyntheticOutcomes, type SyntheticOutcomeInput } from "../../src/store/synthetic-loader.js";
import { describeOnBackends, secondSession, useFreshDatabase } from "./backends.js";

/** A small deterministic generator run: row i of seed s. */
function syntheticRun(seed: number, n: number, first = 0): SyntheticOutcomeInput[] {
  return Array.from({ length: n }, (_, k) => {
    const i = first + k;
    return {
      createdAt: new Date(Date.UTC(2024, 0, 1) + i * 60_000),
      agentId: `agent-${i % 3}`,
      cell: `cell-${(seed + i) % 4}`,
      model: `model-${i % 5}`,
      features: Float64Array.from([1, Math.sin(seed + i), Math.cos(i) / 3, i * 1e-6]),
      propensity: 1 / (1 + (i % 5)),
      completed: i % 7 !== 0,
      hallucinated: i % 11 === 0,
      refused: false,
      judgeScore: i % 2 === 0 ? null : (i % 10) / 10,
      judgeModel: i % 2 === 0 ? null : "judge-v1",
      reward: i % 2 === 0 ? null : Math.cos(seed * i),
      policyVersion: null,
      source: "synthetic_coldstart_v1",
      synthetic: true,
      seed,
      affinityVersion: "affinity-v1",
      difficulty: (i % 10) / 9,
    };
  });
}

async function count(db: Db, table: string): Promise<number> {
  const result = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return (result.rows[0] as { n: number }).n;
}

describeOnBackends("synthetic loader", (backend) => {
  const database = useFreshDatabase(backend);

  beforeAll(async () => {
    await migrateUp(database.db);
  });
  beforeEach(async () => {
    await database.db.exec("TRUNCATE routing_outcomes, routing_outcomes_synthetic RESTART IDENTITY");
  });

  it("writes every row to routing_outcomes_synthetic, exactly as given, and nothing to routing_outcomes", async () => {
    const { db } = database;
    const rows = syntheticRun(42, 2500);
    const result = await loadSyntheticOutcomes(db, rows, { batchSize: 700 });
    expect(result).toEqual({ inserted: 2500, skipped: 0 });
    expect(await count(db, "routing_outcomes_synthetic")).toBe(2500);
    expect(await count(db, "routing_outcomes")).toBe(0);

    const stored = await db.query<Record<string, unknown>>(
      `SELECT created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused, judge_score, judge_model, reward,
              policy_version, source, synthetic, seed, seq, affinity_version, difficulty
       FROM routing_outcomes_synthetic ORDER BY seq`,
    );
    expect(stored.rows).toHaveLength(2500);
    stored.rows.forEach((row, i) => {
      const input = rows[i] as SyntheticOutcomeInput;
      expect(row).toEqual({
        created_at: input.createdAt,
        agent_id: input.agentId,
        cell: input.cell,
        model: input.model,
        features: Array.from(input.features), // bit-exact round trip of every double
        propensity: input.propensity,
        completed: input.completed,
        hallucinated: input.hallucinated,
        refused: input.refused,
        judge_score: input.judgeScore,
        judge_model: input.judgeModel,
        reward: input.reward,
        policy_version: input.policyVersion,
        source: input.source,
        synthetic: true,
        seed: 42,
        seq: i,
        affinity_version: input.affinityVersion,
        difficulty: input.difficulty,
      });
    });
  });

  it("is idempotent for a (seed, n): loading again writes nothing, a longer run adds only the new rows", async () => {
    const { db } = database;
    expect(await loadSyntheticOutcomes(db, syntheticRun(7, 300))).toEqual({ inserted: 300, skipped: 0 });
    expect(await loadSyntheticOutcomes(db, syntheticRun(7, 300))).toEqual({ inserted: 0, skipped: 300 });
    expect(await loadSyntheticOutcomes(db, syntheticRun(7, 500))).toEqual({ inserted: 200, skipped: 300 });
    // Another seed is another run.
    expect(await loadSyntheticOutcomes(db, syntheticRun(8, 300))).toEqual({ inserted: 300, skipped: 0 });
    // Appending a slice of a run at its position.
    expect(await loadSyntheticOutcomes(db, syntheticRun(8, 100, 300), { firstSeq: 300 })).toEqual({
      inserted: 100,
      skipped: 0,
    });
    const perSeed = await db.query<{ seed: number; n: number; max_seq: number }>(
      "SELECT seed, count(*)::int AS n, max(seq) AS max_seq FROM routing_outcomes_synthetic GROUP BY seed ORDER BY seed",
    );
    expect(perSeed.rows).toEqual([
      { seed: 7, n: 500, max_seq: 499 },
      { seed: 8, n: 400, max_seq: 399 },
    ]);
    expect(await count(db, "routing_outcomes")).toBe(0);
  });

  it("loads rows the corpus reader then reads back, judged ones only", async () => {
    const { db } = database;
    const rows = syntheticRun(3, 101);
    await loadSyntheticOutcomes(db, rows);
    const reader = readCorpus(db, { table: "routing_outcomes_synthetic", dimension: 4, chunkSize: 16 });
    const rewards: number[] = [];
    const contexts: number[] = [];
    for await (const chunk of reader) {
      rewards.push(...chunk.rewards);
      contexts.push(...chunk.contexts);
    }
    const judged = rows.filter((row) => row.reward !== null);
    expect(rewards).toEqual(judged.map((row) => row.reward));
    expect(contexts).toEqual(judged.flatMap((row) => Array.from(row.features)));
    expect(reader.totals).toMatchObject({ accepted: 50, unjudged: 51, rejected: 0 });
  });

  it("refreshes the planner's statistics after a load, so that keyset pages are planned on the real row count", async () => {
    const { db } = database;
    // Without ANALYZE the planner keeps the estimates of an empty table (PGlite never runs
    // autovacuum), and each keyset page of a refit scanned every remaining row.
    await loadSyntheticOutcomes(db, syntheticRun(7, 3000), { batchSize: 1000 });
    const stats = await db.query<{ tuples: number }>(
      "SELECT reltuples::float8 AS tuples FROM pg_class WHERE relname = 'routing_outcomes_synthetic'",
    );
    expect(stats.rows[0]?.tuples).toBe(3000);
    await loadSyntheticOutcomes(db, syntheticRun(7, 4500), { batchSize: 1000 });
    const again = await db.query<{ tuples: number }>(
      "SELECT reltuples::float8 AS tuples FROM pg_class WHERE relname = 'routing_outcomes_synthetic'",
    );
    expect(again.rows[0]?.tuples).toBe(4500);
  });

  it("refuses production rows and invalid rows before writing anything, naming the row, field and value", async () => {
    const { db } = database;
    const good = syntheticRun(1, 5);
    const withRow = (index: number, patch: Record<string, unknown>) =>
      good.map((row, i) => (i === index ? { ...row, ...patch } : row)) as SyntheticOutcomeInput[];
    await expect(loadSyntheticOutcomes(db, withRow(3, { source: "prod" }))).rejects.toThrow(
      /rows\[3\]\.source must name a synthetic generator \(start with 'synthetic'\); received "prod"/,
    );
    await expect(loadSyntheticOutcomes(db, withRow(2, { source: "shadow" }))).rejects.toThrow(RangeError);
    await expect(loadSyntheticOutcomes(db, withRow(4, { propensity: 0 }))).rejects.toThrow(
      /rows\[4\]\.propensity must be in \(0, 1\]; received 0/,
    );
    await expect(loadSyntheticOutcomes(db, withRow(1, { features: [1, Number.NaN] }))).rejects.toThrow(
      /rows\[1\]\.features\[1\] must be a finite number; received NaN/,
    );
    await expect(loadSyntheticOutcomes(db, withRow(0, { features: [] }))).rejects.toThrow(
      /rows\[0\]\.features must not be empty/,
    );
    await expect(loadSyntheticOutcomes(db, withRow(0, { difficulty: 1.5 }))).rejects.toThrow(
      /rows\[0\]\.difficulty must be in \[0, 1\]; received 1.5/,
    );
    await expect(loadSyntheticOutcomes(db, withRow(0, { synthetic: false }))).rejects.toThrow(TypeError);
    await expect(loadSyntheticOutcomes(db, withRow(0, { reward: Number.POSITIVE_INFINITY }))).rejects.toThrow(
      /rows\[0\]\.reward must be a finite number or null; received Infinity/,
    );
    await expect(loadSyntheticOutcomes(db, withRow(0, { cell: "" }))).rejects.toThrow(
      /rows\[0\]\.cell must be a non-empty string; received ""/,
    );
    await expect(loadSyntheticOutcomes(db, withRow(0, { createdAt: new Date(Number.NaN) }))).rejects.toThrow(
      /rows\[0\]\.createdAt must be a valid Date/,
    );
    await expect(loadSyntheticOutcomes(db, "rows" as never)).rejects.toThrow(
      /rows must be an array of synthetic outcomes; received "rows"/,
    );
    await expect(loadSyntheticOutcomes(db, good, { firstSeq: -1 })).rejects.toThrow(
      /firstSeq must be a non-negative integer; received -1/,
    );
    await expect(loadSyntheticOutcomes(db, good, { batchSize: 0 })).rejects.toThrow(
      /batchSize must be an integer from 1 to 50000; received 0/,
    );
    expect(await count(db, "routing_outcomes_synthetic")).toBe(0);
    expect(await count(db, "routing_outcomes")).toBe(0);
  });

  it("leaves no rows when the load fails mid-way (after some batches were sent)", async () => {
    const { db } = database;
    const sent: number[] = [];
    const error = await loadSyntheticOutcomes(db, syntheticRun(5, 1000), {
      batchSize: 200,
      onProgress: (rows) => {
        sent.push(rows);
        if (rows === 600) throw new Error("interrupted by the test");
      },
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe("interrupted by the test");
    expect(sent).toEqual([200, 400, 600]);
    expect(await count(db, "routing_outcomes_synthetic")).toBe(0);
    // And the table is fine afterwards: the same run loads in full.
    expect(await loadSyntheticOutcomes(db, syntheticRun(5, 1000), { batchSize: 200 })).toEqual({
      inserted: 1000,
      skipped: 0,
    });
  });

  if (backend.name === "postgres") {
    it("leaves no rows when the connection breaks mid-load, and says so", async () => {
      const { db, fresh } = database;
      const error = await loadSyntheticOutcomes(db, syntheticRun(9, 1000), {
        batchSize: 250,
        onProgress: async (rows) => {
          if (rows !== 500) return;
          const killer = await secondSession(fresh.options);
          try {
            await killer.query(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
            );
          } finally {
            await killer.end();
          }
        },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: "CONNECTION" });
      expect(await count(db, "routing_outcomes_synthetic")).toBe(0);
    });
  }
});
