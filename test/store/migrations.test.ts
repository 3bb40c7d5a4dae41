import { describe, expect, it } from "vitest";
import { StoreError } from "../../src/store/errors.js";
import { migrations } from "../../src/store/migrations/index.js";
import type { Migration } from "../../src/store/migrations/index.js";
import { migrateDown, migrateUp, migrationStatus } from "../../src/store/migrator.js";
import { openDatabase } from "../../src/store/open-database.js";
import { validatePolicySnapshot } from "../../src/cadence/snapshot-check.js";
import { createLinUCB } from "../../src/engine/linucb.js";
import { promoteTrainingRun } from "../../src/store/promote.js";
import { retireSyntheticOutcomes } from "../../src/store/retire-synthetic.js";
import type { Db } from "../../src/store/db.js";
import type { DataLoss } from "../../src/store/down-data-loss.js";
import { loadSyntheticOutcomes, type SyntheticOutcomeInput } from "../../src/store/synthetic-loader.js";
import { readActivePolicy } from "../../src/store/policy-versions.js";
import { getTrainingRun, startTrainingRun } from "../../src/store/training-runs.js";
import { describeOnBackends, useFreshDatabase } from "./backends.js";
import { describeSchema } from "./schema.js";

/** A real (validating) policy snapshot, distinct per seed. */
async function tinySnapshot(seed: number): Promise<Uint8Array> {
  return (await createLinUCB({ dimension: 1, arms: ["m"], seed })).snapshot();
}

/** Tables of the schema, by the migration that creates them. */
const TABLES = [
  "active_policy",
  "judge_watermarks",
  "policy_versions",
  "refit_shard_results",
  "routing_decisions",
  "routing_outcomes",
  "routing_outcomes_synthetic",
  "training_runs",
];

async function userTables(db: { query: (sql: string) => Promise<{ rows: unknown[] }> }): Promise<string[]> {
  const result = await db.query(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations' ORDER BY 1",
  );
  return (result.rows as { table_name: string }[]).map((row) => row.table_name);
}

async function insertOutcome(
  db: { query: (sql: string, params?: unknown[]) => Promise<unknown> },
  extra: Record<string, unknown> = {},
): Promise<void> {
  const columns = {
    agent_id: "agent",
    cell: "code:hard",
    model: "m1",
    features: [1, 0.5],
    propensity: 0.5,
    completed: true,
    hallucinated: false,
    refused: false,
    ...extra,
  };
  const names = Object.keys(columns);
  await db.query(
    `INSERT INTO routing_outcomes (${names.join(", ")}) VALUES (${names.map((_, i) => `$${i + 1}`).join(", ")})`,
    Object.values(columns),
  );
}

/** A valid synthetic outcome (its position in the run comes from the load). */
function syntheticRow(difficulty: number): SyntheticOutcomeInput {
  return {
    agentId: "agent",
    cell: "cell-a",
    model: "m1",
    features: Float64Array.from([1, 0.5]),
    propensity: 0.5,
    completed: true,
    hallucinated: false,
    refused: false,
    judgeScore: null,
    judgeModel: null,
    reward: null,
    policyVersion: null,
    source: "synthetic_test_v1",
    synthetic: true,
    seed: 1,
    affinityVersion: "a1",
    difficulty: difficulty / 10,
  };
}

describeOnBackends("migrations", (backend) => {
  const database = useFreshDatabase(backend);

  it("applies every migration in order on an empty database, and reports it", async () => {
    const { db } = database;
    const before = await migrationStatus(db);
    expect(before.current).toBe(0);
    expect(before.migrations.every((m) => m.appliedAt === null)).toBe(true);

    const applied = await migrateUp(db);
    expect(applied.map((m) => m.version)).toEqual(migrations.map((m) => m.version));
    expect(await userTables(db)).toEqual(TABLES);

    const after = await migrationStatus(db);
    expect(after.current).toBe(migrations.length);
    expect(after.latest).toBe(migrations.length);
    expect(after.migrations.every((m) => m.appliedAt instanceof Date && m.unchanged)).toBe(true);
    expect(after.unknown).toEqual([]);
    // Nothing left to do: a second run applies nothing.
    expect(await migrateUp(db)).toEqual([]);
  });

  it("goes up → down (all) → up to an identical schema", async () => {
    const { db } = database;
    await migrateUp(db);
    const first = await describeSchema(db);
    expect(first.length).toBeGreaterThan(40);

    const reverted = await migrateDown(db, { to: 0 });
    expect(reverted.map((m) => m.version)).toEqual(migrations.map((m) => m.version).reverse());
    expect(await userTables(db)).toEqual([]);
    expect((await migrationStatus(db)).current).toBe(0);

    await migrateUp(db);
    expect(await describeSchema(db)).toEqual(first);
  });

  it("reverts one migration by default, and each step down and up again restores the same schema", async () => {
    const { db } = database;
    await migrateUp(db);
    const full = await describeSchema(db);
    for (let version = migrations.length; version >= 1; version--) {
      const reverted = await migrateDown(db);
      expect(reverted.map((m) => m.version)).toEqual([version]);
      expect((await migrationStatus(db)).current).toBe(version - 1);
    }
    for (let version = 1; version <= migrations.length; version++) {
      expect((await migrateUp(db, { to: version })).map((m) => m.version)).toEqual([version]);
    }
    expect(await describeSchema(db)).toEqual(full);
  });

  it("adds routing_outcomes.source as its own migration: existing rows backfill to 'prod'; down drops index, constraint and column", async () => {
    const { db } = database;
    await migrateDown(db, { to: 0 });
    await migrateUp(db, { to: 1 });
    await insertOutcome(db);
    await migrateUp(db, { to: 2 });
    const rows = await db.query<{ source: string }>("SELECT source FROM routing_outcomes");
    expect(rows.rows).toEqual([{ source: "prod" }]);
    const schemaAt2 = await describeSchema(db);
    expect(schemaAt2.some((line) => line.includes("routing_outcomes_source_check"))).toBe(true);
    expect(schemaAt2.some((line) => line.includes("routing_outcomes_source_idx"))).toBe(true);

    // Its down drops a column holding a value: refused unless forced.
    await expect(migrateDown(db, { to: 1 })).rejects.toMatchObject({
      code: "DATA_LOSS",
      message: expect.stringContaining("routing_outcomes.source: 1 value"),
    });
    await migrateDown(db, { to: 1, force: true });
    const schemaAt1 = await describeSchema(db);
    expect(schemaAt1.filter((line) => /\bsource\b/.test(line))).toEqual([]);
    // The row survived the round trip down.
    expect((await db.query("SELECT count(*)::int AS n FROM routing_outcomes")).rows).toEqual([{ n: 1 }]);
    await migrateUp(db);
  });

  /** Two promoted prod runs (so two policy versions, one active) and a few synthetic rows. */
  async function promotedPolicies(db: Db): Promise<number[]> {
    const runs: number[] = [];
    for (const byte of [1, 2]) {
      const run = await startTrainingRun(db, { cadence: "prod" });
      await promoteTrainingRun(db, {
        trainingRunId: run.id,
        snapshot: await tinySnapshot(byte),
        finish: { rowsRead: 10, rowsRejected: 0, cells: 1 },
        validateSnapshot: validatePolicySnapshot,
      });
      runs.push(run.id);
    }
    await loadSyntheticOutcomes(
      db,
      [0, 1, 2].map((i) => syntheticRow(i)),
    );
    return runs;
  }

  async function counts(db: Db): Promise<Record<string, number>> {
    const result: Record<string, number> = {};
    for (const table of ["training_runs", "policy_versions", "active_policy", "routing_outcomes_synthetic"]) {
      result[table] = Number((await db.query<{ n: number }>(`SELECT count(*)::int8 AS n FROM ${table}`)).rows[0]?.n);
    }
    return result;
  }

  it("refuses a down that would drop promoted policies, saying what would be lost, and changes nothing", async () => {
    const { db } = database;
    await migrateDown(db, { to: 0, force: true });
    await migrateUp(db);
    await promotedPolicies(db);
    const schema = await describeSchema(db);
    const before = await counts(db);
    for (const to of [4, 3, 0]) {
      const error = await migrateDown(db, { to }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: "DATA_LOSS" });
      const message = (error as Error).message;
      expect(message).toContain("migration 5 (policy_versions) drops active_policy: 1 row, policy_versions: 2 rows");
      expect(message).toContain("training_runs.policy_version_id: 2 references to policy_versions (set to null)");
      expect(message).toContain("Nothing was changed");
      if (to < 4) expect(message).toContain("migration 4 (training_runs) drops training_runs: 2 rows");
      if (to === 0)
        expect(message).toContain("migration 3 (routing_outcomes_synthetic) drops routing_outcomes_synthetic: 3 rows");
      expect(await describeSchema(db)).toEqual(schema);
      expect(await counts(db)).toEqual(before);
      expect((await migrationStatus(db)).current).toBe(migrations.length);
    }
  });

  it("goes down (forced) and up again after promotions: the schema is whole, runs kept, references cleared", async () => {
    const { db } = database;
    await migrateDown(db, { to: 0, force: true });
    await migrateUp(db);
    const full = await describeSchema(db);
    const runs = await promotedPolicies(db);
    const dropped: string[] = [];
    const onDataLoss = (m: Migration, losses: readonly DataLoss[]): void => {
      dropped.push(`${m.version}: ${losses.map((l) => `${l.table}=${l.count}`).join(" ")}`);
    };
    // Down to 4: every migration above 005 goes too (none of them drops data).
    const reverted = await migrateDown(db, { to: 4, force: true, onDataLoss });
    expect(reverted.map((m) => m.version)).toEqual(
      migrations
        .filter((m) => m.version > 4)
        .map((m) => m.version)
        .reverse(),
    );
    expect(dropped).toEqual(["5: active_policy=1 policy_versions=2 training_runs=2"]);
    // Failed before: the up re-added the foreign key over the runs' stale policy ids (SQLSTATE 23503).
    expect((await migrateUp(db)).map((m) => m.version)).toEqual(
      migrations.filter((m) => m.version > 4).map((m) => m.version),
    );
    expect(await describeSchema(db)).toEqual(full);
    for (const id of runs)
      expect(await getTrainingRun(db, id)).toMatchObject({ id, policyVersionId: null, status: "succeeded" });
    expect(await readActivePolicy(db)).toBeNull();
    // And a new promotion works on the restored schema.
    const run = await startTrainingRun(db, { cadence: "prod" });
    await promoteTrainingRun(db, {
      trainingRunId: run.id,
      snapshot: await tinySnapshot(3),
      finish: { rowsRead: 1, rowsRejected: 0, cells: 1 },
      validateSnapshot: validatePolicySnapshot,
    });
    expect((await readActivePolicy(db))?.trainingRunId).toBe(run.id);

    // All the way down and up, forced, with data everywhere.
    await promotedPolicies(db);
    await migrateDown(db, { to: 0, force: true });
    expect(await userTables(db)).toEqual([]);
    await migrateUp(db);
    expect(await describeSchema(db)).toEqual(full);
  });

  it("retires the synthetic table only: its rows go, training runs and policies stay, migrations still go both ways", async () => {
    const { db } = database;
    await migrateDown(db, { to: 0, force: true });
    await migrateUp(db);
    const full = await describeSchema(db);
    await promotedPolicies(db);
    const before = await counts(db);
    await expect(retireSyntheticOutcomes(db)).rejects.toMatchObject({
      code: "DATA_LOSS",
      message: expect.stringContaining("would delete its 3 rows"),
    });
    expect(await counts(db)).toEqual(before);
    expect(await retireSyntheticOutcomes(db, { force: true })).toEqual({ rowsDeleted: 3 });
    expect(await counts(db)).toEqual({ ...before, routing_outcomes_synthetic: 0 });
    expect(await describeSchema(db)).toEqual(full);
    expect(await retireSyntheticOutcomes(db)).toEqual({ rowsDeleted: 0 }); // nothing left: no force needed
    // Ids keep counting up after a retirement.
    await loadSyntheticOutcomes(db, [syntheticRow(0)]);
    expect(
      Number((await db.query<{ id: number }>("SELECT min(id) AS id FROM routing_outcomes_synthetic")).rows[0]?.id),
    ).toBe(4);
    await migrateDown(db, { to: 0, force: true });
    await migrateUp(db);
    expect(await describeSchema(db)).toEqual(full);
  });

  it("rolls a failing migration back entirely and stays at the previous version", async () => {
    const { db } = database;
    await migrateUp(db);
    const before = await describeSchema(db);
    const broken: Migration = {
      version: migrations.length + 1,
      name: "broken",
      up: "CREATE TABLE half_done (id int); SELECT no_such_function();",
      down: "DROP TABLE half_done;",
    };
    const error = await migrateUp(db, { migrations: [...migrations, broken] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("SCHEMA");
    expect((error as Error).message).toMatch(
      new RegExp(`migration ${migrations.length + 1} \\(broken\\) failed and was rolled back`),
    );
    expect(await describeSchema(db)).toEqual(before);
    expect((await migrationStatus(db)).current).toBe(migrations.length);
  });

  it("refuses to run against a database migrated by a newer release, and reports the unknown version", async () => {
    const { db } = database;
    await migrateUp(db);
    await db.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, 'from_the_future', 'x')", [
      migrations.length + 1,
    ]);
    try {
      const status = await migrationStatus(db);
      expect(status.unknown).toEqual([{ version: migrations.length + 1, name: "from_the_future" }]);
      await expect(migrateUp(db)).rejects.toMatchObject({
        code: "SCHEMA",
        message: expect.stringMatching(
          new RegExp(`does not know \\(${migrations.length + 1} from_the_future\\); upgrade linucb`),
        ),
      });
      await expect(migrateDown(db)).rejects.toMatchObject({
        code: "SCHEMA",
        message: expect.stringMatching(
          new RegExp(`cannot revert migration ${migrations.length + 1} \\(from_the_future\\)`),
        ),
      });
    } finally {
      await db.query("DELETE FROM schema_migrations WHERE version = $1", [migrations.length + 1]);
    }
  });

  it("reports a migration edited after it was applied", async () => {
    const { db } = database;
    await migrateUp(db);
    const edited = migrations.map((m) => (m.version === 3 ? { ...m, up: `${m.up}\n-- edited` } : m));
    const status = await migrationStatus(db, { migrations: edited });
    expect(status.migrations.filter((m) => !m.unchanged).map((m) => m.version)).toEqual([3]);
  });

  it("rejects targets outside 0…latest", async () => {
    const { db } = database;
    await expect(migrateUp(db, { to: migrations.length + 1 })).rejects.toThrow(RangeError);
    await expect(migrateDown(db, { to: -1 })).rejects.toThrow(
      `to must be an integer version between 0 and ${migrations.length}; received -1`,
    );
    await expect(migrateUp(db, { to: 1.5 })).rejects.toThrow(RangeError);
  });

  if (backend.name === "postgres") {
    it("lets concurrent runners (two processes starting at once) apply each migration exactly once", async () => {
      const { db, fresh } = database;
      await migrateDown(db, { to: 0 });
      const others = await Promise.all([openDatabase(fresh.options), openDatabase(fresh.options)]);
      try {
        const applied = await Promise.all([migrateUp(db), ...others.map((other) => migrateUp(other))]);
        const versions = applied.flatMap((list) => list.map((m) => m.version)).sort((a, b) => a - b);
        expect(versions).toEqual(migrations.map((m) => m.version));
        expect((await migrationStatus(db)).current).toBe(migrations.length);
      } finally {
        await Promise.all(others.map((other) => other.close()));
      }
    });
  }

  describe("constraints", () => {
    it("refuses an unknown source and a propensity outside (0, 1] in routing_outcomes", async () => {
      const { db } = database;
      await migrateUp(db);
      await expect(insertOutcome(db, { source: "staging" })).rejects.toMatchObject({
        code: "QUERY",
        sqlstate: "23514",
        message: expect.stringMatching(/routing_outcomes_source_check/),
      });
      for (const propensity of [0, -0.1, 1.0000001, Number.NaN]) {
        await expect(insertOutcome(db, { propensity })).rejects.toMatchObject({
          sqlstate: "23514",
          message: expect.stringMatching(/routing_outcomes_propensity_check/),
        });
      }
      for (const source of ["prod", "synthetic", "shadow"]) await insertOutcome(db, { source, propensity: 1 });
    });

    it("006: refuses empty cell, model and agent_id from now on, without failing on rows already there; allows 'abandoned' runs", async () => {
      const { db } = database;
      await migrateUp(db);
      await migrateDown(db, { to: 5 });
      await db.exec("TRUNCATE routing_outcomes RESTART IDENTITY");
      await insertOutcome(db, { model: "" }); // a bad row written before 006 existed
      await migrateUp(db, { to: 6 });
      expect((await migrationStatus(db)).current).toBe(6);
      expect(
        (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM routing_outcomes WHERE model = ''")).rows,
      ).toEqual([{ n: 1 }]);
      for (const column of ["cell", "model", "agent_id"]) {
        await expect(insertOutcome(db, { [column]: "" })).rejects.toMatchObject({
          sqlstate: "23514",
          message: expect.stringMatching(new RegExp(`routing_outcomes_${column}_nonempty_check`)),
        });
      }
      await expect(
        db.query(
          `INSERT INTO routing_outcomes_synthetic (agent_id, cell, model, features, propensity, completed, hallucinated, refused, source, seed, seq, affinity_version, difficulty)
           VALUES ('a', 'c', '', '{1}', 0.5, true, false, false, 'synthetic_v1', 1, 0, 'v1', 0.5)`,
        ),
      ).rejects.toMatchObject({
        sqlstate: "23514",
        message: expect.stringMatching(/routing_outcomes_synthetic_model_nonempty_check/),
      });
      // 'abandoned' is a status, with its reason in error (like 'failed').
      const run = await db.query<{ id: number }>(
        "INSERT INTO training_runs (cadence, corpus_table, source_filter) VALUES ('prod', 'routing_outcomes', 'prod') RETURNING id",
      );
      const id = run.rows[0]?.id;
      await expect(
        db.query("UPDATE training_runs SET status = 'abandoned', finished_at = now() WHERE id = $1", [id]),
      ).rejects.toMatchObject({
        sqlstate: "23514",
        message: expect.stringMatching(/training_runs_error_check/),
      });
      await db.query(
        "UPDATE training_runs SET status = 'abandoned', finished_at = now(), error = 'abandoned: test' WHERE id = $1",
        [id],
      );
      // Down: the abandoned run becomes a failed one (its reason kept), the old checks come back.
      await migrateDown(db, { to: 5 });
      expect((await db.query("SELECT status, error FROM training_runs WHERE id = $1", [id])).rows).toEqual([
        { status: "failed", error: "abandoned: test" },
      ]);
      await insertOutcome(db, { cell: "" });
      await migrateUp(db);
      await db.exec("TRUNCATE routing_outcomes RESTART IDENTITY; DELETE FROM training_runs");
    });

    it("refuses a production source in routing_outcomes_synthetic", async () => {
      const { db } = database;
      await migrateUp(db);
      const insert = (source: string) =>
        db.query(
          `INSERT INTO routing_outcomes_synthetic (agent_id, cell, model, features, propensity, completed, hallucinated, refused, source, seed, seq, affinity_version, difficulty)
           VALUES ('a', 'c', 'm', '{1}', 0.5, true, false, false, $1, 1, (SELECT count(*) FROM routing_outcomes_synthetic), 'v1', 0.5)`,
          [source],
        );
      await expect(insert("prod")).rejects.toMatchObject({
        sqlstate: "23514",
        message: expect.stringMatching(/routing_outcomes_synthetic_source_check/),
      });
      await expect(insert("shadow")).rejects.toMatchObject({ sqlstate: "23514" });
      await insert("synthetic_coldstart_v1");
    });

    it("allows at most one active policy, by the schema", async () => {
      const { db } = database;
      await migrateUp(db);
      const run = await db.query<{ id: number }>(
        "INSERT INTO training_runs (cadence, corpus_table, source_filter) VALUES ('prod', 'routing_outcomes', 'prod') RETURNING id",
      );
      const runId = run.rows[0]?.id;
      const versions = await db.query<{ id: number }>(
        "INSERT INTO policy_versions (training_run_id, snapshot, snapshot_sha256) SELECT $1, '\\x01', repeat('a', 64) FROM generate_series(1, 2) RETURNING id",
        [runId],
      );
      const [first, second] = versions.rows.map((row) => row.id);
      await db.query("INSERT INTO active_policy (policy_version_id) VALUES ($1)", [first]);
      // A second row, by default or explicitly: the singleton key refuses both.
      await expect(
        db.query("INSERT INTO active_policy (policy_version_id) VALUES ($1)", [second]),
      ).rejects.toMatchObject({ sqlstate: "23505" });
      await expect(
        db.query("INSERT INTO active_policy (singleton, policy_version_id) VALUES (false, $1)", [second]),
      ).rejects.toMatchObject({ sqlstate: "23514" });
      expect((await db.query("SELECT count(*)::int AS n FROM active_policy")).rows).toEqual([{ n: 1 }]);
    });

    it("refuses a prod training run that would read anything but prod rows of routing_outcomes", async () => {
      const { db } = database;
      await migrateUp(db);
      await expect(
        db.query(
          "INSERT INTO training_runs (cadence, corpus_table, source_filter) VALUES ('prod', 'routing_outcomes_synthetic', NULL)",
        ),
      ).rejects.toMatchObject({ sqlstate: "23514", message: expect.stringMatching(/training_runs_prod_corpus_check/) });
      await expect(
        db.query(
          "INSERT INTO training_runs (cadence, corpus_table, source_filter) VALUES ('prod', 'routing_outcomes', 'shadow')",
        ),
      ).rejects.toMatchObject({ sqlstate: "23514" });
    });
  });
});
