/**
 * A batch of held-out rows as the evaluation reads them: logged events over the run's action space,
 * with each event's cell (a policy scores an event in its cell). The held-out slice is never kept
 * whole: each chunk of the reader becomes one batch, is scored and summed (./offline-evaluation.ts,
 * ./report-data.ts), and is let go, so the evaluation's memory does not grow with the slice.
 */
import { createLoggedEvents, type LoggedEvents } from "../evaluation/index.js";
import type { CorpusChunk } from "../store/index.js";

/** Logged events of held-out rows, with each event's cell. */
export interface HeldOutSlice {
  readonly events: LoggedEvents;
  /** The cell of event i. */
  readonly cells: readonly string[];
}

/** One chunk of the held-out read as a batch over the action space `arms` (the chunk must not be empty). */
export function heldOutBatch(chunk: CorpusChunk, arms: readonly string[]): HeldOutSlice {
  const events = createLoggedEvents({
    actions: chunk.arms,
    actionIds: arms,
    rewards: chunk.rewards,
    propensities: chunk.propensities,
    contexts: chunk.contexts,
    dimension: chunk.dimension,
  });
  return { events, cells: chunk.cells };
}
