/**
 * Doubly robust estimation (Dudík, Langford & Li, ICML 2011):
 *   V̂ = (1/n) Σᵢ [ Σₐ π(a|xᵢ) q̂(xᵢ, a) + wᵢ (rᵢ − q̂(xᵢ, aᵢ)) ].
 * The model's value of the target, corrected by the importance-weighted residual of the logged
 * action. Unbiased when the propensities are right (whatever q̂ is), and low-variance when q̂ is
 * good, since the weights then multiply small residuals.
 */
import { checkModelGiven } from "./direct-method.js";
import { checkEvents, completeAlone, mean, resolveEstimateOptions, weighting, weightWarnings } from "./estimate.js";
import type { EstimateOptions, OffPolicyEstimate, PendingEstimate, Weighting } from "./estimate.js";
import type { LoggedEvents } from "./logged-events.js";
import { policyTerms, type PolicyTerms, type RewardModel, type TargetPolicy } from "./target-policy.js";

/**
 * DR estimate of the target policy's value. The interval resamples events with q̂ held fixed: when q̂
 * was fitted on the same events, it does not include the model's own fitting noise.
 */
export function estimateDoublyRobust(
  events: LoggedEvents,
  policy: TargetPolicy,
  rewardModel: RewardModel,
  options: EstimateOptions = {},
): OffPolicyEstimate {
  checkEvents(events);
  const resolved = resolveEstimateOptions(options);
  const terms = policyTerms(events, policy, checkModelGiven(rewardModel));
  return completeAlone(doublyRobustFromTerms(events, terms, weighting(events, terms, resolved.clip)), resolved);
}

/** DR from precomputed terms and weights (shared with {@link evaluateOffPolicy}). @internal */
export function doublyRobustFromTerms(
  events: LoggedEvents,
  terms: PolicyTerms,
  { weights, diagnostics }: Weighting,
): PendingEstimate {
  const modelValue = terms.modelValue!;
  const modelLogged = terms.modelLogged!;
  const corrected = new Float64Array(events.length);
  for (let i = 0; i < corrected.length; i++) {
    corrected[i] = modelValue[i] + weights[i] * (events.rewards[i] - modelLogged[i]);
  }
  return {
    statistic: { numerators: corrected },
    complete: (interval) => ({
      estimator: "dr",
      value: mean(corrected),
      interval,
      events: events.length,
      effectiveSampleSize: diagnostics.effectiveSampleSize,
      weights: diagnostics,
      warnings: weightWarnings(diagnostics),
    }),
  };
}
