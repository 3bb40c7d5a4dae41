/**
 * The hook through which a refit's training slice can be read by something other than the
 * in-process reader: the sharded readers of src/scale (worker threads, queue workers on other
 * machines), which the CLI plugs in with `--workers N` / `--queue`. The cadence never imports
 * src/scale; it calls whatever reader its options carry, or reads in-process.
 *
 * A reader's contract: accumulate into `engine` exactly the rows `accumulateSlice(db, engine,
 * slice)` would (same table filter, split side, bounds; rejected and unjudged rows counted, never
 * fed), add what it read to `integrity` and `coverage` as the per-chunk path does, and resolve to
 * the read's totals; or throw with the engine and both collectors unchanged.
 */
import type { LinUCBEngine } from "../engine/types.js";
import type { CorpusReadTotals, Db } from "../store/index.js";
import type { SliceRead } from "./corpus-refit.js";
import type { CoverageCollector } from "./coverage.js";
import type { IntegrityCollector } from "./integrity.js";

/** Where a training reader reports what it read. */
export interface TrainingReadObservers {
  readonly integrity: IntegrityCollector;
  readonly coverage: CoverageCollector;
  /** Rows scanned so far (all shards together), for the progress line. */
  readonly onProgress: (scanned: number) => void;
}

/** Reads a refit's training slice into `engine`; see the module comment. */
export type TrainingReader = (
  db: Db,
  engine: LinUCBEngine,
  slice: SliceRead,
  observers: TrainingReadObservers,
) => Promise<CorpusReadTotals>;
