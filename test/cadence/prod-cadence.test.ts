import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  assertPromotable,
  CadenceError,
  outcomeRewardJudge,
  runCadence,
  validatePolicySnapshot,
  type CadenceOptions,
  type CadenceProgress,
} from "../../src/cadence/index.js";
import { restoreLinUCB } from "../../src/engine/linucb.js";
import {
  judgedRewardSql,
  loadSyntheticOutcomes,
  migrateUp,
  promoteTrainingRun,
  readJudgeWatermarks,
  readPolicyVersion,
  startTrainingRun,
  StoreError,
  tryAcquireAdvisoryLock,
  getTrainingRun,
} from "../../src/store/index.js";
import { generateOutcomes, generateWorld } from "../../src/synthetic/index.js";
import { describeOnBackends, useFreshDatabase } from "../store/backends.js";
import { activeVersion, failingDb, insertOutcomes, resetTables, scalar } from "./fixtures.js";

const PROD_ROWS = 3000;
const POISON = "model-poison";
/** Fewer resamples than the default: the intervals only need to exist here, not be precise. */
const PROD: CadenceOptions = { mode: "prod", resamples: 200 };

async function resetPolicies(db: Parameters<typeof resetTables>[0]): Promise<void> {
  await db.exec(
    "DELETE FROM active_policy; UPDATE training_runs SET policy_version_id = NULL; DELETE FROM policy_versions; DELETE FROM training_runs",
  );
}

describeOnBackends("prod cadence behind the synthetic wall", (backend) => {
  const database = useFreshDatabase(backend);

  beforeAll(async () => {
    const { db } = database;
    await migrateUp(db);
    await resetTables(db);
    // routing_outcomes_synthetic is full (the warm-up world)…
    const world = generateWorld({ seed: 42 });
    await loadSyntheticOutcomes(db, generateOutcomes(world, { n: 4000, seed: 42 }));
    // …and routing_outcomes holds production rows plus synthetic and shadow rows whose model and
    // rewards would show at once if a production refit ever read them.
    await insertOutcomes(db, { n: PROD_ROWS, source: "prod" });
    await insertOutcomes(db, { n: 400, seed: 3, source: "shadow", model: POISON, reward: 50 });
    await insertOutcomes(db, { n: 400, seed: 4, source: "synthetic", model: POISON, reward: 50 });
  });
  beforeEach(async () => {
    await resetPolicies(database.db);
  });

  it("refits on the prod rows only (the counts match), and promotes a candidate that beats the uniform policy", async () => {
    const { db } = database;
    expect(await scalar(db, "SELECT count(*)::int8 AS value FROM routing_outcomes WHERE source <> 'prod'")).toBe(800);
    expect(await scalar(db, "SELECT count(*)::int8 AS value FROM routing_outcomes_synthetic")).toBe(4000);
    const prodCount = await scalar(db, "SELECT count(*)::int8 AS value FROM routing_outcomes WHERE source = 'prod'");

    const result = await runCadence(db, PROD);
    expect(result.corpus.split.total).toBe(prodCount);
    expect(result.corpus.rowsRead).toBe(prodCount);
    expect(result.corpus.training.accepted + result.corpus.heldOut.accepted).toBe(prodCount);
    expect(result.corpus.training.accepted).toBe(result.corpus.split.training);
    expect(result.corpus.split.models).not.toContain(POISON);
    expect(result.engine.arms).not.toContain(POISON);
    expect(result.corpus.sourceFilter).toBe("prod");
    // Every held-out reward is a real outcome reward (the poison rows carry 50).
    expect(result.evaluation!.loggedValue).toBeLessThan(1);

    const run = await getTrainingRun(db, result.runId);
    expect(run).toMatchObject({
      cadence: "prod",
      status: "succeeded",
      corpusTable: "routing_outcomes",
      sourceFilter: "prod",
      rowsRead: prodCount,
      promoted: true,
    });
    expect(result.evaluation!.incumbent).toEqual({ kind: "uniform", policyVersionId: null });
    expect(result.gate).toMatchObject({ passed: true, estimator: "snips" });
    expect(result.promoted).toBe(true);
    expect(await activeVersion(db)).toBe(result.policyVersionId);
    const version = await readPolicyVersion(db, result.policyVersionId!);
    expect(version?.trainingRunId).toBe(result.runId);
    const restored = await restoreLinUCB(version!.snapshot);
    expect(restored.arms).toEqual(result.engine.arms);
    expect(restored.arms).not.toContain(POISON);
  });

  it("compares a second candidate with the active policy, and the active pointer follows the gate", async () => {
    const { db } = database;
    const first = await runCadence(db, PROD);
    // New traffic since the first promotion: the second run is judged on it (rows the incumbent never saw).
    await insertOutcomes(db, { n: 1500, source: "prod", offsetDays: 20 });
    const second = await runCadence(db, PROD);
    expect(second.evaluation!.incumbent).toEqual({ kind: "active", policyVersionId: first.policyVersionId });
    expect(second.promoted).toBe(second.gate.passed);
    expect(await activeVersion(db)).toBe(second.promoted ? second.policyVersionId : first.policyVersionId);
    expect(await scalar(db, "SELECT count(*)::int8 AS value FROM policy_versions")).toBe(second.promoted ? 2 : 1);
    expect((await getTrainingRun(db, second.runId))?.promoted).toBe(second.promoted);
  });

  it("warm-up never changes the active policy nor writes a policy version", async () => {
    const { db } = database;
    const prod = await runCadence(db, PROD);
    const warmup = await runCadence(db, { mode: "warmup", resamples: 200 });
    expect(await activeVersion(db)).toBe(prod.policyVersionId);
    expect(await scalar(db, "SELECT count(*)::int8 AS value FROM policy_versions")).toBe(1);
    expect(warmup.promoted).toBe(false);
    expect(warmup.policyVersionId).toBeNull();
    const run = await getTrainingRun(db, warmup.runId);
    expect(run).toMatchObject({
      cadence: "synthetic_warmup",
      status: "succeeded",
      corpusTable: "routing_outcomes_synthetic",
      promoted: false,
      policyVersionId: null,
    });
    expect((run?.metrics as { convergence: { matchShare: number } }).convergence.matchShare).toBe(
      warmup.convergence?.matchShare,
    );
  });

  it("refuses to promote a run whose corpus was not pure prod, in code and in the store, writing nothing", async () => {
    const { db } = database;
    const warm = await startTrainingRun(db, { cadence: "synthetic_warmup", seed: 42 });
    expect(() => assertPromotable(warm, ["routing_outcomes_synthetic"])).toThrow(
      /refusing to promote training run \d+: its corpus was not pure production/,
    );
    const prod = await startTrainingRun(db, { cadence: "prod" });
    expect(() => assertPromotable(prod, ["routing_outcomes", "routing_outcomes_synthetic"])).toThrow(
      /not pure production/,
    );
    expect(() => assertPromotable(prod, ["routing_outcomes"])).not.toThrow();

    const snapshot = new Uint8Array([1, 2, 3]);
    const finish = { rowsRead: 1, rowsRejected: 0, cells: 1 };
    await expect(
      promoteTrainingRun(db, { trainingRunId: warm.id, snapshot, finish, validateSnapshot: validatePolicySnapshot }),
    ).rejects.toThrow(
      /refusing to promote training run \d+: only a prod run .* cadence "synthetic_warmup", corpus "routing_outcomes_synthetic"/,
    );
    expect(await scalar(db, "SELECT count(*)::int8 AS value FROM policy_versions")).toBe(0);
    expect(await activeVersion(db)).toBeNull();
    expect((await getTrainingRun(db, warm.id))?.status).toBe("running");
    // And the schema refuses a prod run that claims another corpus.
    await expect(
      db.query("UPDATE training_runs SET corpus_table = 'routing_outcomes_synthetic' WHERE id = $1", [prod.id]),
    ).rejects.toMatchObject({ sqlstate: "23514" });
  });

  describe("a failure in the middle marks the run failed and leaves the active policy as it was", () => {
    async function expectFailedRun(error: unknown, step: string, message: RegExp): Promise<void> {
      expect(error).toBeInstanceOf(CadenceError);
      const failure = error as CadenceError;
      expect(failure.step).toBe(step);
      expect(failure.message).toMatch(message);
      const run = await getTrainingRun(database.db, failure.runId!);
      expect(run).toMatchObject({ status: "failed", promoted: false, policyVersionId: null });
      expect(run?.error).toMatch(message);
    }

    it("in the refit (a corpus page fails)", async () => {
      const { db } = database;
      const before = await runCadence(db, PROD);
      const faulty = failingDb(db, {
        match: /^SELECT id, cell, model, features[\s\S]*\bFROM routing_outcomes\b/,
        skip: 1,
        message: "injected: connection lost during the read",
      });
      // --full: an incremental run would have no page to read (no rows were added since `before`).
      const error = await runCadence(faulty, { ...PROD, chunkSize: 500, full: true }).catch((e: unknown) => e);
      expect(faulty.tripped).toBe(true);
      await expectFailedRun(error, "refit", /injected: connection lost during the read/);
      expect(await activeVersion(db)).toBe(before.policyVersionId);
      expect(await scalar(db, "SELECT count(*)::int8 AS value FROM policy_versions")).toBe(1);
    });

    it("in the evaluation", async () => {
      const { db } = database;
      const progress: CadenceProgress = {
        stepStarted(step) {
          if (step === "evaluate") throw new Error("injected: evaluation crashed");
        },
        stepAdvanced() {},
        stepFinished() {},
      };
      const error = await runCadence(db, { ...PROD, progress }).catch((e: unknown) => e);
      await expectFailedRun(error, "evaluate", /injected: evaluation crashed/);
      expect(await activeVersion(db)).toBeNull();
    });

    it("in the promote transaction (after the version was written and the pointer flipped)", async () => {
      const { db } = database;
      const faulty = failingDb(db, {
        match: /SET status = 'succeeded'/,
        message: "injected: finishing the run failed",
      });
      const error = await runCadence(faulty, PROD).catch((e: unknown) => e);
      expect(faulty.tripped).toBe(true);
      await expectFailedRun(error, "promote", /injected: finishing the run failed/);
      expect(await activeVersion(db)).toBeNull();
      expect(await scalar(db, "SELECT count(*)::int8 AS value FROM policy_versions")).toBe(0);
    });
  });

  it("does not start while another prod cadence holds the lock", async () => {
    const { db } = database;
    const held = await tryAcquireAdvisoryLock(db, "cadence:prod");
    expect(held).not.toBeNull();
    try {
      const error = await runCadence(db, PROD).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CadenceError);
      expect((error as CadenceError).runId).toBeNull();
      expect((error as CadenceError).cause).toBeInstanceOf(StoreError);
      expect(((error as CadenceError).cause as StoreError).code).toBe("LOCKED");
      expect(await scalar(db, "SELECT count(*)::int8 AS value FROM training_runs")).toBe(0);
    } finally {
      await held?.release();
    }
  });
});

describeOnBackends("prod cadence judge step", (backend) => {
  const database = useFreshDatabase(backend);

  beforeAll(async () => {
    await migrateUp(database.db);
    await resetTables(database.db);
    await insertOutcomes(database.db, { n: 1500, source: "prod", judged: false });
    await insertOutcomes(database.db, { n: 200, seed: 3, source: "shadow", judged: false });
  });

  it("labels the unjudged prod rows with the configured weights before refitting, and only those", async () => {
    const { db } = database;
    const judge = outcomeRewardJudge({ hallucinationPenalty: 1, refusalPenalty: 0.1 });
    const result = await runCadence(db, { ...PROD, judge, minEffectiveSampleSize: 0 });
    expect(result.judge).toEqual({ judge: judge.name, judged: 1500 });
    expect(result.corpus.rowsRead).toBe(1500);
    // One watermark over the prod rows (migration 009); the rewards read under it are the judge's.
    const marks = await readJudgeWatermarks(db, "routing_outcomes");
    expect(marks.map((m) => [m.judgeModel, m.judgedRows])).toEqual([[judge.name, 1500]]);
    const wrong = await scalar(
      db,
      `SELECT count(*)::int8 AS value FROM routing_outcomes
       WHERE source = 'prod'
         AND ${judgedRewardSql(marks)} IS DISTINCT FROM (completed::int - 1.0 * hallucinated::int - 0.1 * refused::int)`,
    );
    expect(wrong).toBe(0);
    expect(
      await scalar(
        db,
        "SELECT count(*)::int8 AS value FROM routing_outcomes WHERE source = 'shadow' AND reward IS NULL",
      ),
    ).toBe(200);
  });
});
