/**
 * Judges: what turns a routing outcome (completed, hallucinated, refused) into the reward a refit
 * learns from. The cadence's judge step hands every unjudged row of its corpus to one, through the
 * store's judge queue, and the verdicts are written back with the judge's name.
 *
 * The default is {@link outcomeRewardJudge}: the linear reward function of src/outcomes/reward.ts,
 * the one the synthetic world plants too, so a warm-up and a production refit learn the same quantity:
 *
 *     reward = completed − hallucinationPenalty · hallucinated − refusalPenalty · refused
 *
 * with penalties 0.5 and 0.25 by default, so rewards in [−(0.5 + 0.25), 1]. Every judge declares the
 * range of its rewards: the refit rejects (by id, counted) any row whose reward lies outside it —
 * a row judged elsewhere, or edited by hand — instead of letting it swamp the fit. Synthetic rows arrive already
 * labelled by the planted oracle ('planted_oracle'), so on the warm-up corpus the judge step finds nothing to do.
 */
import type { JudgeVerdict, LinearOutcomeRewardSql, UnjudgedOutcome } from "../store/index.js";
import {
  DEFAULT_REWARD_FUNCTION,
  resolveRewardFunction,
  rewardOf,
  rewardRange,
  type RewardFunction,
  type RewardRange,
} from "../outcomes/reward.js";

/** A pluggable judge: a name (stored in judge_model) and a batch verdict function. */
export interface Judge {
  /** Stored in judge_model on every row it labels; include a version. */
  readonly name: string;
  /** The closed interval every reward it gives lies in; rows with rewards outside are rejected by the refit. */
  readonly rewardRange: RewardRange;
  /** One verdict per row, in order. May be asynchronous (an LLM judge). */
  judge(rows: readonly UnjudgedOutcome[]): readonly JudgeVerdict[] | Promise<readonly JudgeVerdict[]>;
  /**
   * When present, the same verdicts expressed in SQL: the cadence labels rows with one UPDATE per
   * batch (src/store/sql-judge.ts) instead of calling `judge`. It must give exactly what `judge`
   * gives; a judge that overrides `judge` must drop it.
   */
  readonly sqlReward?: LinearOutcomeRewardSql;
}

/** The penalties of the default judge, as documented in the README. */
export const DEFAULT_JUDGE_WEIGHTS: Readonly<Required<RewardFunction>> = DEFAULT_REWARD_FUNCTION;

/**
 * The rule-based judge: the linear reward of the three outcome flags, with configurable penalties
 * (each in [0, 2]; a bad value throws a RangeError naming it). Its score is the reward itself; its
 * range is [−(hallucinationPenalty + refusalPenalty), 1]. It declares its SQL form, so the cadence
 * labels rows in the database (bit-identical rewards, tested).
 */
export function outcomeRewardJudge(weights: RewardFunction = {}): Judge {
  const fn = resolveRewardFunction(weights, "judge weights");
  return {
    name: `outcome_reward_v1(hallucination=${fn.hallucinationPenalty},refusal=${fn.refusalPenalty})`,
    rewardRange: rewardRange(fn),
    sqlReward: {
      kind: "linear-outcome",
      hallucinationPenalty: fn.hallucinationPenalty,
      refusalPenalty: fn.refusalPenalty,
    },
    judge(rows) {
      return rows.map((row) => {
        const reward = rewardOf(fn, row.completed, row.hallucinated, row.refused);
        return { reward, score: reward };
      });
    },
  };
}
