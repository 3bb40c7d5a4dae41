/**
 * A queue worker (`linucb worker`): takes shard jobs from the queue, reads each shard into
 * statistics with its own connection and engine (./shard-work.ts), and writes the result to
 * refit_shard_results for the coordinator; run as many as you like, on any machine that reaches the
 * database. With a cadence runner it also takes the cron-fired prod cadence jobs; with `schedule`
 * it registers the cron (idempotent: every worker may say the same).
 */
import { hostname } from "node:os";
import { describeValue } from "../shared/describe-value.js";
import { type Db, openDatabase, writeShardResult } from "../store/index.js";
import {
  CADENCE_QUEUE,
  SHARD_QUEUE,
  type QueueTimings,
  type ShardJob,
  queueTimings,
  startQueue,
} from "./shard-queue.js";
import { accumulateShard } from "./shard-work.js";
import { encodeStatistics, shardSummary } from "./statistics-codec.js";

/** Options of {@link startQueueWorker}. */
export interface QueueWorkerOptions {
  readonly databaseUrl: string;
  /** Shards this process reads at a time. @default 1 */
  readonly concurrency?: number;
  readonly timings?: QueueTimings;
  /** A cron expression (UTC) for the daily prod cadence, registered on the queue. */
  readonly schedule?: string;
  /** Runs one prod cadence (a cron tick); without it this worker takes no cadence jobs. */
  readonly runCadence?: (db: Db) => Promise<string>;
  /** One line per event (shard taken, done, failed). */
  readonly log?: (line: string) => void;
}

/** A running worker. */
export interface QueueWorker {
  /** Stops taking jobs, waits for the current ones (failing them after 30 s), closes the connections. */
  stop(): Promise<void>;
}

/** Starts a queue worker; see the module comment. */
export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer; received ${describeValue(concurrency)}`);
  }
  const log = options.log ?? (() => undefined);
  const timings = queueTimings(options.timings);
  const db = await openDatabase({ databaseUrl: options.databaseUrl, onWarning: log });
  const worker = `${hostname()}:${process.pid}`;
  const boss = await startQueue(options.databaseUrl, timings, {
    schedule: true,
    onError: (error) => log(`queue error: ${error.message}`),
  }).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  const work = { batchSize: 1, pollingIntervalSeconds: timings.pollingIntervalSeconds };
  for (let i = 0; i < concurrency; i++) {
    await boss.work<ShardJob>(SHARD_QUEUE, work, async ([job]) => {
      const { batchId, request } = job!.data;
      const shard =
        `batch ${batchId} shard ${request.shard.index} ` +
        `(ids ${request.shard.afterId + 1}–${request.shard.throughId})`;
      log(`reading ${shard}`);
      try {
        const result = await accumulateShard(db, request);
        await writeShardResult(db, {
          batchId,
          shardIndex: request.shard.index,
          statistics: encodeStatistics(result.statistics),
          summary: shardSummary(result),
          worker,
        });
        log(`done ${shard}: ${result.totals.accepted} rows accepted of ${result.totals.scanned}`);
      } catch (error) {
        log(`failed ${shard}: ${(error as Error).message}`);
        throw error;
      }
    });
  }
  const runCadence = options.runCadence;
  if (runCadence !== undefined) {
    await boss.work(CADENCE_QUEUE, work, async () => {
      log("cadence job: running the prod cadence");
      log(`cadence job: ${await runCadence(db)}`);
    });
  }
  if (options.schedule !== undefined) {
    await boss.schedule(CADENCE_QUEUE, options.schedule, {}, { tz: "UTC" });
    log(`the prod cadence is scheduled on the queue at "${options.schedule}" (UTC)`);
  }
  return {
    async stop() {
      await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
      await db.close();
    },
  };
}
