/**
 * The coordinator of a distributed refit: the training read's shards become jobs on the queue
 * (./shard-queue.ts), `linucb worker` processes — here or on other machines — take them, and the
 * coordinator waits for every shard's result in refit_shard_results, then merges them in shard
 * order (./sharded-training.ts). The coordinator is the prod cadence itself, holding its advisory
 * lock for the whole run, so two refits never interleave.
 *
 * It fails the read — and so the run, which then promotes nothing — when a shard has failed on
 * every attempt (its retries spent), or when the results are not all in by the timeout; it then
 * cancels the batch's jobs still waiting and deletes the batch's results. A shard still being
 * read then (or the first run of a shard taken for dead and retried) may write after its batch is
 * closed: a row of a batch id never reused, harmless, and deleted by a later refit.
 */
import { randomUUID } from "node:crypto";
import { describeValue } from "../shared/describe-value.js";
import type { TrainingReader } from "../cadence/training-reader.js";
import {
  type Db,
  deleteShardResults,
  deleteStaleShardResults,
  finishedShards,
  readShardResults,
} from "../store/index.js";
import { shardedTrainingReader } from "./sharded-training.js";
import { SHARD_QUEUE, type ShardJob, queueTimings, startQueue, type QueueTimings } from "./shard-queue.js";
import type { ShardRequest, ShardResult } from "./shard-work.js";
import { shardResultFrom } from "./statistics-codec.js";

/** Options of {@link queueTrainingReader}. */
export interface QueueTrainingOptions {
  /** The PostgreSQL of the corpus and of the queue (the workers connect to the same). */
  readonly databaseUrl: string;
  /** Shards to cut the training read into (more shards than workers balance uneven machines). */
  readonly shards: number;
  /** How long to wait for every shard's result, in seconds. @default 3600 */
  readonly timeoutSeconds?: number;
  readonly timings?: QueueTimings;
  /** Where the queue's own errors go. @default ignored */
  readonly onQueueError?: (error: Error) => void;
  /** Told when the read runs in-process instead (embedded database, discount below 1). */
  readonly onFallback?: (reason: string) => void;
}

/** Results older than this (two days) belong to no running batch: a batch waits at most its timeout. */
const STALE_RESULT_SECONDS = 2 * 86_400;

/** How often the coordinator looks at the batch. */
const POLL_MS = 250;

/** The training reader of `linucb cadence --queue`: see the module comment. */
export function queueTrainingReader(options: QueueTrainingOptions): TrainingReader {
  const timeoutSeconds = options.timeoutSeconds ?? 3600;
  if (typeof timeoutSeconds !== "number" || !(timeoutSeconds > 0) || !Number.isFinite(timeoutSeconds)) {
    throw new RangeError(`timeoutSeconds must be a finite number > 0; received ${describeValue(timeoutSeconds)}`);
  }
  return shardedTrainingReader(
    options.shards,
    (requests, onProgress, db) => runShardsOnQueue(requests, db, { ...options, timeoutSeconds }, onProgress),
    options.onFallback,
  );
}

async function runShardsOnQueue(
  requests: readonly ShardRequest[],
  db: Db,
  options: QueueTrainingOptions & { readonly timeoutSeconds: number },
  onProgress: (scanned: number) => void,
): Promise<ShardResult[]> {
  const timings = queueTimings(options.timings);
  const boss = await startQueue(options.databaseUrl, timings, {
    schedule: false,
    onError: options.onQueueError ?? (() => undefined),
  });
  const batchId = randomUUID();
  const jobIds: string[] = [];
  try {
    // Leftovers of closed batches (see deleteStaleShardResults), long after any run could use them.
    await deleteStaleShardResults(db, STALE_RESULT_SECONDS);
    for (const request of requests) {
      const job: ShardJob = { batchId, request };
      const id = await boss.send(SHARD_QUEUE, job as unknown as object, {
        retryLimit: timings.retryLimit,
        retryDelay: timings.retryDelaySeconds,
        expireInSeconds: timings.expireInSeconds,
      });
      if (id === null) throw new Error(`the queue refused shard ${request.shard.index} of batch ${batchId}`);
      jobIds.push(id);
    }
    await waitForBatch(db, boss, batchId, jobIds, requests, options.timeoutSeconds, onProgress);
    const stored = await readShardResults(db, batchId);
    return stored.map((row) => shardResultFrom(row.statistics, row.summary));
  } catch (error) {
    if (jobIds.length > 0) await boss.cancel(SHARD_QUEUE, jobIds).catch(() => undefined);
    throw error;
  } finally {
    await deleteShardResults(db, batchId).catch(() => undefined);
    await boss.stop({ graceful: false, wait: true, timeout: 1000 });
  }
}

/** Waits until every shard has a result; throws when one has failed for good or at the timeout. */
async function waitForBatch(
  db: Db,
  boss: Awaited<ReturnType<typeof startQueue>>,
  batchId: string,
  jobIds: readonly string[],
  requests: readonly ShardRequest[],
  timeoutSeconds: number,
  onProgress: (scanned: number) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const finished = await finishedShards(db, batchId);
    const done = new Set(finished.map((shard) => shard.shardIndex));
    onProgress(finished.reduce((sum, shard) => sum + shard.scanned, 0));
    if (done.size === requests.length) return;
    for (const [i, request] of requests.entries()) {
      if (done.has(request.shard.index)) continue;
      const job = await boss.getJobById<ShardJob>(SHARD_QUEUE, jobIds[i]!, { includeArchive: true });
      if (job !== null && (job.state === "failed" || job.state === "cancelled")) {
        const output = job.output as { message?: string; value?: { message?: string } } | null;
        const why = output?.message ?? output?.value?.message ?? "no message";
        throw new Error(
          `shard ${request.shard.index} of batch ${batchId} ${job.state} on the queue ` +
            `after ${job.retryCount + 1} attempt(s): ${why}`,
        );
      }
    }
    if (Date.now() > deadline) {
      throw new Error(
        `the distributed refit timed out after ${timeoutSeconds} s: ${done.size} of ${requests.length} shards done ` +
          "(are `linucb worker` processes running against this database?)",
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
