/**
 * What every off-policy estimator returns, the options they share, and the steps they share:
 * checking the events and turning the target policy into importance weights.
 */
import {
  bootstrapRatio,
  resolveBootstrapOptions,
  type BootstrapOptions,
  type ConfidenceInterval,
  type RatioStatistic,
  type ResolvedBootstrapOptions,
} from "./bootstrap.js";
import { importanceWeights, weightDiagnostics, type WeightDiagnostics } from "./importance-weights.js";
import type { LoggedEvents } from "./logged-events.js";
import type { PolicyTerms } from "./target-policy.js";
import { checkClip, describeValue } from "./validate.js";

/** The estimators. */
export type EstimatorName = "ips" | "snips" | "dr" | "dm" | "replay";

/** Options shared by the estimators: the bootstrap interval, and weight clipping. */
export interface EstimateOptions extends BootstrapOptions {
  /**
   * Clip importance weights at this value (wᵢ ← min(wᵢ, clip)). Lowers variance at the price of a
   * downward bias wherever weights are clipped. @default Infinity (off: the estimators stay unbiased)
   */
  readonly clip?: number;
}

/** Estimate options with defaults applied and values checked. */
export interface ResolvedEstimateOptions extends ResolvedBootstrapOptions {
  readonly clip: number;
}

/** An off-policy estimate of the target policy's expected reward per event. */
export interface OffPolicyEstimate {
  readonly estimator: EstimatorName;
  /** The point estimate of V(π) = E[reward] under the target policy. NaN when undefined (see `warnings`). */
  readonly value: number;
  /** Seeded percentile bootstrap interval of `value`. */
  readonly interval: ConfidenceInterval;
  /** Number of logged events used. */
  readonly events: number;
  /**
   * Kish effective sample size of the importance weights (for replay: of the keep/drop indicators,
   * i.e. the number of events kept). The gate's "enough evidence" number.
   */
  readonly effectiveSampleSize: number;
  /** Diagnostics of the weights (for replay: of the keep/drop indicators). */
  readonly weights: WeightDiagnostics;
  /** Human-readable cautions about this estimate (empty when there are none). */
  readonly warnings: readonly string[];
}

/** Applies the defaults of {@link EstimateOptions} and validates them. */
export function resolveEstimateOptions(options: EstimateOptions = {}): ResolvedEstimateOptions {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`\`options\` must be an object; received ${describeValue(options)}`);
  }
  return {
    ...resolveBootstrapOptions(options),
    clip: options.clip === undefined ? Infinity : checkClip(options.clip, "clip"),
  };
}

/** Checks that `events` is a non-empty {@link LoggedEvents}. */
export function checkEvents(events: LoggedEvents): void {
  if (
    events === null ||
    typeof events !== "object" ||
    !(events.actions instanceof Int32Array) ||
    !(events.propensities instanceof Float64Array)
  ) {
    throw new TypeError(
      `\`events\` must be LoggedEvents (from createLoggedEvents, loggedEventsFromObjects or a file reader); ` +
        `received ${describeValue(events)}`,
    );
  }
  if (events.length === 0) throw new RangeError("`events` must hold at least one event; received 0 events");
}

/** Importance weights of the target and their diagnostics. */
export interface Weighting {
  readonly weights: Float64Array;
  readonly diagnostics: WeightDiagnostics;
}

/** Computes (clipped) importance weights from the per-event target probabilities. */
export function weighting(events: LoggedEvents, terms: PolicyTerms, clip: number): Weighting {
  const unclipped = importanceWeights(terms.targetProbability, events.propensities);
  if (clip === Infinity) return { weights: unclipped, diagnostics: weightDiagnostics(unclipped) };
  const weights = importanceWeights(terms.targetProbability, events.propensities, clip);
  return { weights, diagnostics: weightDiagnostics(weights, clip, unclipped) };
}

/** Cautions that apply to every weighted estimator. */
export function weightWarnings(diagnostics: WeightDiagnostics): string[] {
  const warnings: string[] = [];
  if (diagnostics.effectiveSampleSize === 0) {
    warnings.push(
      "every importance weight is 0: the target policy never takes a logged action, so the logs say nothing about it",
    );
  }
  if (diagnostics.clipped > 0) {
    warnings.push(
      `${diagnostics.clipped} weights were clipped at ${diagnostics.clip}: the estimate is biased (usually downward)`,
    );
  }
  return warnings;
}

/** Arithmetic mean of a Float64Array. */
export function mean(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/**
 * An estimate whose bootstrap interval is still to be drawn: the per-event statistic to resample and
 * how to finish the result. Lets {@link evaluateOffPolicy} bootstrap every estimator in one pass.
 * @internal
 */
export interface PendingEstimate<T extends OffPolicyEstimate = OffPolicyEstimate> {
  readonly statistic: RatioStatistic;
  complete(interval: ConfidenceInterval): T;
}

/** Draws the interval of one pending estimate and completes it. */
export function completeAlone<T extends OffPolicyEstimate>(pending: PendingEstimate<T>, options: BootstrapOptions): T {
  return pending.complete(bootstrapRatio(pending.statistic.numerators, pending.statistic.denominators, options));
}
