/**
 * The streaming refit: a corpus read chunk by chunk into an engine's sufficient statistics
 * (accumulate), never held whole. The caller finalizes when it wants the models; the statistics
 * of two reads add up, so the training slice and then the held-out slice can be streamed into the
 * same engine, with a finalize (and a copy of the models) in between.
 */
import type { LinUCBEngine } from "../engine/types.js";
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
  });
  for await (const chunk of reader) {
    if (chunk.length > 0) engine.accumulate(chunk);
    await onChunk(chunk, reader.totals);
  }
  return reader.totals;
}
