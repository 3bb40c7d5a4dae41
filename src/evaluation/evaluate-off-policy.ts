/**
 * Every estimator at once over the same events and target, reading the policy (and the reward
 * model) only once: what the cadence's replay step and the report call.
 */
import { directMethodFromTerms, checkModelGiven } from "./direct-method.js";
import { doublyRobustFromTerms } from "./doubly-robust.js";
import { bootstrapRatios } from "./bootstrap.js";
import {
  checkEvents,
  resolveEstimateOptions,
  weighting,
  type EstimateOptions,
  type OffPolicyEstimate,
  type PendingEstimate,
} from "./estimate.js";
import { ipsFromWeights } from "./inverse-propensity.js";
import type { LoggedEvents } from "./logged-events.js";
import { replayChooser, replayFromTerms, type ReplayEstimate } from "./replay.js";
import { snipsFromWeights } from "./self-normalized-ips.js";
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

/**
 * Runs replay, IPS, SNIPS and — with `rewardModel` — DR and DM on the same events and target. Each
 * estimate gets the same options (level, resamples, seed, clip) and therefore the same bootstrap
 * stream, so the results equal those of the single-estimator functions called with these options.
 */
export function evaluateOffPolicy(
  events: LoggedEvents,
  policy: TargetPolicy,
  options: OffPolicyEvaluationOptions = {},
): OffPolicyEvaluation {
  checkEvents(events);
  const resolved = resolveEstimateOptions(options);
  const rewardModel = options.rewardModel === undefined ? undefined : checkModelGiven(options.rewardModel);
  const terms = policyTerms(events, policy, rewardModel, replayChooser(resolved.seed));
  const weights = weighting(events, terms, resolved.clip);
  const replay = replayFromTerms(events, terms);
  const ips = ipsFromWeights(events, weights);
  const snips = snipsFromWeights(events, weights);
  const dr = rewardModel === undefined ? undefined : doublyRobustFromTerms(events, terms, weights);
  const dm = rewardModel === undefined ? undefined : directMethodFromTerms(events, terms, weights);
  const pending: PendingEstimate[] = [
    replay,
    ips,
    snips,
    ...(dr === undefined ? [] : [dr]),
    ...(dm === undefined ? [] : [dm]),
  ];
  // One pass of resampling for all estimators: the same draws each would make alone with this seed.
  const intervals = bootstrapRatios(
    pending.map((estimate) => estimate.statistic),
    resolved,
  );
  return {
    replay: replay.complete(intervals[0]),
    ips: ips.complete(intervals[1]),
    snips: snips.complete(intervals[2]),
    dr: dr?.complete(intervals[3]),
    dm: dm?.complete(intervals[4]),
  };
}
