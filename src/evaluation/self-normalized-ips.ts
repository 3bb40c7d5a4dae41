/**
 * Self-normalised IPS (SNIPS): V̂ = Σ wᵢ rᵢ / Σ wᵢ. Dividing by the realised total weight instead
 * of n removes most of IPS's variance from large weights and makes the estimate invariant to a
 * constant shift of the rewards; the price is a bias of order 1/n (it is consistent, not unbiased).
 */
import { checkEvents, completeAlone, resolveEstimateOptions, weighting, weightWarnings } from "./estimate.js";
import type { EstimateOptions, OffPolicyEstimate, PendingEstimate, Weighting } from "./estimate.js";
import type { LoggedEvents } from "./logged-events.js";
import { policyTerms, type TargetPolicy } from "./target-policy.js";

/**
 * SNIPS estimate of the target policy's value, with a seeded bootstrap interval and weight
 * diagnostics. The value is NaN (with a warning) when every weight is 0.
 */
export function estimateSnips(
  events: LoggedEvents,
  policy: TargetPolicy,
  options: EstimateOptions = {},
): OffPolicyEstimate {
  checkEvents(events);
  const resolved = resolveEstimateOptions(options);
  return completeAlone(
    snipsFromWeights(events, weighting(events, policyTerms(events, policy), resolved.clip)),
    resolved,
  );
}

/** SNIPS from precomputed weights (shared with {@link evaluateOffPolicy}). @internal */
export function snipsFromWeights(events: LoggedEvents, { weights, diagnostics }: Weighting): PendingEstimate {
  const weighted = new Float64Array(events.length);
  let top = 0;
  let bottom = 0;
  for (let i = 0; i < weighted.length; i++) {
    weighted[i] = weights[i] * events.rewards[i];
    top += weighted[i];
    bottom += weights[i];
  }
  return {
    statistic: { numerators: weighted, denominators: weights },
    complete: (interval) => ({
      estimator: "snips",
      value: bottom === 0 ? Number.NaN : top / bottom,
      interval,
      events: events.length,
      effectiveSampleSize: diagnostics.effectiveSampleSize,
      weights: diagnostics,
      warnings: weightWarnings(diagnostics),
    }),
  };
}
