/**
 * A refit's training read split by id range: the shard plan (equal row counts, from the store),
 * the shards run somewhere — worker threads here, queue workers in ./queue-training.ts — and their
 * statistics merged into the refit engine in shard order. Plugged into the cadence as its
 * `readTraining` option (src/cadence/training-reader.ts).
 *
 * When it reads in-process instead (said in `onFallback`): on the embedded database (PGlite is one
 * in-process connection: a thread cannot open it, and there would be nothing to parallelize), and
 * with a discount below 1 (discounted sums of two id ranges cannot be added: the order of the rows
 * within a model matters, and the engine refuses such a merge).
 */
import { accumulateSlice, type SliceRead } from "../cadence/corpus-refit.js";
import { describeValue } from "../shared/describe-value.js";
import type { TrainingReader, TrainingReadObservers } from "../cadence/training-reader.js";
import type { LinUCBEngine } from "../engine/types.js";
import { planCorpusShards, resolveRowBounds, type CorpusReadTotals, type Db } from "../store/index.js";
import { applyShards, mergeShardTotals } from "./merge-shards.js";
import type { ShardRequest, ShardResult } from "./shard-work.js";
import { runShardsOnThreads } from "./thread-shards.js";

/** Runs shard requests somewhere and returns their results (any order), or throws with none applied. */
export type ShardRunner = (
  requests: readonly ShardRequest[],
  onProgress: (scanned: number) => void,
  db: Db,
) => Promise<ShardResult[]>;

/**
 * What an incremental refit adds to a slice read (issue 14 item 3: `idAfter`, the base's
 * high-water mark, and `forgetting`, the per-day discount by row age), read structurally so that
 * this reader honours them whichever lands first.
 */
interface IncrementalFields {
  readonly idAfter?: number;
  readonly forgetting?: { readonly dailyDiscount: number };
}

/** Why a sharded read must run in-process on this database, engine and slice, or null if it need not. */
export function inProcessReason(db: Db, engine: LinUCBEngine, slice?: SliceRead): string | null {
  if (db.backend === "pglite") return "the embedded database is one in-process connection: read in-process";
  if (engine.options.discount !== 1) {
    return `a discount of ${engine.options.discount} makes the order of rows matter: read in-process`;
  }
  const forgetting = (slice as IncrementalFields | undefined)?.forgetting;
  if (forgetting !== undefined && forgetting.dailyDiscount !== 1) {
    return `the shards do not weigh rows by age yet (daily discount ${forgetting.dailyDiscount}): read in-process`;
  }
  return null;
}

/** The shard requests of a training read cut into `count` id ranges of equal row counts. */
export async function planShardRequests(
  db: Db,
  engine: LinUCBEngine,
  slice: SliceRead,
  count: number,
): Promise<{ requests: ShardRequest[]; highWaterId: number | null; afterId: number }> {
  const bounds = resolveRowBounds(slice.bounds, "bounds");
  const afterId = (slice as IncrementalFields).idAfter ?? 0;
  const read = {
    table: slice.table,
    dimension: slice.dimension,
    ...(slice.split === undefined ? {} : { split: slice.split }),
  };
  if (slice.createdFrom !== undefined || slice.createdBefore !== undefined) {
    // Not used by the refit; refused rather than silently widened.
    throw new RangeError("a sharded read takes the split side, not createdFrom / createdBefore");
  }
  const plan = await planCorpusShards(db, { ...read, afterId }, count);
  const requests = plan.shards.map(
    (shard): ShardRequest => ({
      ...read,
      arms: [...engine.arms],
      discount: engine.options.discount,
      chunkSize: slice.chunkSize,
      bounds,
      shard,
    }),
  );
  return { requests, highWaterId: plan.highWaterId, afterId };
}

/**
 * A training reader that cuts the read into `shards` id ranges and runs them with `run`; reads
 * in-process where sharding cannot apply (see the module comment), telling `onFallback` why.
 */
export function shardedTrainingReader(
  shards: number,
  run: ShardRunner,
  onFallback: (reason: string) => void = () => undefined,
): TrainingReader {
  return async (db, engine, slice, observers): Promise<CorpusReadTotals> => {
    const reason = inProcessReason(db, engine, slice);
    if (reason !== null) {
      onFallback(reason);
      return readInProcess(db, engine, slice, observers);
    }
    const { requests, highWaterId, afterId } = await planShardRequests(db, engine, slice, shards);
    const results = await run(requests, observers.onProgress, db);
    if (results.length !== requests.length) {
      throw new Error(`${requests.length} shards were planned but ${results.length} results came back`);
    }
    applyShards(results, engine, observers);
    // As the single reader: the high-water id is the read's lower bound when no row matched.
    return mergeShardTotals(results, highWaterId ?? afterId, afterId);
  };
}

/** The training reader of `linucb cadence --workers N`: N worker threads, each with its own connection. */
export function threadTrainingReader(
  workers: number,
  databaseUrl: string | undefined,
  onFallback?: (reason: string) => void,
): TrainingReader {
  if (!Number.isInteger(workers) || workers < 1) {
    throw new RangeError(`workers must be a positive integer; received ${describeValue(workers)}`);
  }
  return shardedTrainingReader(
    workers,
    (requests, onProgress) => {
      if (databaseUrl === undefined) throw new Error("worker threads need the database URL to open their connections");
      return runShardsOnThreads(requests, databaseUrl, onProgress);
    },
    onFallback,
  );
}

/** The single reader, reporting to the same observers. */
async function readInProcess(
  db: Db,
  engine: LinUCBEngine,
  slice: SliceRead,
  observers: TrainingReadObservers,
): Promise<CorpusReadTotals> {
  return accumulateSlice(db, engine, slice, (chunk, totals) => {
    observers.integrity.add(chunk);
    observers.coverage.add(chunk);
    observers.onProgress(totals.scanned);
  });
}
