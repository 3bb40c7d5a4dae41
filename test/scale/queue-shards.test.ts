/**
 * The training read distributed over the job queue (pg-boss) to `linucb worker` processes: with two
 * worker processes against PostgreSQL the merged read equals the single-threaded one (1e-12); a
 * worker killed mid-shard has its shard retried by the other and the result is still equal; a
 * shard that fails for good, or shards no worker takes, fail the read with nothing merged and the
 * batch's results deleted. On PGlite the queue reader reads in-process and says why. The workers
 * run the build (dist/): `npm run build` first (npm test does).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { SliceRead } from "../../src/cadence/corpus-refit.js";
import { CoverageCollector } from "../../src/cadence/coverage.js";
import { IntegrityCollector } from "../../src/cadence/integrity.js";
import { createLinUCB } from "../../src/engine/linucb.js";
import { type QueueTrainingOptions, queueTrainingReader } from "../../src/scale/queue-training.js";
import { CADENCE_QUEUE, queueTimings, startQueue } from "../../src/scale/shard-queue.js";
import type { Db } from "../../src/store/index.js";
import { migrateUp } from "../../src/store/migrator.js";
import { describeOnBackends, useFreshDatabase } from "../store/backends.js";
import { ARMS, ENGINE, expectSameRead, insertCorpus, type ReadOutcome, singleRead, trainingSlice } from "./fixtures.js";

const bin = fileURLToPath(new URL("../../dist/src/cli/bin.js", import.meta.url));

/** A `linucb worker` process and its log so far. */
interface WorkerProcess {
  readonly child: ChildProcess;
  log: string;
  /** Resolves when the log matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

function startWorker(databaseUrl: string, extra: readonly string[] = []): WorkerProcess {
  const child = spawn(
    process.execPath,
    [
      "--experimental-wasm-relaxed-simd",
      bin,
      "worker",
      "--database-url",
      databaseUrl,
      "--maintenance-interval",
      "1",
      ...extra,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const worker: WorkerProcess = {
    child,
    log: "",
    waitFor: (pattern, timeoutMs = 100_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${pattern} in the worker's log:\n${worker.log}`)),
          timeoutMs,
        );
        const check = (): void => {
          if (!pattern.test(worker.log)) return;
          clearTimeout(timer);
          child.stderr!.off("data", check);
          resolve();
        };
        child.stderr!.on("data", check);
        check();
      }),
  };
  child.stderr!.on("data", (data: Buffer) => {
    worker.log += data.toString();
  });
  return worker;
}

async function stopWorker(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  const exited = new Promise((resolve) => worker.child.once("exit", resolve));
  worker.child.kill("SIGTERM");
  await exited;
}

async function queueRead(
  db: Db,
  slice: SliceRead,
  options: QueueTrainingOptions,
): Promise<ReadOutcome & { fallbacks: string[] }> {
  const engine = await createLinUCB(ENGINE);
  const integrity = new IntegrityCollector();
  const coverage = new CoverageCollector(ARMS);
  const fallbacks: string[] = [];
  const read = queueTrainingReader({ ...options, onFallback: (reason) => fallbacks.push(reason) });
  const totals = await read(db, engine, slice, { integrity, coverage, onProgress: () => undefined });
  engine.finalize();
  return { engine, totals, integrity, coverage, fallbacks };
}

async function leftoverResults(db: Db): Promise<number> {
  const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM refit_shard_results");
  return rows[0]!.n;
}

describeOnBackends("training read distributed over the job queue", (backend) => {
  const database = useFreshDatabase(backend);
  let slice: SliceRead;
  let single: ReadOutcome;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    await migrateUp(database.db);
    await insertCorpus(database.db);
    slice = await trainingSlice(database.db);
    single = await singleRead(database.db, slice);
  });
  afterAll(async () => {
    await Promise.all(workers.map(stopWorker));
  });

  if (backend.name === "pglite") {
    it("reads in-process on the embedded database, says why, and gives the single read's result", async () => {
      const sharded = await queueRead(database.db, slice, {
        databaseUrl: "postgres://unused@127.0.0.1:1/x",
        shards: 2,
      });
      expect(sharded.fallbacks).toEqual([expect.stringContaining("embedded database")]);
      expectSameRead(sharded, single);
    });
    return;
  }

  beforeAll(async () => {
    const url = database.fresh.options.databaseUrl!;
    workers.push(startWorker(url), startWorker(url));
    // A loaded machine may take long to start two processes that create the queue's schema at once.
    await Promise.all(workers.map((worker) => worker.waitFor(/taking shard jobs/)));
  }, 240_000);

  it("equals the single-threaded read with 4 shards over 2 worker processes (1e-12)", async () => {
    const url = database.fresh.options.databaseUrl!;
    const sharded = await queueRead(database.db, slice, { databaseUrl: url, shards: 4, timeoutSeconds: 60 });
    expect(sharded.fallbacks).toEqual([]);
    expectSameRead(sharded, single);
    // Both processes took shards, and the coordinator left no result behind.
    for (const worker of workers) expect(worker.log).toMatch(/done batch [0-9a-f-]+ shard \d/);
    expect(await leftoverResults(database.db)).toBe(0);
  }, 240_000);

  it("retries the shard of a worker killed mid-read on the other worker, and still equals the single read", async () => {
    const url = database.fresh.options.databaseUrl!;
    const [victim, survivor] = workers;
    // One-row pages make a shard take long enough to be killed in the middle of it.
    const slow = { ...slice, chunkSize: 1 };
    victim!.log = "";
    survivor!.log = "";
    const reading = queueRead(database.db, slow, {
      databaseUrl: url,
      shards: 2,
      timeoutSeconds: 90,
      timings: { expireInSeconds: 10, retryLimit: 2, retryDelaySeconds: 1, maintenanceIntervalSeconds: 1 },
    });
    await victim!.waitFor(/reading batch/);
    victim!.child.kill("SIGKILL");
    const sharded = await reading;
    expectSameRead(sharded, single);
    expect(victim!.log).not.toMatch(/done batch/);
    // The survivor read its own shard and the victim's retried one (a loaded machine may even see a
    // slow retry expire and run again: at least twice, then).
    expect(survivor!.log.match(/done batch/g)?.length).toBeGreaterThanOrEqual(2);
  }, 240_000);

  it("fails the read, with nothing merged, when a shard fails for good or no worker takes the shards", async () => {
    const url = database.fresh.options.databaseUrl!;
    const integrity = new IntegrityCollector();
    const coverage = new CoverageCollector(ARMS);
    const observers = { integrity, coverage, onProgress: () => undefined };
    // A slow duplicate of an expired shard of the test before may have written after its batch closed.
    await database.db.exec("DELETE FROM refit_shard_results");
    // A shard that cannot be read (chunkSize 0 is refused by the reader), no retries left.
    const engine = await createLinUCB(ENGINE);
    const failing = queueTrainingReader({
      databaseUrl: url,
      shards: 2,
      timeoutSeconds: 60,
      timings: { retryLimit: 0 },
    });
    await expect(failing(database.db, engine, { ...slice, chunkSize: 0 }, observers)).rejects.toThrow(
      /shard \d of batch [0-9a-f-]+ failed on the queue after 1 attempt\(s\): .*chunkSize must be an integer/,
    );
    // No worker running: the wait times out.
    await Promise.all(workers.map(stopWorker));
    const unattended = queueTrainingReader({ databaseUrl: url, shards: 2, timeoutSeconds: 2 });
    await expect(unattended(database.db, engine, slice, observers)).rejects.toThrow(
      /timed out after 2 s: 0 of 2 shards done/,
    );
    expect(engine.cells()).toEqual([]);
    expect(integrity.read.accepted).toBe(0);
    expect(coverage.finish().rows).toBe(0);
    expect(await leftoverResults(database.db)).toBe(0);
  }, 240_000);

  it("registers the daily cadence on the queue's cron, and a cadence job runs the prod cadence sharded over the workers", async () => {
    const url = database.fresh.options.databaseUrl!;
    const scheduler = startWorker(url, ["--schedule", "0 3 * * *", "--workers", "2", "--queue-timeout", "60"]);
    const helper = startWorker(url);
    workers.push(scheduler, helper);
    await scheduler.waitFor(/scheduled on the queue at "0 3 \* \* \*"/);
    await helper.waitFor(/taking shard jobs/);
    const { rows } = await database.db.query<{ name: string; cron: string }>(
      "SELECT name, cron FROM linucb_queue.schedule",
    );
    expect(rows).toEqual([{ name: CADENCE_QUEUE, cron: "0 3 * * *" }]);
    // What the cron enqueues at 03:00, enqueued now.
    const boss = await startQueue(url, queueTimings(), { schedule: false, onError: () => undefined });
    try {
      await boss.send(CADENCE_QUEUE, {});
    } finally {
      await boss.stop({ graceful: false, wait: true, timeout: 1000 });
    }
    const ran = [scheduler, helper].map((worker) => worker.waitFor(/cadence job: run \d+/, 90_000));
    await Promise.any(ran);
    const run = await database.db.query<{ cadence: string; status: string }>(
      "SELECT cadence, status FROM training_runs ORDER BY id DESC LIMIT 1",
    );
    expect(run.rows[0]).toEqual({ cadence: "prod", status: "succeeded" });
    // Its training read went through the queue: the workers logged its shards.
    expect(scheduler.log + helper.log).toMatch(/done batch [0-9a-f-]+ shard 1/);
  }, 240_000);
});
