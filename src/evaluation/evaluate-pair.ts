/**
 * Two target policies evaluated on the same events in one bootstrap: every estimator's interval for
 * each policy (what {@link evaluateOffPolicy} gives) and the paired comparison the promotion gate
 * decides from (what {@link comparePolicies} gives), all from one set of resampled sums. The
 * estimates and intervals equal those of the separate calls with the same options (they draw the same
 * resamples from the same seed over the same groups), and the paired bound equals comparePolicies'
 * up to rounding; the events are reduced to their resampling groups' sums once and the resamples are
 * drawn once instead of three times. It is the events given whole to a {@link PolicyPairAccumulator},
 * which the cadence feeds chunk by chunk instead.
 */
import { checkEvents } from "./estimate.js";
import type { LoggedEvents } from "./logged-events.js";
import { PolicyPairAccumulator, type PolicyPairEvaluation, type PolicyPairOptions } from "./policy-pair-accumulator.js";
import { checkModelGiven } from "./direct-method.js";
import type { TargetPolicy } from "./target-policy.js";
import { describeValue } from "./validate.js";

export type { PolicyPairEvaluation, PolicyPairOptions } from "./policy-pair-accumulator.js";

/** Evaluates both policies and compares them in one bootstrap; see the module comment. */
export function evaluatePolicyPair(
  events: LoggedEvents,
  candidate: TargetPolicy,
  incumbent: TargetPolicy,
  options: PolicyPairOptions = {},
): PolicyPairEvaluation {
  checkEvents(events);
  if (options === null || typeof options !== "object") {
    throw new TypeError(`\`options\` must be an object; received ${describeValue(options)}`);
  }
  const { rewardModel, ...rest } = options;
  const model = rewardModel === undefined ? undefined : checkModelGiven(rewardModel);
  const accumulator = new PolicyPairAccumulator({
    ...rest,
    actionCount: events.actionCount,
    expectedEvents: events.length,
    rewardModel: model !== undefined,
  });
  accumulator.add(events, candidate, incumbent, model);
  return accumulator.finish();
}
