/**
 * The policy being evaluated (the target policy π) and the direct-method reward model q̂, and the
 * per-event quantities every estimator is built from. Both are read once, validated row by row,
 * and reduced to a few Float64Arrays of length n, so that no estimator keeps an n × K matrix alive.
 */
import type { LoggedEvents } from "./logged-events.js";
import type { SeededRandom } from "./random.js";
import { describeValue } from "./validate.js";

/**
 * Writes π(· | event) — the probability of every action, length K — into `out` (zeroed before each
 * call). A deterministic policy writes a one-hot row.
 */
export type PolicyFunction = (event: number, out: Float64Array) => void;

/**
 * The target policy π, in one of three forms:
 * - a `Float64Array` of n × K probabilities, row-major (row i is π(· | event i));
 * - an `Int32Array` of n action indices: a deterministic policy (row i is one-hot at `choices[i]`);
 * - a {@link PolicyFunction}, which fills one row at a time (no n × K matrix in memory).
 * Every row must be a distribution: entries in [0, 1] that sum to 1 (within 10⁻⁶).
 */
export type TargetPolicy = Float64Array | Int32Array | PolicyFunction;

/** Writes q̂(event, ·) — the predicted reward of every action, length K — into `out`. */
export type RewardModelFunction = (event: number, out: Float64Array) => void;

/**
 * The direct-method model q̂(x, a): predicted rewards for all K actions per event, as a row-major
 * n × K `Float64Array` or a {@link RewardModelFunction}. Values must be finite.
 */
export type RewardModel = Float64Array | RewardModelFunction;

/** Per-event quantities of a (target policy, logged events[, reward model]) triple. */
export interface PolicyTerms {
  /** π(aᵢ | xᵢ): the target's probability of the logged action. */
  readonly targetProbability: Float64Array;
  /** Σₐ π(a | xᵢ) q̂(xᵢ, a): the model's value of the target at event i (when a model is given). */
  readonly modelValue: Float64Array | undefined;
  /** q̂(xᵢ, aᵢ): the model's prediction for the logged action (when a model is given). */
  readonly modelLogged: Float64Array | undefined;
  /**
   * The target's choice per event for replay (when `chooser` is given): the action of a one-hot row,
   * otherwise an action drawn from the row with the seeded stream.
   */
  readonly choices: Int32Array | undefined;
}

/**
 * Tolerance on Σₐ π(a | x) = 1: loose enough for float32-computed softmaxes, tight enough to catch unnormalised scores.
 */
const SUM_TOLERANCE = 1e-6;

/**
 * Reads the target policy (and the reward model) over all events, validating every row, and returns
 * the per-event quantities the estimators need.
 * @param chooser When given, also draws the replay choice per event from this stream.
 * @internal used by the estimators (not exported from the package).
 */
export function policyTerms(
  events: LoggedEvents,
  policy: TargetPolicy,
  rewardModel?: RewardModel,
  chooser?: SeededRandom,
): PolicyTerms {
  const n = events.length;
  const k = events.actionCount;
  const targetProbability = new Float64Array(n);
  const choices = chooser === undefined ? undefined : new Int32Array(n);
  const modelValue = rewardModel === undefined ? undefined : new Float64Array(n);
  const modelLogged = rewardModel === undefined ? undefined : new Float64Array(n);
  const readRow = policyReader(policy, n, k);
  const readModel = rewardModel === undefined ? undefined : modelReader(rewardModel, n, k);
  const row = new Float64Array(k);
  const predicted = new Float64Array(k);

  for (let i = 0; i < n; i++) {
    const logged = events.actions[i];
    if (readRow === undefined) {
      // Deterministic policy given as choices: no row to build.
      const choice = (policy as Int32Array)[i];
      targetProbability[i] = choice === logged ? 1 : 0;
      if (choices !== undefined) choices[i] = choice;
      if (readModel !== undefined) {
        readModel(i, predicted);
        modelValue![i] = predicted[choice];
        modelLogged![i] = predicted[logged];
      }
      continue;
    }
    readRow(i, row);
    targetProbability[i] = row[logged];
    if (choices !== undefined) choices[i] = chooseFromRow(row, chooser!);
    if (readModel !== undefined) {
      readModel(i, predicted);
      let value = 0;
      for (let a = 0; a < k; a++) value += row[a] * predicted[a];
      modelValue![i] = value;
      modelLogged![i] = predicted[logged];
    }
  }
  return { targetProbability, modelValue, modelLogged, choices };
}

/** Returns a function that fills and validates row i of the policy, or undefined for the choices form. */
function policyReader(
  policy: TargetPolicy,
  n: number,
  k: number,
): ((i: number, out: Float64Array) => void) | undefined {
  if (policy instanceof Int32Array) {
    if (policy.length !== n) {
      throw new RangeError(
        `\`policy\` (an Int32Array of chosen actions) must have length ${n} (one per event); ` +
          `received length ${policy.length}`,
      );
    }
    for (let i = 0; i < n; i++) {
      if (policy[i] < 0 || policy[i] >= k) {
        throw new RangeError(`\`policy[${i}]\` must be an action index in [0, ${k - 1}]; received ${policy[i]}`);
      }
    }
    return undefined;
  }
  if (policy instanceof Float64Array) {
    if (policy.length !== n * k) {
      throw new RangeError(
        `\`policy\` (a Float64Array of probabilities) must have length ${n * k} (${n} events × ${k} actions); ` +
          `received length ${policy.length}`,
      );
    }
    return (i, out) => {
      out.set(policy.subarray(i * k, i * k + k));
      checkDistribution(out, i);
    };
  }
  if (typeof policy === "function") {
    return (i, out) => {
      out.fill(0);
      policy(i, out);
      checkDistribution(out, i);
    };
  }
  throw new TypeError(
    `\`policy\` must be a Float64Array (events × actions), ` +
      `an Int32Array (chosen action per event) or a function (event, out) => void; ` +
      `received ${describeValue(policy)}`,
  );
}

function modelReader(model: RewardModel, n: number, k: number): (i: number, out: Float64Array) => void {
  let read: (i: number, out: Float64Array) => void;
  if (model instanceof Float64Array) {
    if (model.length !== n * k) {
      throw new RangeError(
        `\`rewardModel\` (predicted rewards) must have length ${n * k} (${n} events × ${k} actions); ` +
          `received length ${model.length}`,
      );
    }
    read = (i, out) => out.set(model.subarray(i * k, i * k + k));
  } else if (typeof model === "function") {
    read = (i, out) => {
      out.fill(0);
      model(i, out);
    };
  } else {
    throw new TypeError(
      `\`rewardModel\` must be a Float64Array (events × actions) ` +
        `or a function (event, out) => void; received ${describeValue(model)}`,
    );
  }
  return (i, out) => {
    read(i, out);
    for (let a = 0; a < k; a++) {
      if (!Number.isFinite(out[a])) {
        throw new RangeError(
          `\`rewardModel\` prediction for event ${i}, action ${a} must be a finite number; ` +
            `received ${describeValue(out[a])}`,
        );
      }
    }
  };
}

function checkDistribution(row: Float64Array, event: number): void {
  let sum = 0;
  for (let a = 0; a < row.length; a++) {
    const p = row[a];
    if (!(p >= 0 && p <= 1)) {
      throw new RangeError(
        `\`policy\` probability of action ${a} at event ${event} must be in [0, 1]; received ${describeValue(p)}`,
      );
    }
    sum += p;
  }
  if (Math.abs(sum - 1) > SUM_TOLERANCE) {
    throw new RangeError(
      `\`policy\` row of event ${event} must sum to 1 (a distribution over the ${row.length} actions); ` +
        `received a sum of ${sum}`,
    );
  }
}

/** The action of a one-hot row, or one drawn from the row (inverse CDF) with the seeded stream. */
function chooseFromRow(row: Float64Array, random: SeededRandom): number {
  const k = row.length;
  for (let a = 0; a < k; a++) if (row[a] === 1) return a;
  const u = random.nextFloat();
  let cumulative = 0;
  let last = 0;
  for (let a = 0; a < k; a++) {
    if (row[a] > 0) last = a;
    cumulative += row[a];
    if (u < cumulative) return a;
  }
  // Rounding left the cumulative sum just under u: the last action with mass takes it.
  return last;
}
