/**
 * Everything the contenders of one problem shape (d, cells) are timed on, generated once per
 * shape: a warm-up block that trains every model a little before any timing (so selects score
 * realistic models, not the prior), the timed event blocks and bursts, and the refit rows.
 */
import { generateEvents, toBursts, type Burst, type EventBlock, type ProblemShape } from "./workload.js";

/** Sizes of the pre-generated blocks: each timed iteration processes one whole block. */
export interface BlockSizes {
  /** Events per iteration of a fast implementation (engine, careful JS). */
  readonly events: number;
  /** Events per iteration of a slow implementation (reference, ml-matrix), a prefix of the fast block. */
  readonly slowEvents: number;
  /** Contexts per batched-select call (one burst of requests for one cell). */
  readonly burst: number;
  /** Rows per refit of a fast implementation. */
  readonly refitRows: number;
  /** Rows per refit of a slow implementation. */
  readonly slowRefitRows: number;
}

/** The data of one problem shape. */
export interface Problem {
  readonly shape: ProblemShape;
  readonly sizes: BlockSizes;
  /** Trains every model before timing: 4 events per model, at least 256. */
  readonly warm: EventBlock;
  /** The timed block of a fast implementation. */
  readonly events: EventBlock;
  /** The timed block of a slow implementation (a prefix of `events`: same stream, same seed). */
  readonly slowEvents: EventBlock;
  /** `events` cut into bursts of `sizes.burst` contexts, one cell per burst. */
  readonly bursts: readonly Burst[];
  /** `slowEvents` cut into bursts. */
  readonly slowBursts: readonly Burst[];
  /** Refit rows of a fast implementation. */
  readonly refitRows: EventBlock;
  /** Refit rows of a slow implementation (a prefix of `refitRows`). */
  readonly slowRefitRows: EventBlock;
}

/** Generates the data of one shape; every block derives from `seed`. */
export function buildProblem(shape: ProblemShape, sizes: BlockSizes, seed: number): Problem {
  const models = shape.cells * 8;
  const warm = generateEvents(shape, Math.max(256, 4 * models), seed);
  const events = generateEvents(shape, sizes.events, seed + 1);
  const slowEvents = generateEvents(shape, Math.min(sizes.slowEvents, sizes.events), seed + 1);
  const refitRows = generateEvents(shape, sizes.refitRows, seed + 2);
  const slowRefitRows = generateEvents(shape, Math.min(sizes.slowRefitRows, sizes.refitRows), seed + 2);
  return {
    shape,
    sizes,
    warm,
    events,
    slowEvents,
    bursts: toBursts(events, sizes.burst),
    slowBursts: toBursts(slowEvents, sizes.burst),
    refitRows,
    slowRefitRows,
  };
}
