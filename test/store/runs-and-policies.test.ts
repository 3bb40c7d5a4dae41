import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { tryAcquireAdvisoryLock, withAdvisoryLock } from "../../src/store/advisory-lock.js";
import { StoreError } from "../../src/store/errors.js";
import { migrateUp } from "../../src/store/migrator.js";
import { openDatabase } from "../../src/store/open-database.js";
import { validatePolicySnapshot } from "../../src/cadence/snapshot-check.js";
import { createLinUCB } from "../../src/engine/linucb.js";
import {
  activatePolicyVersion,
  insertPolicyVersion,
  listPolicyVersions,
  readActivePolicy,
  readActivePolicyVersionId,
  readPolicyVersion,
  sha256Hex,
  type SnapshotValidator,
} from "../../src/store/policy-versions.js";
import { promoteTrainingRun } from "../../src/store/promote.js";
import {
  abandonRunningRuns,
  failTrainingRun,
  finishTrainingRun,
  getTrainingRun,
  listTrainingRuns,
  startTrainingRun,
  type TrainingCadence,
} from "../../src/store/training-runs.js";
import type { Queryable } from "../../src/store/db.js";
import { describeOnBackends, useFreshDatabase } from "./backends.js";

/** Deterministic pseudo-snapshot bytes (the store treats snapshots as opaque). */
function bytes(seed: number, length = 1000): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

/** A validator that accepts any bytes: for tests of the pointer, not of the snapshot check. */
const acceptAny: SnapshotValidator = () => undefined;

/** A succeeded run of `cadence` (activation needs one). */
async function succeededRun(q: Queryable, cadence: TrainingCadence = "prod"): Promise<number> {
  const run = await startTrainingRun(q, { cadence });
  await finishTrainingRun(q, run.id, { rowsRead: 10, rowsRejected: 0, cells: 1 });
  return run.id;
}

/** A real engine snapshot (d = 2, two arms, a few updates). */
async function realSnapshot(): Promise<Uint8Array> {
  const engine = await createLinUCB({ dimension: 2, arms: ["a", "b"] });
  engine.update("cell", "a", [1, 0.5], 1);
  engine.update("cell", "b", [0.2, 1], 0);
  return engine.snapshot();
}

describeOnBackends("training runs, policy versions, locks", (backend) => {
  const database = useFreshDatabase(backend);

  beforeAll(async () => {
    await migrateUp(database.db);
  });
  beforeEach(async () => {
    await database.db.exec(
      "DELETE FROM active_policy; UPDATE training_runs SET policy_version_id = NULL; DELETE FROM policy_versions; DELETE FROM training_runs",
    );
  });

  describe("training runs", () => {
    it("start running with the corpus their cadence fixes, and finish with counts, metrics and the version produced", async () => {
      const { db } = database;
      const run = await startTrainingRun(db, {
        cadence: "prod",
        seed: 17,
        parameters: { alpha: 0.5, arms: ["a", "b"] },
      });
      expect(run).toMatchObject({
        cadence: "prod",
        status: "running",
        corpusTable: "routing_outcomes",
        sourceFilter: "prod",
        seed: 17,
        parameters: { alpha: 0.5, arms: ["a", "b"] },
        finishedAt: null,
        rowsRead: 0,
        promoted: false,
        error: null,
      });
      expect(run.startedAt).toBeInstanceOf(Date);
      const warmup = await startTrainingRun(db, { cadence: "synthetic_warmup" });
      expect(warmup).toMatchObject({
        corpusTable: "routing_outcomes_synthetic",
        sourceFilter: null,
        seed: null,
        parameters: {},
      });

      const version = await insertPolicyVersion(db, { trainingRunId: run.id, snapshot: bytes(1) });
      const finished = await finishTrainingRun(db, run.id, {
        rowsRead: 1200,
        rowsRejected: 3,
        cells: 4,
        metrics: { ips: 0.41, ci: [0.3, 0.5] },
        policyVersionId: version.id,
      });
      expect(finished).toMatchObject({
        status: "succeeded",
        rowsRead: 1200,
        rowsRejected: 3,
        cells: 4,
        metrics: { ips: 0.41, ci: [0.3, 0.5] },
        policyVersionId: version.id,
        error: null,
      });
      expect(finished.finishedAt).toBeInstanceOf(Date);
      expect(await getTrainingRun(db, run.id)).toEqual(finished);
      await expect(finishTrainingRun(db, run.id, { rowsRead: 1, rowsRejected: 0, cells: 1 })).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: `training run ${run.id} is not running (status succeeded)`,
      });
    });

    it("fail with the error's message and the counts so far", async () => {
      const { db } = database;
      const run = await startTrainingRun(db, { cadence: "synthetic_warmup", seed: 3 });
      const failed = await failTrainingRun(db, run.id, new RangeError("dimension mismatch"), { rowsRead: 10 });
      expect(failed).toMatchObject({
        status: "failed",
        error: "RangeError: dimension mismatch",
        rowsRead: 10,
        rowsRejected: 0,
      });
      await expect(failTrainingRun(db, 999_999, "x")).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: "training run 999999 does not exist",
      });
      expect(await getTrainingRun(db, 999_999)).toBeNull();
    });

    it("refuse bad arguments with their name and value", async () => {
      const { db } = database;
      await expect(startTrainingRun(db, { cadence: "weekly" as never })).rejects.toThrow(
        /cadence must be 'prod' or 'synthetic_warmup'; received "weekly"/,
      );
      await expect(startTrainingRun(db, { cadence: "prod", seed: 1.5 })).rejects.toThrow(
        /seed must be an integer or null; received 1.5/,
      );
      await expect(startTrainingRun(db, { cadence: "prod", parameters: [1] as never })).rejects.toThrow(
        /parameters must be a plain object; received Array\(1\)/,
      );
      await expect(finishTrainingRun(db, 0, { rowsRead: 0, rowsRejected: 0, cells: 0 })).rejects.toThrow(
        /id must be a positive integer id; received 0/,
      );
      await expect(finishTrainingRun(db, 1, { rowsRead: -1, rowsRejected: 0, cells: 0 })).rejects.toThrow(
        /rowsRead must be a non-negative integer; received -1/,
      );
    });
  });

  describe("policy versions", () => {
    it("store snapshot bytes with their SHA-256 and read them back verified", async () => {
      const { db } = database;
      const run = await startTrainingRun(db, { cadence: "prod" });
      const snapshot = bytes(2, 4096);
      const info = await insertPolicyVersion(db, { trainingRunId: run.id, snapshot, parameters: { dimension: 16 } });
      expect(info).toMatchObject({
        trainingRunId: run.id,
        sha256: sha256Hex(snapshot),
        byteLength: 4096,
        parameters: { dimension: 16 },
      });
      const read = await readPolicyVersion(db, info.id);
      expect(read?.snapshot).toEqual(snapshot);
      expect(read?.sha256).toBe(info.sha256);
      expect(await readPolicyVersion(db, info.id + 1000)).toBeNull();
    });

    it("refuse a snapshot damaged at rest", async () => {
      const { db } = database;
      const info = await insertPolicyVersion(db, { trainingRunId: await succeededRun(db), snapshot: bytes(3) });
      await activatePolicyVersion(db, info.id, acceptAny);
      // Flip one byte behind the store's back.
      await db.query(
        "UPDATE policy_versions SET snapshot = set_byte(snapshot, 10, (get_byte(snapshot, 10) + 1) % 256) WHERE id = $1",
        [info.id],
      );
      for (const read of [
        () => readPolicyVersion(db, info.id),
        () => readActivePolicy(db),
        () => activatePolicyVersion(db, info.id, acceptAny),
      ]) {
        const error = await read().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreError);
        expect(error).toMatchObject({ code: "CHECKSUM" });
        expect((error as Error).message).toMatch(
          new RegExp(
            `policy version ${info.id}: the stored snapshot \\(1000 bytes\\) has SHA-256 [0-9a-f]{64}, but ${info.sha256} was recorded`,
          ),
        );
      }
    });

    it("flip the active pointer in one transaction and mark the run promoted; exactly one is active", async () => {
      const { db } = database;
      expect(await readActivePolicy(db)).toBeNull();
      const runA = { id: await succeededRun(db) };
      const runB = { id: await succeededRun(db) };
      const a = await insertPolicyVersion(db, { trainingRunId: runA.id, snapshot: bytes(4) });
      const b = await insertPolicyVersion(db, { trainingRunId: runB.id, snapshot: bytes(5) });

      const first = await activatePolicyVersion(db, a.id, acceptAny);
      expect(first).toMatchObject({ policyVersionId: a.id, previousPolicyVersionId: null });
      expect((await readActivePolicy(db))?.id).toBe(a.id);
      const second = await activatePolicyVersion(db, b.id, acceptAny);
      expect(second).toMatchObject({ policyVersionId: b.id, previousPolicyVersionId: a.id });
      const active = await readActivePolicy(db);
      expect(active).toMatchObject({ id: b.id, trainingRunId: runB.id, sha256: b.sha256 });
      expect(active?.snapshot).toEqual(bytes(5));
      expect(active?.activatedAt).toBeInstanceOf(Date);
      expect((await db.query("SELECT count(*)::int AS n FROM active_policy")).rows).toEqual([{ n: 1 }]);
      expect((await getTrainingRun(db, runA.id))?.promoted).toBe(true);
      expect((await getTrainingRun(db, runB.id))?.promoted).toBe(true);
    });

    it("leave everything as it was when an activation fails", async () => {
      const { db } = database;
      const run = { id: await succeededRun(db) };
      const version = await insertPolicyVersion(db, { trainingRunId: run.id, snapshot: bytes(6) });
      await activatePolicyVersion(db, version.id, acceptAny);
      await expect(activatePolicyVersion(db, version.id + 1000, acceptAny)).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: `policy version ${version.id + 1000} does not exist`,
      });
      expect((await readActivePolicy(db))?.id).toBe(version.id);

      // Composed into a caller's transaction that then fails: the flip is rolled back with it.
      const other = await insertPolicyVersion(db, { trainingRunId: run.id, snapshot: bytes(7) });
      await expect(
        db.transaction(async (tx) => {
          await activatePolicyVersion(tx, other.id, acceptAny);
          await finishTrainingRun(tx, run.id, { rowsRead: -5 as number, rowsRejected: 0, cells: 0 });
        }),
      ).rejects.toThrow(RangeError);
      expect((await readActivePolicy(db))?.id).toBe(version.id);
    });

    it("refuse to activate the version of a warm-up run: the schema allows promoting prod runs only", async () => {
      const { db } = database;
      const active = await insertPolicyVersion(db, { trainingRunId: await succeededRun(db), snapshot: bytes(9) });
      await activatePolicyVersion(db, active.id, acceptAny);
      const warmup = { id: await succeededRun(db, "synthetic_warmup") };
      const synthetic = await insertPolicyVersion(db, { trainingRunId: warmup.id, snapshot: bytes(10) });
      await expect(activatePolicyVersion(db, synthetic.id, acceptAny)).rejects.toMatchObject({ sqlstate: "23514" });
      expect((await readActivePolicy(db))?.id).toBe(active.id);
      expect((await getTrainingRun(db, warmup.id))?.promoted).toBe(false);
    });

    it("refuse a version for a training run that does not exist, writing nothing", async () => {
      const { db } = database;
      await expect(insertPolicyVersion(db, { trainingRunId: 424242, snapshot: bytes(8) })).rejects.toMatchObject({
        code: "QUERY",
        sqlstate: "23503",
      });
      await expect(insertPolicyVersion(db, { trainingRunId: 1, snapshot: new Uint8Array(0) })).rejects.toThrow(
        /snapshot must be a non-empty Uint8Array/,
      );
      expect((await db.query("SELECT count(*)::int AS n FROM policy_versions")).rows).toEqual([{ n: 0 }]);
    });
  });

  describe("guards of the active pointer", () => {
    it("activation refuses a version whose run has not succeeded, and bytes the validator refuses, changing nothing", async () => {
      const { db } = database;
      const good = await insertPolicyVersion(db, {
        trainingRunId: await succeededRun(db),
        snapshot: await realSnapshot(),
      });
      await activatePolicyVersion(db, good.id, validatePolicySnapshot);
      expect(await readActivePolicyVersionId(db)).toBe(good.id);

      const running = await startTrainingRun(db, { cadence: "prod" });
      const failed = await startTrainingRun(db, { cadence: "prod" });
      await failTrainingRun(db, failed.id, new Error("boom"));
      const abandoned = await startTrainingRun(db, { cadence: "prod" });
      await db.query(
        "UPDATE training_runs SET status = 'abandoned', finished_at = now(), error = 'abandoned: test' WHERE id = $1",
        [abandoned.id],
      );
      for (const [run, status] of [
        [running.id, "running"],
        [failed.id, "failed"],
        [abandoned.id, "abandoned"],
      ] as const) {
        const version = await insertPolicyVersion(db, { trainingRunId: run, snapshot: await realSnapshot() });
        await expect(activatePolicyVersion(db, version.id, validatePolicySnapshot)).rejects.toMatchObject({
          code: "NOT_FOUND",
          message: `policy version ${version.id} cannot be activated: its training run ${run} has status ${status}, not succeeded`,
        });
      }
      const garbage = await insertPolicyVersion(db, { trainingRunId: await succeededRun(db), snapshot: bytes(11) });
      const error = await activatePolicyVersion(db, garbage.id, validatePolicySnapshot).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "INVALID_SNAPSHOT" });
      expect((error as Error).message).toMatch(
        new RegExp(
          `policy version ${garbage.id} cannot be activated: its 1000 bytes are not a valid snapshot \\(.*not a linucb snapshot`,
        ),
      );
      // A real snapshot with one byte changed: its own checksum refuses it.
      const damaged = await realSnapshot();
      damaged[damaged.length - 20] ^= 1;
      const tampered = await insertPolicyVersion(db, { trainingRunId: await succeededRun(db), snapshot: damaged });
      await expect(activatePolicyVersion(db, tampered.id, validatePolicySnapshot)).rejects.toMatchObject({
        code: "INVALID_SNAPSHOT",
        message: expect.stringMatching(/corrupted/),
      });
      await expect(activatePolicyVersion(db, good.id, undefined as never)).rejects.toThrow(
        /validateSnapshot must be a function/,
      );

      expect(await readActivePolicyVersionId(db)).toBe(good.id);
      expect((await db.query("SELECT count(*)::int AS n FROM training_runs WHERE promoted")).rows).toEqual([{ n: 1 }]);
    });

    it("promotion writes version, run end and pointer together, and refuses a run that read no rows or an invalid snapshot", async () => {
      const { db } = database;
      const finish = { rowsRead: 100, rowsRejected: 2, cells: 3 };
      const empty = await startTrainingRun(db, { cadence: "prod" });
      await expect(
        promoteTrainingRun(db, {
          trainingRunId: empty.id,
          snapshot: await realSnapshot(),
          finish: { ...finish, rowsRead: 0 },
          validateSnapshot: validatePolicySnapshot,
        }),
      ).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: `refusing to promote training run ${empty.id}: it read 0 rows; a promoted policy must be fitted on some`,
      });
      const invalid = await startTrainingRun(db, { cadence: "prod" });
      await expect(
        promoteTrainingRun(db, {
          trainingRunId: invalid.id,
          snapshot: bytes(12),
          finish,
          validateSnapshot: validatePolicySnapshot,
        }),
      ).rejects.toMatchObject({ code: "INVALID_SNAPSHOT" });
      await expect(
        promoteTrainingRun(db, { trainingRunId: invalid.id, snapshot: bytes(12), finish } as never),
      ).rejects.toThrow(/validateSnapshot must be a function/);
      // Nothing of the refused promotions was written: no version, no pointer, the runs still running.
      expect((await db.query("SELECT count(*)::int AS n FROM policy_versions")).rows).toEqual([{ n: 0 }]);
      expect(await readActivePolicyVersionId(db)).toBeNull();
      expect((await getTrainingRun(db, empty.id))?.status).toBe("running");
      expect((await getTrainingRun(db, invalid.id))?.status).toBe("running");

      const good = await startTrainingRun(db, { cadence: "prod" });
      const promoted = await promoteTrainingRun(db, {
        trainingRunId: good.id,
        snapshot: await realSnapshot(),
        finish,
        validateSnapshot: validatePolicySnapshot,
      });
      expect(promoted.run).toMatchObject({
        status: "succeeded",
        promoted: true,
        policyVersionId: promoted.version.id,
        rowsRead: 100,
      });
      expect(await getTrainingRun(db, good.id)).toMatchObject({
        status: "succeeded",
        promoted: true,
        policyVersionId: promoted.version.id,
      });
      expect(await readActivePolicyVersionId(db)).toBe(promoted.version.id);
      // A run promotes once: it is no longer running.
      await expect(
        promoteTrainingRun(db, {
          trainingRunId: good.id,
          snapshot: await realSnapshot(),
          finish,
          validateSnapshot: validatePolicySnapshot,
        }),
      ).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: `training run ${good.id} is not running (status succeeded)`,
      });
    });
  });

  describe("abandoned runs and listings", () => {
    it("abandon the running runs of one cadence only, with the reason; list runs and versions newest first, the active one marked", async () => {
      const { db } = database;
      const done = await succeededRun(db);
      const stuckA = await startTrainingRun(db, { cadence: "prod" });
      const stuckB = await startTrainingRun(db, { cadence: "prod" });
      const warm = await startTrainingRun(db, { cadence: "synthetic_warmup" });
      const abandoned = await abandonRunningRuns(db, "prod", "abandoned: its process died");
      expect(abandoned.map((r) => r.id)).toEqual([stuckA.id, stuckB.id]);
      for (const run of abandoned) {
        expect(run).toMatchObject({ status: "abandoned", error: "abandoned: its process died", promoted: false });
        expect(run.finishedAt).toBeInstanceOf(Date);
      }
      expect((await getTrainingRun(db, warm.id))?.status).toBe("running");
      expect((await getTrainingRun(db, done))?.status).toBe("succeeded");
      expect(await abandonRunningRuns(db, "prod", "again")).toEqual([]);
      await expect(abandonRunningRuns(db, "weekly" as never, "x")).rejects.toThrow(
        /cadence must be 'prod' or 'synthetic_warmup'; received "weekly"/,
      );
      await expect(abandonRunningRuns(db, "prod", "")).rejects.toThrow(
        /reason must be a non-empty string; received ""/,
      );
      // An abandoned run cannot be finished, failed or promoted afterwards.
      await expect(finishTrainingRun(db, stuckA.id, { rowsRead: 1, rowsRejected: 0, cells: 1 })).rejects.toMatchObject({
        message: `training run ${stuckA.id} is not running (status abandoned)`,
      });

      const runs = await listTrainingRuns(db);
      expect(runs.map((r) => r.id)).toEqual([warm.id, stuckB.id, stuckA.id, done]);
      expect((await listTrainingRuns(db, { cadence: "synthetic_warmup" })).map((r) => r.id)).toEqual([warm.id]);
      expect((await listTrainingRuns(db, { limit: 2 })).map((r) => r.id)).toEqual([warm.id, stuckB.id]);

      const older = await insertPolicyVersion(db, { trainingRunId: done, snapshot: bytes(13) });
      const newer = await insertPolicyVersion(db, { trainingRunId: done, snapshot: bytes(14) });
      await activatePolicyVersion(db, older.id, acceptAny);
      const versions = await listPolicyVersions(db);
      expect(versions.map((v) => [v.id, v.active])).toEqual([
        [newer.id, false],
        [older.id, true],
      ]);
      expect(versions[1]?.activatedAt).toBeInstanceOf(Date);
      expect(versions[0]?.activatedAt).toBeNull();
      expect(versions[0]).toMatchObject({ trainingRunId: done, byteLength: 1000, sha256: sha256Hex(bytes(14)) });
      await expect(listPolicyVersions(db, { limit: 0 })).rejects.toThrow(
        /limit must be a positive integer; received 0/,
      );
    });
  });

  describe("advisory locks", () => {
    it("let one holder in at a time, and free the name on release", async () => {
      const { db } = database;
      const lock = await tryAcquireAdvisoryLock(db, "cadence:prod");
      expect(lock).not.toBeNull();
      expect(await tryAcquireAdvisoryLock(db, "cadence:prod")).toBeNull();
      const other = await tryAcquireAdvisoryLock(db, "cadence:synthetic_warmup");
      expect(other).not.toBeNull();
      await expect(withAdvisoryLock(db, "cadence:prod", async () => "ran")).rejects.toMatchObject({
        code: "LOCKED",
        message: expect.stringMatching(/the lock "cadence:prod" is held by another run/),
      });
      await lock?.release();
      await other?.release();
      expect(await withAdvisoryLock(db, "cadence:prod", async () => "ran")).toBe("ran");
      expect(await withAdvisoryLock(db, "cadence:prod", async () => "again")).toBe("again");
    });

    if (backend.name === "postgres") {
      it("exclude another process's handle (another session) too", async () => {
        const { db, fresh } = database;
        const elsewhere = await openDatabase(fresh.options);
        try {
          const lock = await tryAcquireAdvisoryLock(db, "cadence:prod");
          expect(await tryAcquireAdvisoryLock(elsewhere, "cadence:prod")).toBeNull();
          await lock?.release();
          const theirs = await tryAcquireAdvisoryLock(elsewhere, "cadence:prod");
          expect(theirs).not.toBeNull();
          await theirs?.release();
        } finally {
          await elsewhere.close();
        }
      });
    }
  });
});
