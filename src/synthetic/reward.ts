/**
 * The reward the learner sees, as a function of the three judged outcomes:
 *
 *     reward = completed − hallucinationPenalty · hallucinated − refusalPenalty · refused
 *
 * A refusal is never completed nor hallucinated (see the outcome draw in generator.ts), so the
 * possible rewards are 1, 1 − h, 0, −h and −r. The reward is deliberately NOT clipped to [0, 1]:
 * it is linear in the three outcomes, so its expectation is linear in their probabilities, which
 * are linear in the context — and so the expected reward is exactly linear in the context, the
 * model class LinUCB assumes. Clipping would break that at the edges.
 */
import { checkNumber, checkOptionsObject } from "./validation.js";

/** Penalties of the reward function. */
export interface RewardFunction {
  /** Subtracted when the answer contains a hallucination; in [0, 2]. @default 0.5 */
  readonly hallucinationPenalty?: number;
  /** Subtracted when the model refuses; in [0, 2]. @default 0.25 */
  readonly refusalPenalty?: number;
}

/** A reward function with defaults applied. */
export type ResolvedRewardFunction = Required<RewardFunction>;

/** The default penalties: a hallucination costs half a completion, a refusal a quarter. */
export const DEFAULT_REWARD_FUNCTION: ResolvedRewardFunction = Object.freeze({
  hallucinationPenalty: 0.5,
  refusalPenalty: 0.25,
});

/** Applies defaults and checks the penalties; `name` is the argument's name for error messages. */
export function resolveRewardFunction(value: unknown, name = "reward"): ResolvedRewardFunction {
  const options = checkOptionsObject<RewardFunction>(value, name);
  return Object.freeze({
    hallucinationPenalty: checkNumber(
      options.hallucinationPenalty ?? DEFAULT_REWARD_FUNCTION.hallucinationPenalty,
      `${name}.hallucinationPenalty`,
      0,
      2,
    ),
    refusalPenalty: checkNumber(
      options.refusalPenalty ?? DEFAULT_REWARD_FUNCTION.refusalPenalty,
      `${name}.refusalPenalty`,
      0,
      2,
    ),
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
