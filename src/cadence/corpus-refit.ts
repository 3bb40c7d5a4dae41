/**
 * The streaming refit: a corpus read chunk by chunk into an engine's sufficient statistics
 * (accumulate), never held whole. The caller finalizes when it wants the models; the statistics
 * of two reads add up, so the training slice and then the held-out slice can be streamed into the
 * same engine, with a finalize (and a copy of the models) in between.
 *
 * An incremental refit (./refit-plan.ts) reads through the same function with `idAfter` set to the
 * base's high-water mark: only the rows added since. A parallel reader of id ranges can replace it
 * as long as it applies the same filters and the same weighting.
 */
import type { LinUCBEngine } from "../engine/types.js";
import { weightedBatch, type Forgetting } from "./daily-discount.js";
import {
  readCorpus,
  type CorpusChunk,
  type CorpusReadTotals,
  type CorpusSplitSide,
  type CorpusTable,
  type Db,
  type RowBounds,
} from "../store/index.js";

/** One read of a slice of the corpus. */
export interface SliceRead {
  readonly table: CorpusTable;
  readonly dimension: number;
  readonly chunkSize: number;
  /** Only rows created at or after this instant. */
  readonly createdFrom?: Date;
  /** Only rows created before this instant. */
  readonly createdBefore?: Date;
  /** Only one side of the training / held-out split. */
  readonly split?: CorpusSplitSide;
  /** What a valid row may hold (rows outside are rejected by id, never fed). */
  readonly bounds?: RowBounds;
  /** Only rows with id above this one (an incremental refit: the base's high-water mark). @default 0 */
  readonly idAfter?: number;
  /** Weigh each row by its age (./daily-discount.ts); omitted or a discount of 1: every row weighs 1. */
  readonly forgetting?: Forgetting;
}

/**
 * Streams a slice into `engine` (accumulate only), calling `onChunk` after each chunk has been
 * accumulated. Resolves to the read's totals (accepted, rejected, unjudged rows).
 */
export async function accumulateSlice(
  db: Db,
  engine: LinUCBEngine,
  slice: SliceRead,
  onChunk: (chunk: CorpusChunk, totals: CorpusReadTotals) => void | Promise<void> = () => undefined,
): Promise<CorpusReadTotals> {
  const reader = readCorpus(db, {
    table: slice.table,
    dimension: slice.dimension,
    chunkSize: slice.chunkSize,
    ...(slice.createdFrom === undefined ? {} : { createdFrom: slice.createdFrom }),
    ...(slice.createdBefore === undefined ? {} : { createdBefore: slice.createdBefore }),
    ...(slice.split === undefined ? {} : { split: slice.split }),
    ...(slice.bounds === undefined ? {} : { bounds: slice.bounds }),
    ...(slice.idAfter === undefined ? {} : { afterId: slice.idAfter }),
  });
  const forgetting = slice.forgetting?.dailyDiscount === 1 ? undefined : slice.forgetting;
  for await (const chunk of reader) {
    if (chunk.length > 0) engine.accumulate(forgetting === undefined ? chunk : weightedBatch(chunk, forgetting));
    await onChunk(chunk, reader.totals);
  }
  return reader.totals;
}
