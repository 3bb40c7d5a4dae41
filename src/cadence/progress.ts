/**
 * How a cadence tells the outside world where it is: steps that start and finish (with their
 * duration), and progress within a long step (rows read of rows expected). The cadence only emits
 * events; rendering them (a bar on a terminal, plain lines in a log) is the caller's business
 * (src/report/terminal-progress.ts for the CLI).
 */

/**
 * The steps of a cadence, in the order they run (the warm-up's `load`, the prod's `base` — whether
 * the refit can start from the active policy's statistics — and `promote` are mode-specific).
 */
export type CadenceStep =
  | "database"
  | "schema"
  | "load"
  | "judge"
  | "base"
  | "split"
  | "refit"
  | "evaluate"
  | "gate"
  | "promote"
  | "record";

/** Receives a cadence's progress events. Every method is optional to implement (use {@link silentProgress}). */
export interface CadenceProgress {
  /** A step begins; `detail` says what it is about to do. */
  stepStarted(step: CadenceStep, detail: string): void;
  /** Progress inside a step: `done` of `total` units (rows). */
  stepAdvanced(step: CadenceStep, done: number, total: number): void;
  /** A step ended after `seconds`; `summary` says what it did. */
  stepFinished(step: CadenceStep, summary: string, seconds: number): void;
}

/** Progress that goes nowhere (the default, and what tests use when they do not look). */
export const silentProgress: CadenceProgress = {
  stepStarted() {},
  stepAdvanced() {},
  stepFinished() {},
};

/** The duration of each finished step, in the order they ran. */
export interface StepTiming {
  readonly step: CadenceStep;
  readonly seconds: number;
}

/**
 * Runs steps one after another, telling `progress` about each and keeping their durations: the
 * cadence's bookkeeping of "which step are we in" (for the error of a failed run, too).
 */
export class StepRunner {
  readonly timings: StepTiming[] = [];
  /** The step running now, or the last one started. */
  current: CadenceStep | undefined;

  constructor(private readonly progress: CadenceProgress) {}

  /** Runs `body` as `step`; its result's summary (second element) is reported when it ends. */
  async run<T>(
    step: CadenceStep,
    detail: string,
    body: (advance: (done: number, total: number) => void) => Promise<T> | T,
    summarize: (result: T) => string,
  ): Promise<T> {
    this.current = step;
    this.progress.stepStarted(step, detail);
    const started = performance.now();
    const result = await body((done, total) => this.progress.stepAdvanced(step, done, total));
    const seconds = (performance.now() - started) / 1000;
    this.timings.push({ step, seconds });
    this.progress.stepFinished(step, summarize(result), seconds);
    return result;
  }
}
