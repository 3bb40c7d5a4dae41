/**
 * The job queue of distributed refits: pg-boss (an optional peer dependency) in its own schema of
 * the same PostgreSQL, with two queues — one job per shard of a refit's training read, and the
 * daily prod cadence fired by the queue's cron.
 *
 * Why pg-boss 10: it runs on Node 20 (11 and later need Node 22; graphile-worker 0.18 too), needs
 * only `pg` and two small packages, and a job whose worker died is failed after its expiry by any
 * running instance's maintenance and retried — so a shard of a worker killed mid-read is taken by
 * another worker within `expireInSeconds` (graphile-worker 0.16/0.17 keeps a crashed worker's job
 * locked for four hours). Its cron (`schedule`) enqueues one job per tick however many workers
 * run it. The queue's result mechanism (a job's output JSON) is not used for statistics: they go,
 * as exact bytes, to the table refit_shard_results (migration 010).
 */
import type PgBossType from "pg-boss";
import { StoreError } from "../store/index.js";
import type { ShardRequest } from "./shard-work.js";

/** The schema pg-boss keeps its tables in. */
export const QUEUE_SCHEMA = "linucb_queue";
/** One job per shard of a refit's training read. */
export const SHARD_QUEUE = "linucb-refit-shard";
/** The prod cadence, fired by the queue's cron (`linucb worker --schedule`). */
export const CADENCE_QUEUE = "linucb-cadence";

/** A shard job's data. */
export interface ShardJob {
  /** The refit's batch: where results are written (refit_shard_results.batch_id). */
  readonly batchId: string;
  readonly request: ShardRequest;
}

/** Timings of the queue. */
export interface QueueTimings {
  /**
   * How long a shard may run before it is taken for dead and retried (a killed worker's shard waits
   * this long). Longer than the slowest shard. @default 3600
   */
  readonly expireInSeconds?: number;
  /** Retries of a failed or expired shard before the refit fails. @default 2 */
  readonly retryLimit?: number;
  /** Seconds between a failure and the retry. @default 1 */
  readonly retryDelaySeconds?: number;
  /** How often an idle worker asks for a job (pg-boss polls; minimum 0.5). @default 0.5 */
  readonly pollingIntervalSeconds?: number;
  /** How often expired jobs are looked for (by every running instance). @default 30 */
  readonly maintenanceIntervalSeconds?: number;
}

/** Timings with defaults applied. */
export type ResolvedQueueTimings = Required<QueueTimings>;

/** Applies the defaults. */
export function queueTimings(timings: QueueTimings = {}): ResolvedQueueTimings {
  return {
    expireInSeconds: timings.expireInSeconds ?? 3600,
    retryLimit: timings.retryLimit ?? 2,
    retryDelaySeconds: timings.retryDelaySeconds ?? 1,
    pollingIntervalSeconds: timings.pollingIntervalSeconds ?? 0.5,
    maintenanceIntervalSeconds: timings.maintenanceIntervalSeconds ?? 30,
  };
}

/** Loads pg-boss, or says which package to install. */
async function loadPgBoss(): Promise<typeof PgBossType> {
  try {
    return (await import("pg-boss")).default;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw error;
    throw new StoreError(
      "CONNECTION",
      "the job queue needs the package pg-boss (version 10), an optional peer dependency of linucb: " +
        "npm install pg-boss@10",
      { cause: error },
    );
  }
}

/**
 * Starts a pg-boss instance on `databaseUrl` (creating its schema on first use) with both queues
 * created. `schedule`: whether this instance runs the cron monitor. Stop it with `boss.stop()`.
 */
export async function startQueue(
  databaseUrl: string,
  timings: ResolvedQueueTimings,
  options: { readonly schedule: boolean; readonly onError: (error: Error) => void },
): Promise<PgBossType> {
  const PgBoss = await loadPgBoss();
  const boss = new PgBoss({
    connectionString: databaseUrl,
    schema: QUEUE_SCHEMA,
    max: 4,
    supervise: true,
    schedule: options.schedule,
    maintenanceIntervalSeconds: timings.maintenanceIntervalSeconds,
  });
  boss.on("error", options.onError);
  await boss.start();
  await retryOnDeadlock(() =>
    boss.createQueue(SHARD_QUEUE, {
      name: SHARD_QUEUE,
      retryLimit: timings.retryLimit,
      retryDelay: timings.retryDelaySeconds,
      expireInSeconds: timings.expireInSeconds,
    }),
  );
  // A failed cadence run is recorded as failed; the next tick runs again (no retry of a day's run).
  // pg-boss expires an active job after 15 minutes by default and records it failed while the run
  // goes on (and may still promote): a cadence job may run for hours, so it gets the longest expiry
  // pg-boss allows (under 24 h); the cadence's advisory lock, not the expiry, keeps runs apart.
  await retryOnDeadlock(() =>
    boss.createQueue(CADENCE_QUEUE, {
      name: CADENCE_QUEUE,
      retryLimit: 0,
      expireInSeconds: CADENCE_JOB_EXPIRY_SECONDS,
    }),
  );
  return boss;
}

/** How long a scheduled cadence job may run before pg-boss calls it expired: 23 hours. */
const CADENCE_JOB_EXPIRY_SECONDS = 23 * 60 * 60;

/** PostgreSQL's SQLSTATE for a deadlock: the transaction was rolled back and may simply be retried. */
const DEADLOCK_DETECTED = "40P01";

/**
 * Runs `operation`, retrying it (up to 5 attempts, with a short random back-off) when PostgreSQL
 * breaks a deadlock by rolling it back. Workers that start together each create the same queues,
 * and pg-boss's queue creation (a row plus a partition table) can deadlock with itself across
 * processes: seen in CI with two `linucb worker` processes started at once.
 */
async function retryOnDeadlock<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if ((error as { code?: unknown }).code !== DEADLOCK_DETECTED || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 80 * attempt));
    }
  }
}
