/**
 * Ready-made target policies, as {@link PolicyFunction}s: the uniform policy and a fixed action.
 * Handy as baselines ("is the candidate better than picking at random?") and in tests.
 */
import type { PolicyFunction } from "./target-policy.js";
import { checkPositiveInteger, describeValue } from "./validate.js";

/** The uniformly random policy over `actionCount` actions: π(a | x) = 1/K for every a. */
export function uniformPolicy(actionCount: number): PolicyFunction {
  const k = checkPositiveInteger(actionCount, "actionCount");
  return (_event, out) => {
    out.fill(1 / k);
  };
}

/** The policy that always takes `action` (an index in [0, actionCount)). */
export function fixedActionPolicy(action: number, actionCount: number): PolicyFunction {
  const k = checkPositiveInteger(actionCount, "actionCount");
  if (!Number.isInteger(action) || action < 0 || action >= k) {
    throw new RangeError(`\`action\` must be an action index in [0, ${k - 1}]; received ${describeValue(action)}`);
  }
  return (_event, out) => {
    out[action] = 1;
  };
}
