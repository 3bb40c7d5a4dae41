/**
 * Every estimator at once over the same events and target, reading the policy (and the reward
 * model) only once: what the cadence's replay step and the report call.
 */
import { directMethodFromTerms, checkModelGiven } from "./direct-method.js";
import { doublyRobustFromTerms } from "./doubly-robust.js";
import { bootstrapRatios, type ConfidenceInterval, type RatioStatistic } from "./bootstrap.js";
import {
  checkEvents,
  resolveEstimateOptions,
  weighting,
  type EstimateOptions,
  type OffPolicyEstimate,
  type PendingEstimate,
  type ResolvedEstimateOptions,
  type Weighting,
} from "./estimate.js";
import { ipsFromWeights } from "./inverse-propensity.js";
import type { LoggedEvents } from "./logged-events.js";
import { replayChooser, replayFromTerms, type ReplayEstimate } from "./replay.js";
import { snipsFromWeights } from "./self-normalized-ips.js";
import type { SeededRandom } from "./random.js";
import { policyTerms, type RewardModel, type TargetPolicy } from "./target-policy.js";

/** Options of {@link evaluateOffPolicy}. */
export interface OffPolicyEvaluationOptions extends EstimateOptions {
  /** Predicted rewards q̂ for every event and action; enables DR and DM. @default none */
  readonly rewardModel?: RewardModel;
}

/** The estimates of {@link evaluateOffPolicy}; `dr` and `dm` only when a reward model was given. */
export interface OffPolicyEvaluation {
  readonly replay: ReplayEstimate;
  readonly ips: OffPolicyEstimate;
  readonly snips: OffPolicyEstimate;
  readonly dr: OffPolicyEstimate | undefined;
  readonly dm: OffPolicyEstimate | undefined;
}

/** Every estimator of one target, with its interval still to be drawn. @internal */
export interface PendingEvaluation {
  readonly replay: PendingEstimate<ReplayEstimate>;
  readonly ips: PendingEstimate;
  readonly snips: PendingEstimate;
  readonly dr: PendingEstimate | undefined;
  readonly dm: PendingEstimate | undefined;
  /** The target's (clipped) importance weights. */
  readonly weighting: Weighting;
}

/**
 * Reads the policy (and the reward model) once and prepares every estimator. `chooser` is replay's
 * stream for a stochastic target (a fresh one from the seed by default; batches of one stream of
 * events pass the same one on). @internal
 */
export function pendingEvaluation(
  events: LoggedEvents,
  policy: TargetPolicy,
  resolved: ResolvedEstimateOptions,
  rewardModel: RewardModel | undefined,
  chooser: SeededRandom = replayChooser(resolved.seed),
): PendingEvaluation {
  const terms = policyTerms(events, policy, rewardModel, chooser);
  const weights = weighting(events, terms, resolved.clip);
  return {
    replay: replayFromTerms(events, terms),
    ips: ipsFromWeights(events, weights),
    snips: snipsFromWeights(events, weights),
    dr: rewardModel === undefined ? undefined : doublyRobustFromTerms(events, terms, weights),
    dm: rewardModel === undefined ? undefined : directMethodFromTerms(events, terms, weights),
    weighting: weights,
  };
}

/** The statistics to resample, in the order {@link completeEvaluation} takes their intervals. @internal */
export function pendingStatistics(pending: PendingEvaluation): RatioStatistic[] {
  const { replay, ips, snips, dr, dm } = pending;
  return [replay, ips, snips, ...(dr === undefined ? [] : [dr]), ...(dm === undefined ? [] : [dm])].map(
    (estimate) => estimate.statistic,
  );
}

/** Completes every estimate with its interval (in the order of {@link pendingStatistics}). @internal */
export function completeEvaluation(
  pending: PendingEvaluation,
  intervals: readonly ConfidenceInterval[],
): OffPolicyEvaluation {
  return {
    replay: pending.replay.complete(intervals[0]!),
    ips: pending.ips.complete(intervals[1]!),
    snips: pending.snips.complete(intervals[2]!),
    dr: pending.dr?.complete(intervals[3]!),
    dm: pending.dm?.complete(intervals[4]!),
  };
}

/**
 * Runs replay, IPS, SNIPS and — with `rewardModel` — DR and DM on the same events and target. Each
 * estimate gets the same options (level, resamples, seed, clip, groups) and therefore the same
 * bootstrap stream, so the results equal those of the single-estimator functions called with these
 * options.
 */
export function evaluateOffPolicy(
  events: LoggedEvents,
  policy: TargetPolicy,
  options: OffPolicyEvaluationOptions = {},
): OffPolicyEvaluation {
  checkEvents(events);
  const resolved = resolveEstimateOptions(options);
  const rewardModel = options.rewardModel === undefined ? undefined : checkModelGiven(options.rewardModel);
  const pending = pendingEvaluation(events, policy, resolved, rewardModel);
  // One pass of resampling for all estimators: the same draws each would make alone with this seed.
  return completeEvaluation(pending, bootstrapRatios(pendingStatistics(pending), resolved));
}
