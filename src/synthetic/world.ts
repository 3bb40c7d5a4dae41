/**
 * The planted world: `generateWorld(options)` draws, from one seed, everything that makes the
 * synthetic cold start — agents, the models' strengths, the cells' context distributions, the
 * planted outcome probabilities, and the deliberately mis-specified logging policy.
 *
 * ## The planted expected reward
 * For cell c, model m and context x (layout in features.ts), the probabilities of the three judged
 * outcomes are linear in x:
 *
 *     P(completed)    = β_c(m)·x + ρ(c, m)
 *     P(hallucinated) = β_h(m)·x
 *     P(refused)      = β_r(m)·x
 *
 * and so is the expected reward (reward.ts): E[r | c, m, x] = θ(c, m)·x with
 * θ(c, m) = β_c(m) − h·β_h(m) − r·β_r(m) + ρ(c, m)·e₀. β_c(m) holds common effects (harder,
 * stricter, heavier requests complete less often) plus model m's effects:
 *  - a global skill (±0.03),
 *  - model × task type: a weight on each task feature. Every model is a specialist: strong on one
 *    task feature (+0.3…0.45 per unit), ±0.03 on the others. Two models share each specialty,
 *  - model × difficulty: a slope on difficulty, 0.2…0.4 in magnitude, positive for one specialist
 *    of each pair (relatively better on hard requests), negative for the other,
 *  - agent affinity: ±0.03 per unit of each agent feature,
 *  - ±0.03 per unit of input size,
 * all centred (on the mean task profile, and ½ for the others) so that they cross: a model better
 * than average somewhere is worse elsewhere. ρ(c, m) is a per-(cell, model) offset: ±0.01 noise,
 * plus the gap shaping below. So θ(c, m) is a per-model vector SHARED by all cells plus a per-cell
 * intercept:
 *  - a disjoint linear model per (cell, model) represents the expected reward exactly;
 *  - a linear model per model pooled over all cells represents all of it but ρ, which is ≤ 0.01
 *    for ~98% of (cell, model) pairs (the shaped ones reach ~0.13); a per-cell term (hybrid
 *    LinUCB) absorbs it.
 * Every probability stays in [0.005, 0.99] for every agent and request of every cell (checked
 * exactly when the world is built: all model effects are scaled down by `structureScale` until it
 * holds), so nothing is ever clipped and the linearity is exact.
 *
 * Why specialists: with eight models spread evenly over a cell, the best-vs-runner-up gap is
 * about 1/8 of the spread, and the spread is bounded by the probability band; with one or two
 * specialists standing out per cell, gaps of several points fit. The ranges were tuned on seeds
 * 1–30 by measuring the gap distribution and how well a learner recovers the optimum:
 *  - a ridge fit per model pooled over all cells matches the planted optimum in a median 77% of
 *    the cells at n = 4,000 (min 65%, 28 of 30 seeds ≥ 70%), and 92% at n = 40,000 (22 of 30
 *    seeds ≥ 90%);
 *  - disjoint per-cell LinUCB (λ = 1) matches 25–43% at n = 4,000 and 62–83% at n = 40,000
 *    (seeds 1–10 and 42): about 8 rows per (cell, model) are not enough without sharing.
 * The cells that stay hard for every learner are the shaped ones below: their gap is a per-cell
 * offset the shared structure cannot see.
 *
 * ## Gaps
 * The optimal model of a cell maximises the expected reward averaged over the cell's context
 * distribution, which (linearity) is θ(c, m)·x̄_c with x̄_c the cell's mean context. The gap to the
 * runner-up is shaped into [MIN_GAP, MAX_GAP] = [0.02, 0.18] by moving the best model's ρ: a cell
 * whose natural gap is below 0.02 gets 0.02–0.03 ("a few points"), one above 0.18 gets 0.17–0.18.
 *
 * ## Per-cell deviations
 * In a share {@link DEVIATION_SHARE} of the cells (drawn per cell), a local champion is planted:
 * the model ranked 2nd, 3rd or 4th there by the shared structure gets a per-cell offset ρ that
 * lifts it 0.03–0.08 above the model ranked first (before gap shaping). Such an offset is invisible
 * to a per-model fit pooled over cells, so in those cells the pooled choice — even on unlimited
 * data — is not the planted optimum: only a learner that learns per cell finds it. The answer key
 * marks these cells (`localChampion`) and, computed exactly from the world, every cell whose
 * pooled-limit choice differs from the optimum (`deviating`; see pooled-limit.ts).
 *
 * ## The logging policy
 * A softmax (temperature τ) over a mis-specified prior score, mixed with the uniform policy so
 * that every model keeps at least `loggingFloor` in every context:
 *
 *     π(m | c, a) = floor + (1 − K·floor) · softmax_m(q(c, a, m) / τ)
 *     q(c, a, m)  = 0.8·skill(m) + reputation error(m) + ½·(model × task effect)(c, m)
 *                   + bonus if m is agent a's configured default + brand bias if m is the brand model
 *
 * It ignores the difficulty, agent-affinity, input-size, hallucination and refusal effects, and it
 * favours a "brand" model; the brand bias is raised in steps until at least half of the cells'
 * logging-preferred model (largest mean propensity) is not the cell's optimum. It depends on the
 * cell and the agent, not on the request's difficulty or input size.
 */
import {
  AGENT_FEATURE_COUNT,
  FeatureIndex,
  SYNTHETIC_DIMENSION,
  SYNTHETIC_FEATURE_NAMES,
  TASK_FEATURE_COUNT,
} from "./features.js";
import {
  AGENT_IDS,
  CELL_COUNT,
  DIFFICULTY_BUCKETS,
  MODEL_IDS,
  TASK_TYPES,
  cellId,
  gridBounds,
  gridMean,
} from "./catalog.js";
import { describeValue } from "../engine/errors.js";
import { SeededRandom, deriveSeed } from "./prng.js";
import { resolveRewardFunction, type ResolvedRewardFunction, type RewardFunction } from "./reward.js";
import { checkNumber, checkOptionsObject, checkSeed } from "./validation.js";

/** Name and version of the generator, stored as `source` on every row. */
export const SYNTHETIC_SOURCE = "synthetic_coldstart_v2";
/** Version of the planted agent-affinity structure, stored as `affinityVersion` on every row. */
export const AFFINITY_VERSION = "affinity_v1";
/** The judge that labels synthetic rows: the world itself. */
export const SYNTHETIC_JUDGE_MODEL = "planted_oracle";
/** The seed used when none is given. */
export const DEFAULT_SEED = 42;

/** Smallest gap between a cell's best and runner-up model after shaping. */
export const MIN_GAP = 0.02;
/** Largest gap between a cell's best and runner-up model after shaping. */
export const MAX_GAP = 0.18;

/** Share of cells where a local champion is planted (see "Per-cell deviations" in the module doc). */
export const DEVIATION_SHARE = 0.35;
/** Range of the margin by which a planted local champion beats the model that was best there. */
export const DEVIATION_MARGIN: readonly [number, number] = [0.06, 0.12];

/** Options of {@link generateWorld}. */
export interface WorldOptions {
  /** Seed of everything random in the world (an unsigned 32-bit integer). @default 42 */
  readonly seed?: number;
  /** Penalties of the reward function. @default { hallucinationPenalty: 0.5, refusalPenalty: 0.25 } */
  readonly reward?: RewardFunction;
  /**
   * Expected share of completed requests under the logging policy, in [0.3, 0.65]. Far from ½ the
   * probability band leaves less room for model differences, and `structureScale` drops. @default 0.48
   */
  readonly completionRate?: number;
  /** Smallest propensity of any model in any context, in (0, 1/8). @default 0.02 */
  readonly loggingFloor?: number;
  /** Temperature of the logging softmax, in (0, 10]. Lower is greedier. @default 0.08 */
  readonly loggingTemperature?: number;
}

/** One agent: a caller of the router, with fixed features and habits. */
export interface SyntheticAgent {
  readonly id: string;
  readonly index: number;
  /** autonomy, strictness, context load (multiples of 0.01 in [0, 1]). */
  readonly features: readonly number[];
  /** Share of all requests that come from this agent. */
  readonly activity: number;
  /** P(task type | agent), in TASK_TYPES order. */
  readonly taskMix: readonly number[];
  /** The model the agent's configuration defaults to: the logging policy leans towards it. */
  readonly defaultModel: string;
}

/** One cell: a (task type, difficulty bucket) pair and its context distribution. */
export interface SyntheticCell {
  readonly id: string;
  readonly index: number;
  readonly taskType: string;
  readonly taskIndex: number;
  readonly bucket: string;
  readonly bucketIndex: number;
  /** Share of all requests that fall in this cell. */
  readonly probability: number;
  /** P(agent | cell), in agent order. */
  readonly agentShares: Float64Array;
  /** x̄_c: the mean context of the cell's requests (length SYNTHETIC_DIMENSION). */
  readonly meanContext: Float64Array;
}

/** The planted strengths of one model (the effects inside β_c, β_h, β_r; see the module doc). */
export interface ModelTraits {
  readonly id: string;
  /** Global skill: added to P(completed) everywhere. */
  readonly skill: number;
  /** Effect on P(completed) per unit of each task feature. */
  readonly taskAffinity: readonly number[];
  /** Model-specific slope of P(completed) on difficulty (added to the common slope). */
  readonly difficultyEffect: number;
  /** Effect on P(completed) per unit of each agent feature. */
  readonly agentAffinity: readonly number[];
  /** Effect on P(completed) per unit of input size. */
  readonly inputSizeEffect: number;
  /** P(hallucinated) at difficulty 0 of a task without knowledge load or context load. */
  readonly hallucinationBase: number;
  /** Extra P(hallucinated) per unit of task.knowledge. */
  readonly knowledgeHallucination: number;
  /** P(refused) for an agent of strictness 0. */
  readonly refusalBase: number;
  /** Extra P(refused) per unit of agent.strictness. */
  readonly strictnessRefusal: number;
}

/** The logging policy's parameters (see the module doc). */
export interface LoggingPolicyParameters {
  readonly floor: number;
  readonly temperature: number;
  /** The model the prior over-rates everywhere. */
  readonly brandModel: string;
  /** Its bonus in the prior score. */
  readonly brandBias: number;
  /** Bonus of each agent's default model in the prior score. */
  readonly defaultModelBonus: number;
  /** The prior's error on each model's skill. */
  readonly reputationError: readonly number[];
}

/** A generated world. Treat it as immutable; typed arrays are shared, not copied. */
export interface SyntheticWorld {
  readonly source: typeof SYNTHETIC_SOURCE;
  readonly seed: number;
  readonly affinityVersion: string;
  readonly dimension: number;
  readonly featureNames: readonly string[];
  /** Model ids (the arms), in index order. */
  readonly models: readonly string[];
  readonly agents: readonly SyntheticAgent[];
  readonly cells: readonly SyntheticCell[];
  readonly traits: readonly ModelTraits[];
  readonly rewardFunction: ResolvedRewardFunction;
  /** The target share of completed requests under the logging policy. */
  readonly completionRate: number;
  /** Common intercept of P(completed), calibrated so the completion rate is met exactly in expectation. */
  readonly completionIntercept: number;
  /**
   * Factor (≤ 1) applied to all model-specific effects so that every probability stays in
   * [0.01, 0.95]; 1 unless the draws of a seed needed shrinking.
   */
  readonly structureScale: number;
  readonly logging: LoggingPolicyParameters;
  /** Coefficients of P(completed), cells × models × d (includes ρ at the intercept). */
  readonly completionCoefficients: Float64Array;
  /** Coefficients of P(hallucinated), cells × models × d. */
  readonly hallucinationCoefficients: Float64Array;
  /** Coefficients of P(refused), cells × models × d. */
  readonly refusalCoefficients: Float64Array;
  /** θ(c, m): coefficients of the expected reward, cells × models × d. */
  readonly rewardCoefficients: Float64Array;
  /** ρ(c, m): per-(cell, model) offsets of P(completed), cells × models. */
  readonly cellOffsets: Float64Array;
  /** Per cell: the model planted as a local champion there, or −1 (see "Per-cell deviations"). */
  readonly localChampions: Int32Array;
  /** π(m | c, a): logging propensities, cells × agents × models. */
  readonly propensities: Float64Array;
}

// Salts that give each random purpose its own stream of one seed.
const WORLD_SALT = 0x574f524c; // "WORL"

// Ranges of the random draws (before `structureScale`). Every model is a specialist: strong on
// one task feature (its specialty), leaning towards easy or hard requests, with small effects
// elsewhere. This is what makes gaps of several points possible while every probability stays in
// its band: in a cell, one or two specialists stand out and the rest trail, instead of eight
// models spread evenly. The ranges were tuned by measuring, over seeds 1–30, the gap
// distribution and how well a per-model least-squares fit pooled over cells recovers the optimum.
const SKILL_RANGE = 0.03;
const TASK_AFFINITY_RANGE = 0.03;
const SPECIALTY_MIN = 0.3;
const SPECIALTY_MAX = 0.45;
const DIFFICULTY_EFFECT_MIN = 0.2;
const DIFFICULTY_EFFECT_MAX = 0.4;
const AGENT_AFFINITY_RANGE = 0.03;
const INPUT_SIZE_EFFECT_RANGE = 0.03;
const IDIOSYNCRATIC_RANGE = 0.05;

/** The mean task features over the task types: the centre of the model × task effects. */
const MEAN_TASK_PROFILE: readonly number[] = Array.from(
  { length: TASK_FEATURE_COUNT },
  (_, k) => TASK_TYPES.reduce((sum, t) => sum + t.features[k], 0) / TASK_TYPES.length,
);

// Common effects on P(completed): harder, stricter, heavier requests complete less often.
const COMMON_DIFFICULTY_SLOPE = -0.15;
const COMMON_AGENT_EFFECTS = [-0.02, -0.06, -0.02] as const;
const COMMON_INPUT_SIZE_EFFECT = -0.04;
// Common effects on P(hallucinated).
const HALLUCINATION_DIFFICULTY_SLOPE = 0.08;
const HALLUCINATION_CONTEXT_LOAD_SLOPE = 0.03;

// The band every planted probability must stay in (so that no clipping is ever needed).
const PROBABILITY_LOW = 0.005;
const PROBABILITY_HIGH = 0.99;

const DEFAULT_COMPLETION_RATE = 0.48;
const DEFAULT_LOGGING_FLOOR = 0.02;
const DEFAULT_LOGGING_TEMPERATURE = 0.08;
const DEFAULT_MODEL_BONUS = 0.03;
const BRAND_BIAS_STEP = 0.01;

/**
 * Draws the planted world of a seed. Deterministic: the same options give the same world, bit for
 * bit. Throws TypeError / RangeError on bad options, naming the option and the value received.
 */
export function generateWorld(options?: WorldOptions): SyntheticWorld {
  const opts = checkOptionsObject<WorldOptions>(options, "options");
  const seed = checkSeed(opts.seed ?? DEFAULT_SEED, "options.seed");
  const rewardFunction = resolveRewardFunction(opts.reward, "options.reward");
  const completionRate = checkNumber(
    opts.completionRate ?? DEFAULT_COMPLETION_RATE,
    "options.completionRate",
    0.3,
    0.65,
  );
  // Below 1/K: at exactly 1/K the policy is uniform and prefers no model at all.
  const floor = checkNumber(
    opts.loggingFloor ?? DEFAULT_LOGGING_FLOOR,
    "options.loggingFloor",
    0,
    1 / MODEL_IDS.length,
    {
      min: true,
      max: true,
    },
  );
  const temperature = checkNumber(
    opts.loggingTemperature ?? DEFAULT_LOGGING_TEMPERATURE,
    "options.loggingTemperature",
    0,
    10,
    { min: true },
  );

  const random = new SeededRandom(deriveSeed(seed, WORLD_SALT));
  const agents = drawAgents(random);
  const specialties = shuffle(
    random,
    MODEL_IDS.map((_, m) => m),
  );
  const rawTraits = MODEL_IDS.map((id, m) => drawTraits(random, id, specialties[m]));
  const idiosyncratic = Float64Array.from({ length: CELL_COUNT * MODEL_IDS.length }, () =>
    random.uniform(-IDIOSYNCRATIC_RANGE, IDIOSYNCRATIC_RANGE),
  );
  // One draw per cell for where in the target band a shaped gap lands.
  const gapJitter = Float64Array.from({ length: CELL_COUNT }, () => random.nextFloat32());
  const reputationError = MODEL_IDS.map(() => random.uniform(-0.03, 0.03));
  // Drawn last, so that every draw above is what it was before deviations were planted.
  const deviations = drawDeviations(random);
  const cells = buildCells(agents);

  // Scale the model-specific effects down (steps of 0.85) until every probability fits the band:
  // the largest scale that fits wins. The ranges above are drawn generously on purpose; typical
  // seeds settle at 0.72–0.85. As the scale goes to 0 only the common effects and the shaped gaps
  // remain, which fit the band for every allowed completion rate, so the loop always ends.
  for (let scale = 1; ; scale *= 0.85) {
    if (scale < 0.01) throw new Error(`generateWorld: no structure scale fits the probability band (seed ${seed})`);
    const traits = rawTraits.map((t) => scaleTraits(t, scale));
    const planted = plantCoefficients(cells, traits, idiosyncratic, rewardFunction);
    const localChampions = plantDeviations(cells, planted, deviations);
    shapeGaps(cells, planted, gapJitter);
    const logging = buildLoggingPolicy(cells, agents, traits, planted.reward, {
      floor,
      temperature,
      reputationError,
    });
    const completionIntercept = calibrateCompletion(
      cells,
      agents,
      planted.completion,
      logging.propensities,
      completionRate,
    );
    addToIntercepts(planted.completion, completionIntercept);
    addToIntercepts(planted.reward, completionIntercept);
    if (!probabilitiesInBand(cells, agents, planted)) continue;
    return Object.freeze({
      source: SYNTHETIC_SOURCE,
      seed,
      affinityVersion: AFFINITY_VERSION,
      dimension: SYNTHETIC_DIMENSION,
      featureNames: SYNTHETIC_FEATURE_NAMES,
      models: MODEL_IDS,
      agents,
      cells,
      traits: Object.freeze(traits),
      rewardFunction,
      completionRate,
      completionIntercept,
      structureScale: scale,
      logging: logging.parameters,
      completionCoefficients: planted.completion,
      hallucinationCoefficients: planted.hallucination,
      refusalCoefficients: planted.refusal,
      rewardCoefficients: planted.reward,
      cellOffsets: planted.offsets,
      localChampions,
      propensities: logging.propensities,
    });
  }
}

/** Throws a TypeError unless `world` looks like a result of `generateWorld`. */
export function checkWorld(world: unknown, name = "world"): SyntheticWorld {
  const candidate = world as Partial<SyntheticWorld> | null;
  if (
    candidate === null ||
    typeof candidate !== "object" ||
    !(candidate.rewardCoefficients instanceof Float64Array) ||
    !(candidate.propensities instanceof Float64Array) ||
    !Array.isArray(candidate.cells)
  ) {
    throw new TypeError(`\`${name}\` must be a world from generateWorld(), received ${describeValue(world)}`);
  }
  return candidate as SyntheticWorld;
}

function shuffle<T>(random: SeededRandom, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.nextBelow(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function quantize(value: number, steps: number): number {
  return Math.round(value * steps) / steps;
}

function drawAgents(random: SeededRandom): readonly SyntheticAgent[] {
  const raw = AGENT_IDS.map((id, index) => {
    const features = Array.from({ length: AGENT_FEATURE_COUNT }, () => quantize(random.nextFloat32(), 100));
    const activity = random.uniform(0.5, 1.5);
    // Agents specialise: some task types are several times more frequent than others for them.
    const mixWeights = TASK_TYPES.map(() => random.uniform(0.3, 1.7));
    const mixTotal = mixWeights.reduce((sum, w) => sum + w, 0);
    const defaultModel = MODEL_IDS[random.nextBelow(MODEL_IDS.length)];
    return { id, index, features, activity, taskMix: mixWeights.map((w) => w / mixTotal), defaultModel };
  });
  const totalActivity = raw.reduce((sum, a) => sum + a.activity, 0);
  return Object.freeze(
    raw.map((a) =>
      Object.freeze({
        ...a,
        features: Object.freeze(a.features),
        activity: a.activity / totalActivity,
        taskMix: Object.freeze(a.taskMix),
      }),
    ),
  );
}

function drawTraits(random: SeededRandom, id: string, specialty: number): ModelTraits {
  const feature = specialty % TASK_FEATURE_COUNT;
  const hardLeaning = specialty < TASK_FEATURE_COUNT;
  const taskAffinity = Array.from({ length: TASK_FEATURE_COUNT }, () =>
    random.uniform(-TASK_AFFINITY_RANGE, TASK_AFFINITY_RANGE),
  );
  taskAffinity[feature] = random.uniform(SPECIALTY_MIN, SPECIALTY_MAX);
  const difficultyMagnitude = random.uniform(DIFFICULTY_EFFECT_MIN, DIFFICULTY_EFFECT_MAX);
  return {
    id,
    skill: random.uniform(-SKILL_RANGE, SKILL_RANGE),
    taskAffinity,
    difficultyEffect: hardLeaning ? difficultyMagnitude : -difficultyMagnitude,
    agentAffinity: Array.from({ length: AGENT_FEATURE_COUNT }, () =>
      random.uniform(-AGENT_AFFINITY_RANGE, AGENT_AFFINITY_RANGE),
    ),
    inputSizeEffect: random.uniform(-INPUT_SIZE_EFFECT_RANGE, INPUT_SIZE_EFFECT_RANGE),
    hallucinationBase: random.uniform(0.01, 0.06),
    knowledgeHallucination: random.uniform(0, 0.1),
    refusalBase: random.uniform(0.01, 0.04),
    strictnessRefusal: random.uniform(0, 0.06),
  };
}

function scaleTraits(t: ModelTraits, scale: number): ModelTraits {
  return Object.freeze({
    ...t,
    skill: t.skill * scale,
    taskAffinity: Object.freeze(t.taskAffinity.map((v) => v * scale)),
    difficultyEffect: t.difficultyEffect * scale,
    agentAffinity: Object.freeze(t.agentAffinity.map((v) => v * scale)),
    inputSizeEffect: t.inputSizeEffect * scale,
  });
}

/**
 * Writes the mean context of the requests of one task type and bucket from one agent at
 * `out[offset …]`: the agent's and the task's features, and the means of the per-request features.
 */
export function agentCellMeanContext(
  agent: SyntheticAgent,
  taskIndex: number,
  bucketIndex: number,
  out: Float64Array,
  offset: number,
): void {
  const taskType = TASK_TYPES[taskIndex];
  out[offset + FeatureIndex.intercept] = 1;
  out[offset + FeatureIndex.difficulty] = gridMean(DIFFICULTY_BUCKETS[bucketIndex].difficulty);
  for (let k = 0; k < AGENT_FEATURE_COUNT; k++) out[offset + FeatureIndex.agent + k] = agent.features[k];
  for (let k = 0; k < TASK_FEATURE_COUNT; k++) out[offset + FeatureIndex.task + k] = taskType.features[k];
  out[offset + FeatureIndex.inputSize] = gridMean(taskType.inputSize);
}

function buildCells(agents: readonly SyntheticAgent[]): readonly SyntheticCell[] {
  const d = SYNTHETIC_DIMENSION;
  const cells: SyntheticCell[] = [];
  const agentMean = new Float64Array(d);
  for (let t = 0; t < TASK_TYPES.length; t++) {
    // P(agent, task) = activity · mix; the bucket is independent of both.
    const joint = Float64Array.from(agents, (a) => a.activity * a.taskMix[t]);
    const taskShare = joint.reduce((sum, p) => sum + p, 0);
    const agentShares = joint.map((p) => p / taskShare);
    for (let b = 0; b < DIFFICULTY_BUCKETS.length; b++) {
      const meanContext = new Float64Array(d);
      for (const agent of agents) {
        agentCellMeanContext(agent, t, b, agentMean, 0);
        for (let k = 0; k < d; k++) meanContext[k] += agentShares[agent.index] * agentMean[k];
      }
      meanContext[FeatureIndex.intercept] = 1;
      cells.push(
        Object.freeze({
          id: cellId(t, b),
          index: t * DIFFICULTY_BUCKETS.length + b,
          taskType: TASK_TYPES[t].id,
          taskIndex: t,
          bucket: DIFFICULTY_BUCKETS[b].id,
          bucketIndex: b,
          probability: taskShare * DIFFICULTY_BUCKETS[b].share,
          agentShares: Float64Array.from(agentShares),
          meanContext,
        }),
      );
    }
  }
  return Object.freeze(cells);
}

interface PlantedCoefficients {
  readonly completion: Float64Array;
  readonly hallucination: Float64Array;
  readonly refusal: Float64Array;
  readonly reward: Float64Array;
  readonly offsets: Float64Array;
}

/** The model-level coefficient vectors (shared by all cells) and the per-cell offsets. */
function plantCoefficients(
  cells: readonly SyntheticCell[],
  traits: readonly ModelTraits[],
  idiosyncratic: Float64Array,
  fn: ResolvedRewardFunction,
): PlantedCoefficients {
  const d = SYNTHETIC_DIMENSION;
  const models = traits.length;
  const size = cells.length * models * d;
  const completion = new Float64Array(size);
  const hallucination = new Float64Array(size);
  const refusal = new Float64Array(size);
  const reward = new Float64Array(size);
  const offsets = Float64Array.from(idiosyncratic);
  const shared = traits.map((t) => {
    const c = new Float64Array(d);
    // Model effects are centred (on the mean task profile, difficulty ½, agent features ½, input
    // size ½) so that they cross: a model better than average somewhere is worse elsewhere, and
    // the skill alone says how good a model is on the average request.
    let centring = 0;
    for (let k = 0; k < TASK_FEATURE_COUNT; k++) centring += t.taskAffinity[k] * MEAN_TASK_PROFILE[k];
    for (let k = 0; k < AGENT_FEATURE_COUNT; k++) centring += 0.5 * t.agentAffinity[k];
    centring += 0.5 * (t.difficultyEffect + t.inputSizeEffect);
    c[FeatureIndex.intercept] = t.skill - centring;
    c[FeatureIndex.difficulty] = COMMON_DIFFICULTY_SLOPE + t.difficultyEffect;
    for (let k = 0; k < AGENT_FEATURE_COUNT; k++)
      c[FeatureIndex.agent + k] = COMMON_AGENT_EFFECTS[k] + t.agentAffinity[k];
    for (let k = 0; k < TASK_FEATURE_COUNT; k++) c[FeatureIndex.task + k] = t.taskAffinity[k];
    c[FeatureIndex.inputSize] = COMMON_INPUT_SIZE_EFFECT + t.inputSizeEffect;
    const h = new Float64Array(d);
    h[FeatureIndex.intercept] = t.hallucinationBase;
    h[FeatureIndex.difficulty] = HALLUCINATION_DIFFICULTY_SLOPE;
    h[FeatureIndex.agent + 2] = HALLUCINATION_CONTEXT_LOAD_SLOPE;
    h[FeatureIndex.task + 2] = t.knowledgeHallucination;
    const r = new Float64Array(d);
    r[FeatureIndex.intercept] = t.refusalBase;
    r[FeatureIndex.agent + 1] = t.strictnessRefusal;
    return { c, h, r };
  });
  for (let cell = 0; cell < cells.length; cell++) {
    for (let m = 0; m < models; m++) {
      const base = (cell * models + m) * d;
      const { c, h, r } = shared[m];
      for (let k = 0; k < d; k++) {
        completion[base + k] = c[k];
        hallucination[base + k] = h[k];
        refusal[base + k] = r[k];
        reward[base + k] = c[k] - fn.hallucinationPenalty * h[k] - fn.refusalPenalty * r[k];
      }
      completion[base] += offsets[cell * models + m];
      reward[base] += offsets[cell * models + m];
    }
  }
  return { completion, hallucination, refusal, reward, offsets };
}

/** θ·x for the coefficients at `coefficients[base …]` and the context at `x[xOffset …]`. */
export function dotAt(coefficients: Float64Array, base: number, x: Float64Array, xOffset = 0): number {
  let sum = 0;
  for (let k = 0; k < SYNTHETIC_DIMENSION; k++) sum += coefficients[base + k] * x[xOffset + k];
  return sum;
}

/**
 * The best and runner-up model of a cell by θ(c, m)·x̄ (ties go to the lower index), and every
 * model's value, for the given mean context.
 */
export function rankCellModels(
  meanContext: Float64Array,
  rewardCoefficients: Float64Array,
  cellIndex: number,
  models: number,
): { best: number; runnerUp: number; values: Float64Array } {
  const values = new Float64Array(models);
  let best = 0;
  for (let m = 0; m < models; m++) {
    values[m] = dotAt(rewardCoefficients, (cellIndex * models + m) * SYNTHETIC_DIMENSION, meanContext);
    if (values[m] > values[best]) best = m;
  }
  let runnerUp = best === 0 ? 1 : 0;
  for (let m = 0; m < models; m++) if (m !== best && values[m] > values[runnerUp]) runnerUp = m;
  return { best, runnerUp, values };
}

/** Per cell: whether it deviates, which of the next-best models becomes champion, by what margin. */
interface DeviationDraws {
  readonly deviates: Uint8Array;
  readonly rank: Int32Array;
  readonly margin: Float64Array;
}

function drawDeviations(random: SeededRandom): DeviationDraws {
  const draws = {
    deviates: new Uint8Array(CELL_COUNT),
    rank: new Int32Array(CELL_COUNT),
    margin: new Float64Array(CELL_COUNT),
  };
  for (let c = 0; c < CELL_COUNT; c++) {
    draws.deviates[c] = random.nextFloat32() < DEVIATION_SHARE ? 1 : 0;
    draws.rank[c] = 1 + random.nextBelow(3);
    draws.margin[c] = random.uniform(DEVIATION_MARGIN[0], DEVIATION_MARGIN[1]);
  }
  return draws;
}

/**
 * Plants the local champions: in a deviating cell, the model ranked `rank` (2nd, 3rd or 4th) by
 * the shared structure gets an offset ρ that lifts it `margin` above the model ranked first there.
 * The shared structure cannot see it, so a learner that ignores cells keeps choosing the old best.
 */
function plantDeviations(
  cells: readonly SyntheticCell[],
  planted: PlantedCoefficients,
  draws: DeviationDraws,
): Int32Array {
  const models = MODEL_IDS.length;
  const champions = new Int32Array(cells.length).fill(-1);
  for (const cell of cells) {
    if (draws.deviates[cell.index] === 0) continue;
    const { values } = rankCellModels(cell.meanContext, planted.reward, cell.index, models);
    const order = Array.from(values, (_, m) => m).sort((a, b) => values[b] - values[a] || a - b);
    const champion = order[draws.rank[cell.index]];
    const lift = values[order[0]] - values[champion] + draws.margin[cell.index];
    const block = cell.index * models + champion;
    planted.offsets[block] += lift;
    planted.completion[block * SYNTHETIC_DIMENSION] += lift;
    planted.reward[block * SYNTHETIC_DIMENSION] += lift;
    champions[cell.index] = champion;
  }
  return champions;
}

function shapeGaps(cells: readonly SyntheticCell[], planted: PlantedCoefficients, jitter: Float64Array): void {
  const models = MODEL_IDS.length;
  for (const cell of cells) {
    const { best, runnerUp, values } = rankCellModels(cell.meanContext, planted.reward, cell.index, models);
    const gap = values[best] - values[runnerUp];
    let shift = 0;
    if (gap < MIN_GAP) shift = MIN_GAP + 0.01 * jitter[cell.index] - gap;
    else if (gap > MAX_GAP) shift = MAX_GAP - 0.01 * jitter[cell.index] - gap;
    if (shift === 0) continue;
    const block = cell.index * models + best;
    planted.offsets[block] += shift;
    planted.completion[block * SYNTHETIC_DIMENSION] += shift;
    planted.reward[block * SYNTHETIC_DIMENSION] += shift;
  }
}

function addToIntercepts(coefficients: Float64Array, value: number): void {
  for (let i = 0; i < coefficients.length; i += SYNTHETIC_DIMENSION) coefficients[i] += value;
}

interface LoggingPolicy {
  readonly parameters: LoggingPolicyParameters;
  readonly propensities: Float64Array;
}

function buildLoggingPolicy(
  cells: readonly SyntheticCell[],
  agents: readonly SyntheticAgent[],
  traits: readonly ModelTraits[],
  rewardCoefficients: Float64Array,
  settings: { floor: number; temperature: number; reputationError: readonly number[] },
): LoggingPolicy {
  const models = traits.length;
  const optimal = cells.map((cell) => rankCellModels(cell.meanContext, rewardCoefficients, cell.index, models).best);
  // The brand model: the one that is optimal in the fewest cells (lowest index on ties), so that
  // over-rating it can only make the logging policy worse.
  const optimalCounts = new Array<number>(models).fill(0);
  for (const m of optimal) optimalCounts[m]++;
  const brand = optimalCounts.indexOf(Math.min(...optimalCounts));
  const propensities = new Float64Array(cells.length * agents.length * models);
  const meanPropensity = new Float64Array(models);
  // The preferred model of a context is the argmax of its prior scores whatever the temperature,
  // and once the bias exceeds the spread of the scores (well under 1) the brand model is preferred
  // everywhere, so the loop ends within a few dozen steps.
  for (let brandBias = 0; ; brandBias += BRAND_BIAS_STEP) {
    let misled = 0;
    for (const cell of cells) {
      const task = TASK_TYPES[cell.taskIndex];
      meanPropensity.fill(0);
      for (const agent of agents) {
        const base = (cell.index * agents.length + agent.index) * models;
        const scores = traits.map((t, m) => {
          let taskEffect = 0;
          for (let k = 0; k < TASK_FEATURE_COUNT; k++) taskEffect += t.taskAffinity[k] * task.features[k];
          return (
            0.8 * t.skill +
            settings.reputationError[m] +
            0.5 * taskEffect +
            (MODEL_IDS[m] === agent.defaultModel ? DEFAULT_MODEL_BONUS : 0) +
            (m === brand ? brandBias : 0)
          );
        });
        writeSoftmaxWithFloor(scores, settings.temperature, settings.floor, propensities, base);
        for (let m = 0; m < models; m++) meanPropensity[m] += cell.agentShares[agent.index] * propensities[base + m];
      }
      let preferred = 0;
      for (let m = 1; m < models; m++) if (meanPropensity[m] > meanPropensity[preferred]) preferred = m;
      if (preferred !== optimal[cell.index]) misled++;
    }
    // The brand model is optimal in at most 1/8 of the cells, so once it is preferred everywhere
    // at least 7/8 of the cells are misled.
    if (2 * misled >= cells.length) {
      return {
        parameters: Object.freeze({
          floor: settings.floor,
          temperature: settings.temperature,
          brandModel: MODEL_IDS[brand],
          brandBias,
          defaultModelBonus: DEFAULT_MODEL_BONUS,
          reputationError: Object.freeze([...settings.reputationError]),
        }),
        propensities,
      };
    }
  }
}

/** floor + (1 − K·floor)·softmax(scores / temperature), written at `out[offset …]`. */
function writeSoftmaxWithFloor(
  scores: readonly number[],
  temperature: number,
  floor: number,
  out: Float64Array,
  offset: number,
): void {
  const max = Math.max(...scores);
  let total = 0;
  for (let m = 0; m < scores.length; m++) {
    out[offset + m] = Math.exp((scores[m] - max) / temperature);
    total += out[offset + m];
  }
  const spread = 1 - scores.length * floor;
  for (let m = 0; m < scores.length; m++) out[offset + m] = floor + (spread * out[offset + m]) / total;
}

/**
 * The common intercept that makes the expected completion rate under the logging policy equal
 * `target`: E[completed] is linear in it with slope 1, and the logging policy does not depend on it.
 */
function calibrateCompletion(
  cells: readonly SyntheticCell[],
  agents: readonly SyntheticAgent[],
  completion: Float64Array,
  propensities: Float64Array,
  target: number,
): number {
  const d = SYNTHETIC_DIMENSION;
  const models = MODEL_IDS.length;
  const x = new Float64Array(d);
  let expected = 0;
  for (const cell of cells) {
    for (const agent of agents) {
      const weight = cell.probability * cell.agentShares[agent.index];
      agentCellMeanContext(agent, cell.taskIndex, cell.bucketIndex, x, 0);
      const base = (cell.index * agents.length + agent.index) * models;
      for (let m = 0; m < models; m++) {
        expected += weight * propensities[base + m] * dotAt(completion, (cell.index * models + m) * d, x);
      }
    }
  }
  return target - expected;
}

/**
 * Whether every planted probability lies in [PROBABILITY_LOW, PROBABILITY_HIGH] for every agent
 * and request of every cell, and P(refused) leaves room for the other two (see the outcome draw).
 * The probabilities are linear in difficulty and input size (the only per-request features), so
 * checking the four corners of their ranges for each agent covers every request.
 */
function probabilitiesInBand(
  cells: readonly SyntheticCell[],
  agents: readonly SyntheticAgent[],
  planted: PlantedCoefficients,
): boolean {
  const d = SYNTHETIC_DIMENSION;
  const models = MODEL_IDS.length;
  const x = new Float64Array(d);
  for (const cell of cells) {
    const difficulties = gridBounds(DIFFICULTY_BUCKETS[cell.bucketIndex].difficulty);
    const inputSizes = gridBounds(TASK_TYPES[cell.taskIndex].inputSize);
    for (const agent of agents) {
      agentCellMeanContext(agent, cell.taskIndex, cell.bucketIndex, x, 0);
      for (const difficulty of difficulties) {
        for (const inputSize of inputSizes) {
          x[FeatureIndex.difficulty] = difficulty;
          x[FeatureIndex.inputSize] = inputSize;
          for (let m = 0; m < models; m++) {
            const base = (cell.index * models + m) * d;
            const c = dotAt(planted.completion, base, x);
            const h = dotAt(planted.hallucination, base, x);
            const r = dotAt(planted.refusal, base, x);
            const inBand = (p: number): boolean => p >= PROBABILITY_LOW && p <= PROBABILITY_HIGH;
            if (!inBand(c) || !inBand(h) || !inBand(r) || c + r > 1 || h + r > 1) {
              return false;
            }
          }
        }
      }
    }
  }
  return true;
}
