/**
 * The outcome generator: draws n logged routing decisions from a planted world, columnar first.
 *
 * `generateColumns` is the hot path (n = 10⁶ in well under a second): one pass, typed arrays only,
 * no per-row objects or Dates. Everything else is a view of its result: `generateOutcomes` /
 * `outcomeAt` give `SyntheticOutcome` rows, `toEventBatch` gives the columnar batch a refit takes,
 * and jsonl.ts streams the rows out as text.
 *
 * ## One row
 * 1. the agent, by activity; the task type, from the agent's task mix; the difficulty bucket, by
 *    its share (independent of both) — so the cell is (task type, bucket);
 * 2. difficulty uniform on the bucket's grid, input size uniform on the task type's grid;
 * 3. the model, drawn from the logging policy π(· | cell, agent), whose probability is logged as
 *    the propensity;
 * 4. the outcome, from the planted probabilities p_c, p_h, p_r of (cell, model, context):
 *    refused with probability p_r; otherwise hallucinated with probability p_h / (1 − p_r) and,
 *    independently, completed with probability p_c / (1 − p_r). So the marginals are exactly
 *    P(refused) = p_r, P(hallucinated) = p_h, P(completed) = p_c, and a refusal is never completed
 *    nor hallucinated;
 * 5. the reward, by the world's reward function (reward.ts).
 * Every row consumes the same number of random draws, whatever its outcome, so a row's draws do
 * not depend on the outcomes of the rows before it.
 *
 * ## Ids and times
 * Ids are 1 … n in generation order. created_at spreads the rows over a fixed 14-day window from
 * {@link SYNTHETIC_EPOCH_MS} (2025-01-01T00:00:00Z): row i gets epoch + ⌊(i + u)·window / n⌋ ms
 * with u uniform in [0, 1), so times are reproducible and non-decreasing in id.
 */
import type { EventBatch } from "../engine/types.js";
import type { SyntheticOutcome } from "../outcomes/outcome.js";
import { DIFFICULTY_BUCKETS, FEATURE_GRID, TASK_TYPES } from "./catalog.js";
import { AGENT_FEATURE_COUNT, FeatureIndex, SYNTHETIC_DIMENSION, TASK_FEATURE_COUNT } from "./features.js";
import { SeededRandom, deriveSeed } from "./prng.js";
import { checkInteger, checkOptionsObject, checkSeed } from "./validation.js";
import { SYNTHETIC_JUDGE_MODEL, checkWorld, type SyntheticWorld } from "./world.js";

/** Start of the synthetic time window: 2025-01-01T00:00:00Z, in ms since the Unix epoch. */
export const SYNTHETIC_EPOCH_MS = Date.UTC(2025, 0, 1);
/** Length of the synthetic time window: 14 days, in ms. */
export const SYNTHETIC_WINDOW_MS = 14 * 24 * 60 * 60 * 1000;
/** Number of outcomes when `n` is not given. */
export const DEFAULT_OUTCOME_COUNT = 4000;
/** Largest `n`: 10⁸ rows take about 10 GB as columns. */
export const MAX_OUTCOME_COUNT = 100_000_000;

const OUTCOME_SALT = 0x4f555443; // "OUTC"

/** Options of {@link generateColumns} and {@link generateOutcomes}. */
export interface OutcomeOptions {
  /** Number of outcomes, an integer in [0, 10⁸]. @default 4000 */
  readonly n?: number;
  /** Seed of the outcome draws (an unsigned 32-bit integer). @default the world's seed */
  readonly seed?: number;
}

/**
 * n generated outcomes as columns: row i (id i + 1) is the i-th entry of every array, and its
 * context is `contexts[i·d … i·d + d)`. Indices refer to the world's agents, cells and models.
 */
export interface SyntheticColumns {
  /** Number of rows. */
  readonly count: number;
  /** Seed of the outcome draws. */
  readonly seed: number;
  /** Feature dimension d. */
  readonly dimension: number;
  /** created_at per row, in ms since the Unix epoch. */
  readonly createdAtMs: Float64Array;
  readonly agentIndices: Int32Array;
  readonly cellIndices: Int32Array;
  readonly modelIndices: Int32Array;
  /** Contexts, row-major, count × d. */
  readonly contexts: Float64Array;
  /** π(model | cell, agent) of the logged model. */
  readonly propensities: Float64Array;
  /** 1 if completed, else 0. */
  readonly completed: Uint8Array;
  /** 1 if hallucinated, else 0. */
  readonly hallucinated: Uint8Array;
  /** 1 if refused, else 0. */
  readonly refused: Uint8Array;
  readonly rewards: Float64Array;
}

/** A columnar batch ready for `engine.refit` / `updateMany`, plus the logged propensities. */
export interface SyntheticEventBatch extends EventBatch {
  readonly cells: readonly string[];
  readonly arms: readonly string[];
  readonly contexts: Float64Array;
  readonly rewards: Float64Array;
  /** Propensity of each row's arm under the logging policy (for off-policy evaluation). */
  readonly propensities: Float64Array;
}

/** Resolves and checks outcome options against a world. */
function resolveOutcomeOptions(world: SyntheticWorld, options: unknown): { n: number; seed: number } {
  const opts = checkOptionsObject<OutcomeOptions>(options, "options");
  return {
    n: checkInteger(opts.n ?? DEFAULT_OUTCOME_COUNT, "options.n", 0, MAX_OUTCOME_COUNT),
    seed: checkSeed(opts.seed ?? world.seed, "options.seed"),
  };
}

/** Cumulative distribution of `weights` (which sum to 1), with the last entry forced to 1. */
function cumulative(weights: ArrayLike<number>): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i];
    out[i] = sum;
  }
  // Rounding can leave the total a hair below 1; a draw above it must still land in the last bin.
  out[weights.length - 1] = 1;
  return out;
}

/** Index of the first bin of `cdf[offset … offset + count)` whose cumulative weight exceeds `u`. */
function pick(cdf: Float64Array, offset: number, count: number, u: number): number {
  for (let i = 0; i < count - 1; i++) if (u < cdf[offset + i]) return i;
  return count - 1;
}

/**
 * Draws n outcomes from the world as columns. Deterministic for (world, n, seed); two calls with
 * different seeds give different data. Throws TypeError / RangeError on bad options.
 */
export function generateColumns(world: SyntheticWorld, options?: OutcomeOptions): SyntheticColumns {
  checkWorld(world);
  const { n, seed } = resolveOutcomeOptions(world, options);
  const d = SYNTHETIC_DIMENSION;
  const models = world.models.length;
  const agents = world.agents.length;
  const buckets = DIFFICULTY_BUCKETS.length;
  const random = new SeededRandom(deriveSeed(seed, OUTCOME_SALT));

  const agentCdf = cumulative(world.agents.map((a) => a.activity));
  const taskCdf = new Float64Array(agents * TASK_TYPES.length);
  for (const agent of world.agents) taskCdf.set(cumulative(agent.taskMix), agent.index * TASK_TYPES.length);
  const bucketCdf = cumulative(DIFFICULTY_BUCKETS.map((b) => b.share));
  const modelCdf = new Float64Array(world.propensities.length);
  for (let block = 0; block < world.propensities.length; block += models) {
    modelCdf.set(cumulative(world.propensities.subarray(block, block + models)), block);
  }

  const columns: SyntheticColumns = {
    count: n,
    seed,
    dimension: d,
    createdAtMs: new Float64Array(n),
    agentIndices: new Int32Array(n),
    cellIndices: new Int32Array(n),
    modelIndices: new Int32Array(n),
    contexts: new Float64Array(n * d),
    propensities: new Float64Array(n),
    completed: new Uint8Array(n),
    hallucinated: new Uint8Array(n),
    refused: new Uint8Array(n),
    rewards: new Float64Array(n),
  };
  const { completionCoefficients: pc, hallucinationCoefficients: ph, refusalCoefficients: pr } = world;
  const { hallucinationPenalty, refusalPenalty } = world.rewardFunction;
  const x = columns.contexts;

  for (let i = 0; i < n; i++) {
    columns.createdAtMs[i] = SYNTHETIC_EPOCH_MS + Math.floor(((i + random.nextFloat32()) * SYNTHETIC_WINDOW_MS) / n);
    const agentIndex = pick(agentCdf, 0, agents, random.nextFloat32());
    const taskIndex = pick(taskCdf, agentIndex * TASK_TYPES.length, TASK_TYPES.length, random.nextFloat32());
    const bucketIndex = pick(bucketCdf, 0, buckets, random.nextFloat32());
    const cellIndex = taskIndex * buckets + bucketIndex;
    const difficultyRange = DIFFICULTY_BUCKETS[bucketIndex].difficulty;
    const task = TASK_TYPES[taskIndex];
    const agent = world.agents[agentIndex];

    const row = i * d;
    x[row + FeatureIndex.intercept] = 1;
    x[row + FeatureIndex.difficulty] = (difficultyRange.start + random.nextBelow(difficultyRange.count)) / FEATURE_GRID;
    for (let k = 0; k < AGENT_FEATURE_COUNT; k++) x[row + FeatureIndex.agent + k] = agent.features[k];
    for (let k = 0; k < TASK_FEATURE_COUNT; k++) x[row + FeatureIndex.task + k] = task.features[k];
    x[row + FeatureIndex.inputSize] = (task.inputSize.start + random.nextBelow(task.inputSize.count)) / FEATURE_GRID;

    const policyBlock = (cellIndex * agents + agentIndex) * models;
    const modelIndex = pick(modelCdf, policyBlock, models, random.nextFloat32());

    const block = (cellIndex * models + modelIndex) * d;
    let pCompleted = 0;
    let pHallucinated = 0;
    let pRefused = 0;
    for (let k = 0; k < d; k++) {
      const value = x[row + k];
      pCompleted += pc[block + k] * value;
      pHallucinated += ph[block + k] * value;
      pRefused += pr[block + k] * value;
    }
    const uRefused = random.nextFloat32();
    const uHallucinated = random.nextFloat32();
    const uCompleted = random.nextFloat32();
    const refused = uRefused < pRefused;
    const notRefused = 1 - pRefused;
    const hallucinated = !refused && uHallucinated * notRefused < pHallucinated;
    const completed = !refused && uCompleted * notRefused < pCompleted;

    columns.agentIndices[i] = agentIndex;
    columns.cellIndices[i] = cellIndex;
    columns.modelIndices[i] = modelIndex;
    columns.propensities[i] = world.propensities[policyBlock + modelIndex];
    columns.completed[i] = completed ? 1 : 0;
    columns.hallucinated[i] = hallucinated ? 1 : 0;
    columns.refused[i] = refused ? 1 : 0;
    columns.rewards[i] =
      (completed ? 1 : 0) - (hallucinated ? hallucinationPenalty : 0) - (refused ? refusalPenalty : 0);
  }
  return columns;
}

/**
 * Row `i` (0-based; its id is i + 1) of generated columns as a {@link SyntheticOutcome}. Its
 * `features` is a view into `columns.contexts`, not a copy. judgeScore = reward: the planted
 * oracle judges exactly what happened (the planted expected reward is never put on a row, where a
 * learner could read it).
 */
export function outcomeAt(world: SyntheticWorld, columns: SyntheticColumns, i: number): SyntheticOutcome {
  checkInteger(i, "i", 0, columns.count - 1);
  const d = columns.dimension;
  const cell = world.cells[columns.cellIndices[i]];
  const reward = columns.rewards[i];
  const features = columns.contexts.subarray(i * d, i * d + d);
  return {
    id: i + 1,
    createdAt: new Date(columns.createdAtMs[i]),
    agentId: world.agents[columns.agentIndices[i]].id,
    cell: cell.id,
    model: world.models[columns.modelIndices[i]],
    features,
    propensity: columns.propensities[i],
    completed: columns.completed[i] === 1,
    hallucinated: columns.hallucinated[i] === 1,
    refused: columns.refused[i] === 1,
    judgeScore: reward,
    judgeModel: SYNTHETIC_JUDGE_MODEL,
    reward,
    policyVersion: null,
    source: world.source,
    synthetic: true,
    seed: columns.seed,
    affinityVersion: world.affinityVersion,
    difficulty: features[FeatureIndex.difficulty],
  };
}

/**
 * Draws n outcomes as {@link SyntheticOutcome} rows (ids 1 … n). Convenient for tests and small
 * n; for large n prefer {@link generateColumns} and stream from it.
 */
export function generateOutcomes(world: SyntheticWorld, options?: OutcomeOptions): SyntheticOutcome[] {
  const columns = generateColumns(world, options);
  const rows = new Array<SyntheticOutcome>(columns.count);
  for (let i = 0; i < columns.count; i++) rows[i] = outcomeAt(world, columns, i);
  return rows;
}

/**
 * The columnar batch of generated outcomes that `engine.refit(batch)` takes: cell and arm ids,
 * the contexts (the same buffer, not a copy), rewards and propensities.
 */
export function toEventBatch(world: SyntheticWorld, columns: SyntheticColumns): SyntheticEventBatch {
  checkWorld(world);
  const cellIds = world.cells.map((c) => c.id);
  const cells = new Array<string>(columns.count);
  const arms = new Array<string>(columns.count);
  for (let i = 0; i < columns.count; i++) {
    cells[i] = cellIds[columns.cellIndices[i]];
    arms[i] = world.models[columns.modelIndices[i]];
  }
  return { cells, arms, contexts: columns.contexts, rewards: columns.rewards, propensities: columns.propensities };
}
