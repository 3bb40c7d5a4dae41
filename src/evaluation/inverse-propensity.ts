/**
 * Inverse propensity scoring (IPS, Horvitz–Thompson): V̂ = (1/n) Σ wᵢ rᵢ with wᵢ = π(aᵢ|xᵢ)/pᵢ.
 * Unbiased whenever the propensities are the true logging probabilities and every action the
 * target takes has pᵢ > 0; its variance grows with the weights.
 */
import { checkEvents, completeAlone, mean, resolveEstimateOptions, weighting, weightWarnings } from "./estimate.js";
import type { EstimateOptions, OffPolicyEstimate, PendingEstimate, Weighting } from "./estimate.js";
import type { LoggedEvents } from "./logged-events.js";
import { policyTerms, type TargetPolicy } from "./target-policy.js";

/**
 * IPS estimate of the target policy's value, with a seeded bootstrap interval and weight diagnostics.
 * @throws TypeError / RangeError for bad events, policy rows or options.
 */
export function estimateIps(
  events: LoggedEvents,
  policy: TargetPolicy,
  options: EstimateOptions = {},
): OffPolicyEstimate {
  checkEvents(events);
  const resolved = resolveEstimateOptions(options);
  return completeAlone(ipsFromWeights(events, weighting(events, policyTerms(events, policy), resolved.clip)), resolved);
}

/** IPS from precomputed weights (shared with {@link evaluateOffPolicy}). @internal */
export function ipsFromWeights(events: LoggedEvents, { weights, diagnostics }: Weighting): PendingEstimate {
  const terms = new Float64Array(events.length);
  for (let i = 0; i < terms.length; i++) terms[i] = weights[i] * events.rewards[i];
  return {
    statistic: { numerators: terms },
    complete: (interval) => ({
      estimator: "ips",
      value: mean(terms),
      interval,
      events: events.length,
      effectiveSampleSize: diagnostics.effectiveSampleSize,
      weights: diagnostics,
      warnings: weightWarnings(diagnostics),
    }),
  };
}
