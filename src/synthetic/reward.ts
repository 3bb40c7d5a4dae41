/**
 * The reward the learner sees, as a function of the three judged outcomes (see
 * src/outcomes/reward.ts, where it is defined once for the synthetic world and production alike):
 *
 *     reward = completed − hallucinationPenalty · hallucinated − refusalPenalty · refused
 */
export {
  DEFAULT_REWARD_FUNCTION,
  resolveRewardFunction,
  rewardOf,
  type ResolvedRewardFunction,
  type RewardFunction,
} from "../outcomes/reward.js";
