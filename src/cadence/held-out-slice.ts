/**
 * The held-out slice: the newest rows of the corpus, kept whole (as columns) because every
 * estimator and its bootstrap runs over all of them. It is the evaluation's share of the corpus
 * (20% by default), read through the same streaming reader as the refit.
 */
import { createLoggedEvents, type LoggedEvents } from "../evaluation/index.js";
import type { CorpusChunk } from "../store/index.js";

/** Logged events of the held-out slice, with each event's cell (a policy scores an event in its cell). */
export interface HeldOutSlice {
  readonly events: LoggedEvents;
  /** The cell of event i. */
  readonly cells: readonly string[];
}

/** Collects held-out chunks into one slice over the action space `arms`. */
export class HeldOutCollector {
  private readonly chunks: CorpusChunk[] = [];
  private rows = 0;

  constructor(
    private readonly arms: readonly string[],
    private readonly dimension: number,
  ) {}

  /** Keeps a chunk (its arrays are its own: the reader hands out fresh ones). */
  add(chunk: CorpusChunk): void {
    this.chunks.push(chunk);
    this.rows += chunk.length;
  }

  /** Rows collected so far. */
  get length(): number {
    return this.rows;
  }

  /** The slice as logged events; the chunks are released. */
  finish(): HeldOutSlice {
    const n = this.rows;
    const d = this.dimension;
    const contexts = new Float64Array(n * d);
    const rewards = new Float64Array(n);
    const propensities = new Float64Array(n);
    const actions: string[] = new Array<string>(n);
    const cells: string[] = new Array<string>(n);
    let at = 0;
    for (const chunk of this.chunks) {
      contexts.set(chunk.contexts, at * d);
      rewards.set(chunk.rewards, at);
      propensities.set(chunk.propensities, at);
      for (let i = 0; i < chunk.length; i++) {
        actions[at + i] = chunk.arms[i] as string;
        cells[at + i] = chunk.cells[i] as string;
      }
      at += chunk.length;
    }
    this.chunks.length = 0;
    const events = createLoggedEvents({ actions, actionIds: this.arms, rewards, propensities, contexts, dimension: d });
    return { events, cells };
  }
}
