/**
 * What a valid corpus row is, beyond its types: the bounds a refit puts on its numbers and ids. One
 * definition serves the two places that must agree on it — the streaming reader, which checks every
 * row it decodes and rejects (by id, with the reason) those outside, and the time split, whose model
 * list and feature dimension come only from rows the reader will accept (a bad row must not add an
 * arm, nor choose the dimension). The reader checks in JavaScript on the decoded values; the split
 * uses {@link validRowSql}, the same conditions in SQL.
 *
 * - reward: finite, and inside the declared range when one is given (the judge's: a reward of
 *   ±1e300 would swamp every sum it enters, and the evaluation's estimates with it);
 * - propensity: in [minPropensity, 1] (the logging probability; 1/p weights the evaluation, and a
 *   propensity of 1e-300 turns one row into 1e300 of weight);
 * - features: one-dimensional, of the corpus's dimension, no nulls, every |x| ≤ maxFeatureMagnitude
 *   (finite, and far from where x·xᵀ loses the other rows' contributions in f64);
 * - cell, model and agent_id: non-empty.
 */
import { describeValue } from "./errors.js";

/** A closed interval of rewards. */
export interface RewardBounds {
  readonly min: number;
  readonly max: number;
}

/** The bounds of a valid row; see the module comment. */
export interface RowBounds {
  /** Rewards outside [min, max] are rejected; null: any finite reward is accepted. */
  readonly reward: RewardBounds | null;
  /** Propensities below this floor are rejected. In (0, 1]. */
  readonly minPropensity: number;
  /** Features with a larger absolute value are rejected. Positive, finite. */
  readonly maxFeatureMagnitude: number;
}

/**
 * The defaults: no reward range (the caller declares one: the cadence passes its judge's), a
 * propensity floor of 1e-6 (an importance weight of at most a million), features within ±1e6 (a
 * routing feature is a share, a count or a score: a million is far beyond any of them, and its
 * square, 1e12, still leaves unit-scale rows about four significant digits in an f64 sum).
 */
export const DEFAULT_ROW_BOUNDS: RowBounds = Object.freeze({
  reward: null,
  minPropensity: 1e-6,
  maxFeatureMagnitude: 1e6,
});

/** Applies the defaults to `bounds` and checks every value; a bad one is a RangeError naming it. */
export function resolveRowBounds(bounds: Partial<RowBounds> | undefined, name = "bounds"): RowBounds {
  if (bounds === undefined) return DEFAULT_ROW_BOUNDS;
  if (typeof bounds !== "object" || bounds === null)
    throw new TypeError(`${name} must be an object; received ${describeValue(bounds)}`);
  const reward = bounds.reward ?? null;
  if (reward !== null) {
    const ok =
      typeof reward === "object" &&
      Number.isFinite(reward.min) &&
      Number.isFinite(reward.max) &&
      reward.min <= reward.max;
    if (!ok) {
      throw new RangeError(
        `${name}.reward must be { min, max } with finite min ≤ max, or null; received ${describeValue(reward)}`,
      );
    }
  }
  const minPropensity = bounds.minPropensity ?? DEFAULT_ROW_BOUNDS.minPropensity;
  if (typeof minPropensity !== "number" || !(minPropensity > 0 && minPropensity <= 1)) {
    throw new RangeError(`${name}.minPropensity must be a number in (0, 1]; received ${describeValue(minPropensity)}`);
  }
  const maxFeatureMagnitude = bounds.maxFeatureMagnitude ?? DEFAULT_ROW_BOUNDS.maxFeatureMagnitude;
  if (typeof maxFeatureMagnitude !== "number" || !(maxFeatureMagnitude > 0 && Number.isFinite(maxFeatureMagnitude))) {
    throw new RangeError(
      `${name}.maxFeatureMagnitude must be a positive finite number; received ${describeValue(maxFeatureMagnitude)}`,
    );
  }
  return { reward: reward === null ? null : { min: reward.min, max: reward.max }, minPropensity, maxFeatureMagnitude };
}

/** A float8 SQL literal of a finite number (quoted: exact, whatever its exponent). */
function float8(value: number): string {
  return `'${String(value)}'::float8`;
}

/**
 * The SQL condition a row of either corpus table meets exactly when the reader would accept it
 * (judged or not), given the corpus's dimension as an SQL expression and the row's reward as SQL
 * (see {@link cheapValidRowSql}). NULLs make it not true. It is {@link cheapValidRowSql} and the
 * length and {@link featureMagnitudeSql}.
 */
export function validRowSql(bounds: RowBounds, dimension: string, reward = "reward"): string {
  return (
    `${cheapValidRowSql(bounds, reward)} AND cardinality(features) = ${dimension} AND ` +
    `${featureMagnitudeSql(bounds, "features")}`
  );
}

/**
 * Every check of {@link validRowSql} but two: the features' length and their magnitude bound (the one
 * check that needs each value, so the costly one: on 1M rows of d = 16 it takes seconds). Non-finite
 * features are caught here, by array overlap (PostgreSQL's float8 equality matches NaN with NaN).
 * `reward` is the row's reward as SQL: the column, or judgedRewardSql (./judge-watermarks.ts).
 */
export function cheapValidRowSql(bounds: RowBounds, reward = "reward"): string {
  const value = `(${reward})`;
  const inRange =
    bounds.reward === null
      ? `(${value} > '-Infinity'::float8 AND ${value} < 'Infinity'::float8)`
      : `(${value} >= ${float8(bounds.reward.min)} AND ${value} <= ${float8(bounds.reward.max)})`;
  // PostgreSQL orders NaN above every number, so NaN fails each `<=` below, as ±Infinity does.
  return [
    "cell <> ''",
    "model <> ''",
    "agent_id <> ''",
    `propensity >= ${float8(bounds.minPropensity)} AND propensity <= 1`,
    `(${value} IS NULL OR ${inRange})`,
    // array_position raises an error on a multidimensional array, and AND does not promise to stop early: a CASE does.
    "(CASE WHEN array_ndims(features) = 1 THEN array_position(features, NULL) IS NULL ELSE false END)",
    "NOT (features && '{NaN,Infinity,-Infinity}'::float8[])",
  ].join(" AND ");
}

/**
 * Every value of the float8[] expression `features` within ±maxFeatureMagnitude
 * (NaN fails: PostgreSQL orders it above every number).
 */
export function featureMagnitudeSql(bounds: RowBounds, features: string): string {
  return `(SELECT max(abs(x)) FROM unnest(${features}) AS x) <= ${float8(bounds.maxFeatureMagnitude)}`;
}
