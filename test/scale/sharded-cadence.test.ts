/**
 * The prod cadence with a sharded training read (`readTraining`, what `linucb cadence --workers N`
 * and `--queue` plug in): the promoted policy equals the one of an in-process run on the same
 * corpus (every model to 1e-12), with the same read totals, integrity check and gate decision; a
 * distributed read that cannot finish fails the run, which then promotes nothing. On PGlite the
 * thread reader reads in-process and the run is the same.
 */
import { beforeAll, beforeEach, expect, it } from "vitest";
import { CadenceError, type CadenceOptions, runCadence } from "../../src/cadence/index.js";
import { restoreLinUCB } from "../../src/engine/linucb.js";
import { queueTrainingReader } from "../../src/scale/queue-training.js";
import { threadTrainingReader } from "../../src/scale/sharded-training.js";
import { type Db, getTrainingRun, migrateUp, readPolicyVersion } from "../../src/store/index.js";
import { activeVersion, insertOutcomes, resetTables, scalar } from "../cadence/fixtures.js";
import { describeOnBackends, useFreshDatabase } from "../store/backends.js";

const PROD: CadenceOptions = { mode: "prod", resamples: 200 };

async function resetPolicies(db: Db): Promise<void> {
  await db.exec(
    "DELETE FROM active_policy; UPDATE training_runs SET policy_version_id = NULL; DELETE FROM policy_versions; DELETE FROM training_runs",
  );
}

/** |a − b| ≤ 1e-12 · max(1, |a|), element by element. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = 1e-12 * Math.max(1, Math.abs(expected[i]!));
    if (!(Math.abs(actual[i]! - expected[i]!) <= tolerance))
      throw new Error(`${what}[${i}]: ${actual[i]} differs from ${expected[i]} by more than ${tolerance}`);
  }
}

describeOnBackends("prod cadence with a sharded training read", (backend) => {
  const database = useFreshDatabase(backend);

  beforeAll(async () => {
    const { db } = database;
    await migrateUp(db);
    await resetTables(db);
    await insertOutcomes(db, { n: 3000, source: "prod" });
    await insertOutcomes(db, { n: 300, seed: 3, source: "shadow", model: "model-poison", reward: 50 });
  });
  beforeEach(async () => {
    await resetPolicies(database.db);
  });

  it("promotes the same policy as an in-process run (every model to 1e-12), with the same read and gate", async () => {
    const { db } = database;
    const single = await runCadence(db, PROD);
    const b = await restoreLinUCB((await readPolicyVersion(db, single.policyVersionId!))!.snapshot);
    await resetPolicies(db);
    const fallbacks: string[] = [];
    const url = database.fresh.options.databaseUrl;
    const readTraining = threadTrainingReader(2, url, (reason) => fallbacks.push(reason));
    const sharded = await runCadence(db, { ...PROD, readTraining });
    // Threads on PostgreSQL; in-process, said, on the embedded database.
    expect(fallbacks).toHaveLength(backend.name === "pglite" ? 1 : 0);
    expect(single.promoted).toBe(true);
    expect(sharded.promoted).toBe(true);
    const { chunks: _a, ...shardedTraining } = sharded.corpus.training;
    const { chunks: _b, ...singleTraining } = single.corpus.training;
    expect(shardedTraining).toEqual(singleTraining);
    expect(sharded.corpus.heldOut).toEqual(single.corpus.heldOut);
    expect(sharded.learned.integrity).toEqual(single.learned.integrity);
    expect(sharded.learned.integrity.ok).toBe(true);
    expect(sharded.learned.coverage.cells.map((c) => [c.cell, c.rows])).toEqual(
      single.learned.coverage.cells.map((c) => [c.cell, c.rows]),
    );
    expect(sharded.gate.passed).toBe(single.gate.passed);
    const a = await restoreLinUCB((await readPolicyVersion(db, sharded.policyVersionId!))!.snapshot);
    expect(a.cells()).toEqual(b.cells());
    for (const cell of b.cells()) {
      for (const arm of b.arms) {
        expectClose(a.model(cell, arm).theta, b.model(cell, arm).theta, `θ ${cell}/${arm}`);
        expectClose(a.model(cell, arm).covariance, b.model(cell, arm).covariance, `A⁻¹ ${cell}/${arm}`);
      }
    }
  });

  if (backend.name === "postgres") {
    it("fails the run and promotes nothing when the distributed read does not finish", async () => {
      const { db } = database;
      // No worker takes the shards: the coordinator times out.
      const readTraining = queueTrainingReader({
        databaseUrl: database.fresh.options.databaseUrl!,
        shards: 2,
        timeoutSeconds: 1,
      });
      const failure = await runCadence(db, { ...PROD, readTraining }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(CadenceError);
      expect((failure as CadenceError).step).toBe("refit");
      expect((failure as Error).message).toMatch(/timed out after 1 s: 0 of 2 shards done/);
      expect(await activeVersion(db)).toBeNull();
      expect(await scalar(db, "SELECT count(*)::int8 AS value FROM policy_versions")).toBe(0);
      expect((await getTrainingRun(db, (failure as CadenceError).runId!))?.status).toBe("failed");
      expect(await scalar(db, "SELECT count(*)::int8 AS value FROM refit_shard_results")).toBe(0);
    });
  }
});
