/**
 * The direct method (DM): V̂ = (1/n) Σᵢ Σₐ π(a|xᵢ) q̂(xᵢ, a) — the reward model's value of the target
 * on the logged contexts. Low variance, but exactly as biased as the model; it ignores the logged
 * rewards except through the model. Reported mainly as the baseline that DR corrects.
 */
import { checkEvents, completeAlone, resolveEstimateOptions, weighting } from "./estimate.js";
import type { EstimateOptions, OffPolicyEstimate, PendingEstimate, Weighting } from "./estimate.js";
import type { LoggedEvents } from "./logged-events.js";
import { policyTerms, type PolicyTerms, type RewardModel, type TargetPolicy } from "./target-policy.js";

/**
 * DM estimate of the target policy's value. The interval covers only the sampling of contexts: it
 * treats q̂ as fixed, so it says nothing about the model's bias.
 */
export function estimateDirectMethod(
  events: LoggedEvents,
  policy: TargetPolicy,
  rewardModel: RewardModel,
  options: EstimateOptions = {},
): OffPolicyEstimate {
  checkEvents(events);
  const resolved = resolveEstimateOptions(options);
  const terms = policyTerms(events, policy, checkModelGiven(rewardModel));
  return completeAlone(directMethodFromTerms(events, terms, weighting(events, terms, resolved.clip)), resolved);
}

/** The caution every DM estimate carries. @internal */
export const DIRECT_METHOD_WARNING =
  "the direct method is as biased as the reward model; its interval ignores that bias";

/** DM from precomputed terms (shared with {@link evaluateOffPolicy}). @internal */
export function directMethodFromTerms(
  events: LoggedEvents,
  terms: PolicyTerms,
  { diagnostics }: Weighting,
): PendingEstimate {
  const values = terms.modelValue!;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return {
    statistic: { numerators: values },
    complete: (interval) => ({
      estimator: "dm",
      value: sum / values.length,
      interval,
      events: events.length,
      // DM uses no weights, but their ESS still tells how well the logs support the target.
      effectiveSampleSize: diagnostics.effectiveSampleSize,
      weights: diagnostics,
      warnings: [DIRECT_METHOD_WARNING],
    }),
  };
}

/** Throws a TypeError when the reward model is missing. @internal */
export function checkModelGiven(rewardModel: RewardModel | undefined): RewardModel {
  if (rewardModel === undefined || rewardModel === null) {
    throw new TypeError(
      "`rewardModel` (predicted rewards per event and action) is required by DM and DR; received " +
        String(rewardModel),
    );
  }
  return rewardModel;
}
