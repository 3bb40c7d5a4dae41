/**
 * Replay evaluation (Li, Chu, Langford & Wang, WSDM 2011): walk the log, let the target choose an
 * action for each logged context, keep the event when the choice equals the logged action, and
 * average the rewards of the kept events. Unbiased when the logging policy was uniformly random;
 * under any other logging the kept events are a skewed sample, so the result says so. It keeps
 * about 1/K of the events, which the result reports too.
 */
import { resolveBootstrapOptions, type BootstrapOptions, type ConfidenceInterval } from "./bootstrap.js";
import { checkEvents, completeAlone, type OffPolicyEstimate, type PendingEstimate } from "./estimate.js";
import { weightDiagnostics, type WeightDiagnostics } from "./importance-weights.js";
import type { LoggedEvents } from "./logged-events.js";
import { createSeededRandom, type SeededRandom } from "./random.js";
import { policyTerms, type PolicyTerms, type TargetPolicy } from "./target-policy.js";

/** The result of {@link replayEvaluate}. */
export interface ReplayEstimate extends OffPolicyEstimate {
  readonly estimator: "replay";
  /** Events where the target's choice matched the logged action. */
  readonly kept: number;
  /** kept / events. */
  readonly keptShare: number;
  /** Whether every propensity equals 1/K: the condition under which replay is unbiased. */
  readonly uniformLogging: boolean;
  /** Smallest and largest logging propensity, to show how far from 1/K the logs are. */
  readonly propensityRange: { readonly min: number; readonly max: number };
}

/** Relative tolerance of the uniform-logging test: propensities written with 7+ significant digits pass. */
const UNIFORM_TOLERANCE = 1e-6;

/**
 * Whether the logging policy was uniform over the K actions: every propensity equals 1/K (within a
 * relative 10⁻⁶).
 */
export function isUniformLogging(events: LoggedEvents): boolean {
  checkEvents(events);
  const k = events.actionCount;
  for (let i = 0; i < events.length; i++) {
    if (!isUniformPropensity(events.propensities[i]!, k)) return false;
  }
  return true;
}

/** Seed offset of the choice stream, so that the choices and the bootstrap draw different numbers. */
const CHOICE_STREAM = 0x5bd1e995;

/** The stream that samples a stochastic target's choices for replay. @internal */
export function replayChooser(seed: number): SeededRandom {
  return createSeededRandom((seed ^ CHOICE_STREAM) >>> 0);
}

/**
 * Replays the logged events against the target policy. A row of the policy that puts all its mass
 * on one action is followed as is; any other row is sampled with a seeded stream (derived from
 * `seed`), so the kept set is reproducible.
 * @returns The mean reward of the kept events (NaN when none was kept), its bootstrap interval,
 *   the number kept, and `uniformLogging` with a warning when the logs are not uniform.
 */
export function replayEvaluate(
  events: LoggedEvents,
  policy: TargetPolicy,
  options: BootstrapOptions = {},
): ReplayEstimate {
  checkEvents(events);
  const resolved = resolveBootstrapOptions(options);
  return completeAlone(
    replayFromTerms(events, policyTerms(events, policy, undefined, replayChooser(resolved.seed))),
    resolved,
  );
}

/** Replay from precomputed choices (shared with {@link evaluateOffPolicy}). @internal */
export function replayFromTerms(events: LoggedEvents, terms: PolicyTerms): PendingEstimate<ReplayEstimate> {
  const n = events.length;
  const choices = terms.choices!;
  const keptIndicator = new Float64Array(n);
  const keptRewards = new Float64Array(n);
  let kept = 0;
  let rewardSum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const p = events.propensities[i];
    if (p < min) min = p;
    if (p > max) max = p;
    if (choices[i] === events.actions[i]) {
      keptIndicator[i] = 1;
      keptRewards[i] = events.rewards[i];
      kept++;
      rewardSum += events.rewards[i];
    }
  }
  const counts = { events: n, kept, rewardSum, min, max, uniformLogging: isUniformLogging(events) };
  const diagnostics = weightDiagnostics(keptIndicator);
  return {
    statistic: { numerators: keptRewards, denominators: keptIndicator },
    complete: (interval) => replayResult(counts, events.actionCount, diagnostics, interval),
  };
}

/** What a replay estimate is computed from: counts and sums over the events, in event order. @internal */
export interface ReplayCounts {
  readonly events: number;
  readonly kept: number;
  /** Σ rewards of the kept events. */
  readonly rewardSum: number;
  /** Smallest and largest logging propensity. */
  readonly min: number;
  readonly max: number;
  readonly uniformLogging: boolean;
}

/** The replay estimate from its counts, the keep/drop indicators' diagnostics and the interval. @internal */
export function replayResult(
  counts: ReplayCounts,
  actionCount: number,
  diagnostics: WeightDiagnostics,
  interval: ConfidenceInterval,
): ReplayEstimate {
  const { events: n, kept, rewardSum, min, max, uniformLogging } = counts;
  const warnings: string[] = [];
  if (!uniformLogging) {
    warnings.push(
      `replay is unbiased only under uniform logging, and these logs are not uniform: propensities range from ` +
        `${min} to ${max}, ` +
        `where uniform logging over ${actionCount} actions gives ${1 / actionCount} everywhere; ` +
        `the replay value may be biased — prefer IPS, SNIPS or DR`,
    );
  }
  if (kept === 0)
    warnings.push(
      `replay kept none of the ${n} events: the target never chose a logged action, so there is no estimate`,
    );
  return {
    estimator: "replay",
    value: kept === 0 ? Number.NaN : rewardSum / kept,
    interval,
    events: n,
    effectiveSampleSize: diagnostics.effectiveSampleSize,
    weights: diagnostics,
    warnings,
    kept,
    keptShare: kept / n,
    uniformLogging,
    propensityRange: { min, max },
  };
}

/** Whether one propensity is 1/K within the uniform-logging tolerance. @internal */
export function isUniformPropensity(propensity: number, actionCount: number): boolean {
  return Math.abs(propensity * actionCount - 1) <= UNIFORM_TOLERANCE;
}
