/**
 * The reward a routing outcome earns, as a function of its three judged flags:
 *
 *     reward = completed − hallucinationPenalty · hallucinated − refusalPenalty · refused
 *
 * Production code (the prod cadence's judge) and the synthetic world (which plants it) share this
 * one definition, so a warm-up and a production refit learn the same quantity. It lives here, with
 * the row types, because production code never imports src/synthetic.
 *
 * A refusal is never completed nor hallucinated, so the possible rewards are 1, 1 − h, 0, −h and
 * −r. The reward is deliberately NOT clipped to [0, 1]: it is linear in the three outcomes, so its
 * expectation is linear in their probabilities, which are linear in the context — the model class
 * LinUCB assumes. Clipping would break that at the edges. Its range is {@link rewardRange}.
 */
import { describeValue } from "../shared/describe-value.js";

/** Penalties of the reward function. */
export interface RewardFunction {
  /** Subtracted when the answer contains a hallucination; in [0, 2]. @default 0.5 */
  readonly hallucinationPenalty?: number;
  /** Subtracted when the model refuses; in [0, 2]. @default 0.25 */
  readonly refusalPenalty?: number;
}

/** A reward function with defaults applied. */
export type ResolvedRewardFunction = Required<RewardFunction>;

/** The closed interval every reward of a reward function lies in. */
export interface RewardRange {
  readonly min: number;
  readonly max: number;
}

/** The default penalties: a hallucination costs half a completion, a refusal a quarter. */
export const DEFAULT_REWARD_FUNCTION: ResolvedRewardFunction = Object.freeze({
  hallucinationPenalty: 0.5,
  refusalPenalty: 0.25,
});

/** The largest penalty accepted: a penalty beyond twice a completion is a mistake, not a choice. */
const MAX_PENALTY = 2;

function penalty(value: unknown, name: string): number {
  if (typeof value !== "number") throw new TypeError(`\`${name}\` must be a number, received ${describeValue(value)}`);
  if (!Number.isFinite(value) || value < 0 || value > MAX_PENALTY) {
    throw new RangeError(
      `\`${name}\` must be a finite number in [0, ${MAX_PENALTY}], received ${describeValue(value)}`,
    );
  }
  return value;
}

/** Applies defaults and checks the penalties; `name` is the argument's name for error messages. */
export function resolveRewardFunction(value: unknown, name = "reward"): ResolvedRewardFunction {
  if (value !== undefined && (value === null || typeof value !== "object" || Array.isArray(value))) {
    throw new TypeError(`\`${name}\` must be an options object, received ${describeValue(value)}`);
  }
  const options = (value ?? {}) as RewardFunction;
  return Object.freeze({
    hallucinationPenalty: penalty(
      options.hallucinationPenalty ?? DEFAULT_REWARD_FUNCTION.hallucinationPenalty,
      `${name}.hallucinationPenalty`,
    ),
    refusalPenalty: penalty(options.refusalPenalty ?? DEFAULT_REWARD_FUNCTION.refusalPenalty, `${name}.refusalPenalty`),
  });
}

/** The reward of one outcome under a resolved reward function. */
export function rewardOf(
  fn: ResolvedRewardFunction,
  completed: boolean,
  hallucinated: boolean,
  refused: boolean,
): number {
  return (completed ? 1 : 0) - (hallucinated ? fn.hallucinationPenalty : 0) - (refused ? fn.refusalPenalty : 0);
}

/**
 * The range of `fn`'s rewards: [−(hallucinationPenalty + refusalPenalty), 1]. Wider than the five
 * values the flags can produce (the sum of both penalties is the floor of any flag combination), so
 * a row judged with any flags stays inside it.
 */
export function rewardRange(fn: ResolvedRewardFunction): RewardRange {
  return { min: -(fn.hallucinationPenalty + fn.refusalPenalty), max: 1 };
}
