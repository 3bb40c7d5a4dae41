/**
 * The answer key of a world, `plantedOptimum(world)`: what planted_optimum.json holds. Computed
 * exactly from the planted coefficients, not estimated from data.
 *
 * The optimal model of a cell is the one with the largest expected reward averaged over the
 * cell's context distribution (its agents, difficulties and input sizes, weighted as the generator
 * draws them). The expected reward is linear in the context, so that average is θ(c, m)·x̄_c. This
 * is the best policy that picks one model per cell — the policy a per-cell greedy choice at the
 * mean context converges to — not the per-request oracle, which may switch models within a cell.
 */
import { DIFFICULTY_BUCKETS } from "./catalog.js";
import { cellExpectedRewards, cellLoggingShares, cellLoggingValue } from "./planted.js";
import { pooledLimitChoices } from "./pooled-limit.js";
import { MAX_GAP, MIN_GAP, checkWorld, type SyntheticWorld } from "./world.js";
import type { ResolvedRewardFunction } from "./reward.js";

/** The answer for one cell. */
export interface PlantedCellOptimum {
  readonly cell: string;
  readonly taskType: string;
  /** The cell's difficulty bucket (trivial … expert). */
  readonly difficultyBucket: string;
  /** Share of all requests that fall in this cell. */
  readonly probability: number;
  /** The optimal model and its expected reward (averaged over the cell's contexts). */
  readonly optimal: string;
  readonly optimalReward: number;
  /** The second-best model and its expected reward. */
  readonly runnerUp: string;
  readonly runnerUpReward: number;
  /** optimalReward − runnerUpReward, in [MIN_GAP, MAX_GAP]. */
  readonly gap: number;
  /** The model the logging policy picks most often in this cell. */
  readonly loggingPreferred: string;
  /** The logging policy's expected reward in this cell. */
  readonly loggingReward: number;
  /** Expected reward of every model, by model id. */
  readonly expectedRewards: Readonly<Record<string, number>>;
  /** Mean logging propensity of every model, by model id. */
  readonly loggingShares: Readonly<Record<string, number>>;
  /** What a per-model fit pooled over all cells chooses here with unlimited data (pooled-limit.ts). */
  readonly pooledChoice: string;
  /** pooledChoice ≠ optimal: only a learner that learns per cell can find this cell's optimum. */
  readonly deviating: boolean;
  /** The model planted as this cell's local champion, or null (world.ts, "Per-cell deviations"). */
  readonly localChampion: string | null;
}

/** The content of planted_optimum.json. */
export interface PlantedOptimum {
  readonly source: string;
  readonly seed: number;
  readonly affinityVersion: string;
  readonly dimension: number;
  readonly featureNames: readonly string[];
  readonly models: readonly string[];
  readonly rewardFunction: ResolvedRewardFunction;
  /** How the optimal model of a cell is defined. */
  readonly optimalChoice: string;
  /**
   * Policy values: expected reward per request over the generator's cell and context
   * distribution, of the planted optimum, of the logging policy, and of choosing uniformly.
   */
  readonly policyValue: {
    readonly optimum: number;
    readonly logging: number;
    readonly uniform: number;
  };
  /** The expected completion rate under the logging policy (the calibration target). */
  readonly completionRate: number;
  /** Summary of the per-cell gaps. */
  readonly gaps: {
    readonly min: number;
    readonly median: number;
    readonly max: number;
    /** Cells whose gap is below 0.05. */
    readonly belowFivePoints: number;
    readonly shapedInto: readonly [number, number];
  };
  /** Cells whose logging-preferred model is not the optimal one. */
  readonly loggingPrefersNonOptimal: number;
  /** Number of cells each model is optimal in, by model id. */
  readonly optimalCellCounts: Readonly<Record<string, number>>;
  /** Ids of the cells whose pooled-limit choice is not the optimum (the `deviating` cells). */
  readonly deviatingCells: readonly string[];
  readonly cells: readonly PlantedCellOptimum[];
}

/** The definition of the optimal model, as written into the answer key. */
export const OPTIMAL_CHOICE_DEFINITION =
  "argmax over models of the expected reward averaged over the cell's context distribution (= theta(cell, model) · " +
  "mean context of the cell, by linearity)";

function byModel(models: readonly string[], values: ArrayLike<number>): Record<string, number> {
  return Object.fromEntries(models.map((id, m) => [id, values[m]]));
}

function argmax(values: ArrayLike<number>, except = -1): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) {
    if (i !== except && (best < 0 || values[i] > values[best])) best = i;
  }
  return best;
}

/** The answer key of a world: per cell the optimal model, runner-up and gap; policy values. */
export function plantedOptimum(world: SyntheticWorld): PlantedOptimum {
  checkWorld(world);
  const models = world.models;
  let optimumValue = 0;
  let loggingValue = 0;
  let uniformValue = 0;
  let loggingPrefersNonOptimal = 0;
  const optimalCellCounts = new Array<number>(models.length).fill(0);
  const pooled = pooledLimitChoices(world);
  const cells = world.cells.map((cell): PlantedCellOptimum => {
    const rewards = cellExpectedRewards(world, cell.index);
    const shares = cellLoggingShares(world, cell.index);
    const best = argmax(rewards);
    const runnerUp = argmax(rewards, best);
    const preferred = argmax(shares);
    const loggingReward = cellLoggingValue(world, cell.index);
    optimumValue += cell.probability * rewards[best];
    loggingValue += cell.probability * loggingReward;
    uniformValue += (cell.probability * rewards.reduce((sum, r) => sum + r, 0)) / models.length;
    if (preferred !== best) loggingPrefersNonOptimal++;
    optimalCellCounts[best]++;
    return {
      cell: cell.id,
      taskType: cell.taskType,
      difficultyBucket: DIFFICULTY_BUCKETS[cell.bucketIndex].id,
      probability: cell.probability,
      optimal: models[best],
      optimalReward: rewards[best],
      runnerUp: models[runnerUp],
      runnerUpReward: rewards[runnerUp],
      gap: rewards[best] - rewards[runnerUp],
      loggingPreferred: models[preferred],
      loggingReward,
      expectedRewards: byModel(models, rewards),
      loggingShares: byModel(models, shares),
      pooledChoice: models[pooled[cell.index]],
      deviating: pooled[cell.index] !== best,
      localChampion: world.localChampions[cell.index] >= 0 ? models[world.localChampions[cell.index]] : null,
    };
  });
  const gaps = cells.map((c) => c.gap).sort((a, b) => a - b);
  const middle = gaps.length >> 1;
  return {
    source: world.source,
    seed: world.seed,
    affinityVersion: world.affinityVersion,
    dimension: world.dimension,
    featureNames: world.featureNames,
    models,
    rewardFunction: world.rewardFunction,
    optimalChoice: OPTIMAL_CHOICE_DEFINITION,
    policyValue: { optimum: optimumValue, logging: loggingValue, uniform: uniformValue },
    completionRate: world.completionRate,
    gaps: {
      min: gaps[0],
      median: gaps.length % 2 === 1 ? gaps[middle] : (gaps[middle - 1] + gaps[middle]) / 2,
      max: gaps[gaps.length - 1],
      belowFivePoints: gaps.filter((g) => g < 0.05).length,
      shapedInto: [MIN_GAP, MAX_GAP],
    },
    loggingPrefersNonOptimal,
    optimalCellCounts: byModel(models, optimalCellCounts),
    deviatingCells: cells.filter((c) => c.deviating).map((c) => c.cell),
    cells,
  };
}
