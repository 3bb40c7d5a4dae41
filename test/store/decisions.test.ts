import { randomUUID } from "node:crypto";
import { beforeAll, beforeEach, expect, it } from "vitest";
import {
  decisionOutcomeKey,
  deleteDecisionsBefore,
  insertDecisions,
  readDecisions,
  type Decision,
} from "../../src/store/decisions.js";
import { migrateDown, migrateUp } from "../../src/store/migrator.js";
import { insertOutcomeRows, readOutcomesByKey, type OutcomeRowInput } from "../../src/store/outcome-writes.js";
import { validatePolicySnapshot } from "../../src/cadence/snapshot-check.js";
import { createLinUCB } from "../../src/engine/linucb.js";
import type { Db } from "../../src/store/db.js";
import { promoteTrainingRun } from "../../src/store/promote.js";
import { startTrainingRun } from "../../src/store/training-runs.js";
import { describeOnBackends, useFreshDatabase } from "./backends.js";
import { describeSchema } from "./schema.js";

function decision(overrides: Partial<Decision> = {}): Decision {
  return {
    id: randomUUID(),
    createdAt: new Date(),
    requestId: "req-1",
    agentId: "agent-a",
    cell: "code:hard",
    model: "m1",
    features: [1, 0.25, -3e-7],
    propensity: 0.35,
    policyVersionId: null,
    exploration: "uniform",
    source: "prod",
    ...overrides,
  };
}

/** A promoted policy version's id (a decision names the version that made it). */
async function promotedVersion(db: Db): Promise<number> {
  const run = await startTrainingRun(db, { cadence: "prod" });
  const snapshot = (await createLinUCB({ dimension: 3, arms: ["m1"], seed: 1 })).snapshot();
  const promotion = await promoteTrainingRun(db, {
    trainingRunId: run.id,
    snapshot,
    finish: { rowsRead: 1, rowsRejected: 0, cells: 1 },
    validateSnapshot: validatePolicySnapshot,
  });
  return promotion.version.id;
}

function outcome(key: string, overrides: Partial<OutcomeRowInput> = {}): OutcomeRowInput {
  return {
    dedupeKey: key,
    createdAt: null,
    agentId: "agent-a",
    cell: "code:hard",
    model: "m1",
    features: [1, 0.25, -3e-7],
    propensity: 0.35,
    completed: true,
    hallucinated: false,
    refused: false,
    judgeScore: 0.75,
    judgeModel: null,
    reward: null,
    policyVersion: "uniform",
    source: "prod",
    ...overrides,
  };
}

describeOnBackends("decision log and idempotent outcome writes", (backend) => {
  const database = useFreshDatabase(backend);
  beforeAll(async () => {
    await migrateUp(database.db);
  });
  beforeEach(async () => {
    await database.db.exec("DELETE FROM routing_decisions; DELETE FROM routing_outcomes");
  });

  it("stores decisions in bulk and reads them back by id, exactly, with their outcome once written", async () => {
    const { db } = database;
    const decisions = [
      decision(),
      decision({ model: "m2", requestId: null, propensity: 1, exploration: { epsilon: 0.1 }, source: "shadow" }),
    ];
    await insertDecisions(db, decisions);
    const unknown = randomUUID();
    const found = await readDecisions(db, [...decisions.map((d) => d.id), unknown]);
    expect(found.size).toBe(2);
    expect(found.has(unknown)).toBe(false);
    const second = found.get(decisions[1]!.id)!;
    expect(second).toMatchObject({
      model: "m2",
      requestId: null,
      propensity: 1,
      exploration: { epsilon: 0.1 },
      source: "shadow",
      outcome: null,
    });
    expect(Array.from(found.get(decisions[0]!.id)!.features)).toEqual([1, 0.25, -3e-7]);

    const written = await insertOutcomeRows(db, [outcome(decisionOutcomeKey(decisions[0]!.id))]);
    const again = await readDecisions(db, [decisions[0]!.id]);
    expect(again.get(decisions[0]!.id)!.outcome).toEqual({
      id: written.get(decisionOutcomeKey(decisions[0]!.id)),
      dedupeKey: decisionOutcomeKey(decisions[0]!.id),
      completed: true,
      hallucinated: false,
      refused: false,
      judgeScore: 0.75,
    });
  });

  it("writes each dedupe key once: a repeated key (in the table or earlier in the batch) adds no row", async () => {
    const { db } = database;
    const first = await insertOutcomeRows(db, [
      outcome("k1"),
      outcome("k2", { model: "m2" }),
      outcome("k1", { completed: false }),
    ]);
    expect([...first.keys()].sort()).toEqual(["k1", "k2"]);
    const second = await insertOutcomeRows(db, [
      outcome("k2"),
      outcome("k3", { createdAt: new Date("2026-01-02T03:04:05Z") }),
    ]);
    expect([...second.keys()]).toEqual(["k3"]);
    const rows = await db.query<{
      dedupe_key: string;
      model: string;
      completed: boolean;
      features: number[];
      created_at: Date;
      reward: number | null;
    }>("SELECT dedupe_key, model, completed, features, created_at, reward FROM routing_outcomes ORDER BY id");
    expect(rows.rows.map((r) => [r.dedupe_key, r.model, r.completed])).toEqual([
      ["k1", "m1", true],
      ["k2", "m2", true],
      ["k3", "m1", true],
    ]);
    expect(rows.rows[2]!.created_at.toISOString()).toBe("2026-01-02T03:04:05.000Z");
    expect(rows.rows[0]!.features).toEqual([1, 0.25, -3e-7]);
    expect(rows.rows[0]!.reward).toBeNull();
    const stored = await readOutcomesByKey(db, ["k1", "nope"]);
    expect([...stored.keys()]).toEqual(["k1"]);
    expect(stored.get("k1")!.id).toBe(first.get("k1"));
  });

  it("stores every field exactly (by binary COPY on PostgreSQL): timestamps to the µs, versions", async () => {
    const { db } = database;
    expect(db.copyInBinary !== undefined).toBe(backend.name === "postgres");
    const version = await promotedVersion(db);
    const createdAt = new Date("2026-03-04T05:06:07.891Z");
    const decisions = [
      decision({ createdAt, policyVersionId: version, exploration: { epsilon: 0.05 }, features: [0.1, -2.5e-300, 7] }),
      decision({ requestId: 'é ☃ "quoted"', agentId: "ägent", cell: "c\tell", policyVersionId: version }),
      decision({ exploration: { epsilon: 0.05 }, features: Float64Array.from([Number.MIN_VALUE, -1.5, 1e300]) }),
    ];
    await insertDecisions(db, decisions);
    const found = await readDecisions(
      db,
      decisions.map((d) => d.id),
    );
    for (const d of decisions) {
      const stored = found.get(d.id)!;
      expect({ ...stored, features: Array.from(stored.features), outcome: undefined }).toEqual({
        ...d,
        features: Array.from(d.features),
        outcome: undefined,
      });
    }
  });

  it("a batch written again (a retry after an unacknowledged commit) stores each decision once", async () => {
    const { db } = database;
    const first = [decision(), decision()];
    await insertDecisions(db, first);
    const fresh = decision({ model: "m3" });
    await insertDecisions(db, [...first, fresh]);
    const count = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM routing_decisions");
    expect(count.rows[0]!.n).toBe(3);
    expect((await readDecisions(db, [fresh.id])).get(fresh.id)?.model).toBe("m3");
  });

  it("refuses a malformed decision id and stores nothing of its batch", async () => {
    const { db } = database;
    const batch = [decision(), decision({ id: "0190a6f2-6c1e-7b7e-8f00-0000000000zz" })];
    await expect(insertDecisions(db, batch)).rejects.toThrow(/0190a6f2-6c1e-7b7e-8f00-0000000000zz/);
    expect((await readDecisions(db, [batch[0]!.id])).size).toBe(0);
  });

  it("deletes decisions older than the retention cutoff, and only those", async () => {
    const { db } = database;
    const old = decision({ createdAt: new Date(Date.now() - 10 * 86_400_000) });
    const recent = decision();
    await insertDecisions(db, [old, recent]);
    expect(await deleteDecisionsBefore(db, new Date(Date.now() - 7 * 86_400_000))).toBe(1);
    expect([...(await readDecisions(db, [old.id, recent.id])).keys()]).toEqual([recent.id]);
  });

  it("migrations 007 and 008 go down (forced: the dedupe keys are data) and up to the same schema, keeping the outcomes", async () => {
    const { db } = database;
    await insertOutcomeRows(db, [outcome("kept")]);
    const full = await describeSchema(db);
    // The outcome's dedupe key is stored data: a plain down refuses, a forced one drops it.
    await expect(migrateDown(db, { to: 6 })).rejects.toThrow(
      /migration 8 \(routing_outcomes_dedupe_key\) drops routing_outcomes.dedupe_key: 1 value/,
    );
    await migrateDown(db, { to: 6, force: true });
    const down = await describeSchema(db);
    expect(down.some((line) => line.includes("dedupe_key") || line.includes("routing_decisions"))).toBe(false);
    expect((await db.query("SELECT count(*)::int AS n FROM routing_outcomes")).rows).toEqual([{ n: 1 }]);
    await migrateUp(db);
    expect(await describeSchema(db)).toEqual(full);
  });
});
