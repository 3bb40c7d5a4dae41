/**
 * Argument checks shared by both engines. Each throws a TypeError or RangeError that names the
 * argument and the value received, and none of them changes any state, so an engine can validate
 * a whole batch before it applies any row of it.
 */
import { LinUCBError, describeValue } from "./errors.js";
import type { EventBatch } from "./types.js";

/**
 * Whether the first `length` values are finite. x − x is 0 for a finite x and NaN otherwise, and
 * one NaN term makes a sum NaN: a loop with no branch, measured faster per event than a test per
 * value.
 */
export function allFinite(values: Float64Array, length = values.length): boolean {
  let check = 0;
  for (let i = 0; i < length; i++) {
    const value = values[i]!;
    check += value - value;
  }
  return check === 0;
}

/** Index of the first NaN or ±Infinity in `values`, or −1 when every value is finite. */
export function firstNonFinite(values: Float64Array): number {
  if (allFinite(values)) return -1;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value - value !== 0) return i;
  }
  return -1;
}

/**
 * Checks that every value of a row-major block of `dimension`-long rows is finite; the error names
 * the first bad one by row and feature.
 */
export function checkFiniteRows(values: Float64Array, dimension: number, name: string): void {
  const bad = firstNonFinite(values);
  if (bad < 0) return;
  const row = Math.floor(bad / dimension);
  throw new RangeError(
    `\`${name}\` row ${row} feature ${bad - row * dimension} must be finite; received ${describeValue(values[bad])}`,
  );
}

/**
 * Copies a context into `target` at `offset` and validates it, reading each value exactly once: an
 * array-like whose getters answer differently on a second read cannot slip a NaN past the check.
 * Throws like {@link checkContext}; on a throw `target` may hold part of the copy (it is scratch).
 * Returns whether every value is below 2¹²⁸ ({@link allModerate}).
 *
 * Only the common case (a Float64Array of the right length, every value moderate) is handled here,
 * so that this function stays small enough for V8 to inline into the per-event calls; anything
 * else goes through {@link copyContextChecked}.
 */
export function copyContext(
  context: unknown,
  dimension: number,
  target: Float64Array,
  offset: number,
  name = "context",
): boolean {
  if (context instanceof Float64Array && context.length === dimension) {
    target.set(context, offset);
    if (allModerateRange(target, offset, offset + dimension)) return true;
  }
  return copyContextChecked(context, dimension, target, offset, name);
}

/** {@link copyContext} for any input: copies value by value, each checked as it is read. */
function copyContextChecked(
  context: unknown,
  dimension: number,
  target: Float64Array,
  offset: number,
  name: string,
): boolean {
  if (context === null || typeof context !== "object" || typeof (context as ArrayLike<number>).length !== "number") {
    throw new TypeError(
      `\`${name}\` must be an array or typed array of ${dimension} numbers; received ${describeValue(context)}`,
    );
  }
  const vector = context as ArrayLike<number>;
  const length = vector.length;
  if (length !== dimension)
    throw new RangeError(`\`${name}\` must have length ${dimension} (the dimension); received length ${length}`);
  for (let i = 0; i < dimension; i++) {
    const value = vector[i];
    if (typeof value !== "number" || value - value !== 0) {
      throw new RangeError(`\`${name}[${i}]\` must be a finite number; received ${describeValue(value)}`);
    }
    target[offset + i] = value;
  }
  return allModerateRange(target, offset, offset + dimension);
}

/** 2⁸⁹⁶: v·2⁸⁹⁶ is finite exactly when v is finite and |v| < 2¹²⁸ (f64 overflows at 2¹⁰²⁴). */
const moderateScale = 2 ** 896;

/**
 * Whether every value is finite and below 2¹²⁸ (≈ 3.4e38) in size: the branch-free sum of
 * (e − e), e = v·2⁸⁹⁶, is 0 exactly then — one multiply more per value than {@link allFinite}. A
 * batch of such values cannot overflow an update of a model the engine produced; a batch with
 * larger ones is applied on a saved copy of the state (see the engine's updateMany).
 */
export function allModerate(values: Float64Array): boolean {
  return allModerateRange(values, 0, values.length);
}

/** {@link allModerate} on values[from … to). */
export function allModerateRange(values: Float64Array, from: number, to: number): boolean {
  let check = 0;
  for (let i = from; i < to; i++) {
    const scaled = values[i]! * moderateScale;
    check += scaled - scaled;
  }
  return check === 0;
}

/** Whether one number is finite and below 2¹²⁸ in size. */
export function isModerate(value: number): boolean {
  const scaled = value * moderateScale;
  return scaled - scaled === 0;
}

/** Checks a context vector: array-like, `dimension` long, every value finite. */
export function checkContext(context: unknown, dimension: number, name = "context"): ArrayLike<number> {
  if (context === null || typeof context !== "object" || typeof (context as ArrayLike<number>).length !== "number") {
    throw new TypeError(
      `\`${name}\` must be an array or typed array of ${dimension} numbers; received ${describeValue(context)}`,
    );
  }
  const vector = context as ArrayLike<number>;
  if (vector.length !== dimension) {
    throw new RangeError(`\`${name}\` must have length ${dimension} (the dimension); received length ${vector.length}`);
  }
  if (vector instanceof Float64Array) {
    // Typed values are numbers already: only NaN and ±Infinity can be wrong.
    const bad = firstNonFinite(vector);
    if (bad >= 0)
      throw new RangeError(`\`${name}[${bad}]\` must be a finite number; received ${describeValue(vector[bad])}`);
    return vector;
  }
  for (let i = 0; i < dimension; i++) {
    const value = vector[i];
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new RangeError(`\`${name}[${i}]\` must be a finite number; received ${describeValue(value)}`);
    }
  }
  return vector;
}

/** Checks a reward: a finite number. */
export function checkReward(reward: unknown, name = "reward"): number {
  if (typeof reward !== "number")
    throw new TypeError(`\`${name}\` must be a number; received ${describeValue(reward)}`);
  if (!Number.isFinite(reward)) throw new RangeError(`\`${name}\` must be finite; received ${describeValue(reward)}`);
  return reward;
}

/** Checks a cell id: a non-empty string. */
export function checkCellId(cell: unknown, name = "cell"): string {
  if (typeof cell !== "string")
    throw new TypeError(`\`${name}\` must be a string cell id; received ${describeValue(cell)}`);
  if (cell.length === 0) throw new RangeError(`\`${name}\` must be a non-empty string; received ""`);
  return cell;
}

/** Resolves an arm id to its index, or throws LinUCBError UNKNOWN_ARM. */
export function resolveArm(arm: unknown, armIndex: ReadonlyMap<string, number>, name = "arm"): number {
  if (typeof arm !== "string")
    throw new TypeError(`\`${name}\` must be a string arm id; received ${describeValue(arm)}`);
  const index = armIndex.get(arm);
  if (index === undefined) {
    throw new LinUCBError(
      "UNKNOWN_ARM",
      `\`${name}\` ${describeValue(arm)} is not one of the engine's arms ` +
        `(${[...armIndex.keys()].map((a) => JSON.stringify(a)).join(", ")})`,
      { arm },
    );
  }
  return index;
}

/** A batch whose rows all passed validation, with cells and arms resolved to indices. */
export interface ResolvedBatch {
  readonly length: number;
  /** Cell index per row; cells that did not exist yet get the indices they will be created with. */
  readonly cellIndices: Int32Array;
  readonly armIndices: Int32Array;
  readonly contexts: Float64Array;
  readonly rewards: Float64Array;
  /** Cell ids the batch introduces, in first-appearance order, to create before applying it. */
  readonly newCells: readonly string[];
  /** Whether every context value and reward is below 2¹²⁸ in size ({@link allModerate}). */
  readonly moderate: boolean;
}

/**
 * Validates every row of a batch and resolves ids to indices without changing anything: cells the
 * batch introduces are only listed (with the indices they will get), so a batch with one bad row
 * leaves the engine exactly as it was.
 */
export function resolveBatch(
  batch: EventBatch,
  dimension: number,
  cellIndex: ReadonlyMap<string, number>,
  cellCount: number,
  armIndex: ReadonlyMap<string, number>,
): ResolvedBatch {
  if (batch === null || typeof batch !== "object")
    throw new TypeError(`\`batch\` must be an object; received ${describeValue(batch)}`);
  const { cells, arms, contexts, rewards } = batch;
  if (!(contexts instanceof Float64Array)) {
    throw new TypeError(
      `\`batch.contexts\` must be a Float64Array (rows × ${dimension}, row-major); received ${describeValue(contexts)}`,
    );
  }
  if (cells === null || typeof cells !== "object" || typeof cells.length !== "number") {
    throw new TypeError(
      `\`batch.cells\` must be an array of cell ids or an Int32Array of cell indices; received ${describeValue(cells)}`,
    );
  }
  const length = cells.length;
  if (arms === null || typeof arms !== "object" || arms.length !== length) {
    throw new RangeError(`\`batch.arms\` must have one entry per row (${length}); received ${describeValue(arms)}`);
  }
  if (rewards === null || typeof rewards !== "object" || rewards.length !== length) {
    throw new RangeError(
      `\`batch.rewards\` must have one entry per row (${length}); received ${describeValue(rewards)}`,
    );
  }
  if (contexts.length !== length * dimension) {
    throw new RangeError(
      `\`batch.contexts\` must hold rows × dimension = ${length} × ${dimension} = ${length * dimension} values; ` +
        `received ${contexts.length}`,
    );
  }

  const cellIndices = new Int32Array(length);
  const newCells: string[] = [];
  const pending = new Map<string, number>();
  if (cells instanceof Int32Array) {
    for (let i = 0; i < length; i++) {
      const c = cells[i]!;
      if (c < 0 || c >= cellCount)
        throw new RangeError(`\`batch.cells[${i}]\` must be a cell index in [0, ${cellCount - 1}]; received ${c}`);
      cellIndices[i] = c;
    }
  } else {
    for (let i = 0; i < length; i++) {
      const id = checkCellId(cells[i], `batch.cells[${i}]`);
      let c = cellIndex.get(id) ?? pending.get(id);
      if (c === undefined) {
        c = cellCount + newCells.length;
        pending.set(id, c);
        newCells.push(id);
      }
      cellIndices[i] = c;
    }
  }

  const armCount = armIndex.size;
  const armIndices = new Int32Array(length);
  if (arms instanceof Int32Array) {
    for (let i = 0; i < length; i++) {
      const a = arms[i]!;
      if (a < 0 || a >= armCount)
        throw new RangeError(`\`batch.arms[${i}]\` must be an arm index in [0, ${armCount - 1}]; received ${a}`);
      armIndices[i] = a;
    }
  } else {
    for (let i = 0; i < length; i++)
      armIndices[i] = resolveArm((arms as readonly string[])[i], armIndex, `batch.arms[${i}]`);
  }

  const rewardValues = rewards instanceof Float64Array ? rewards : new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const r = rewards[i];
    if (typeof r !== "number" || !Number.isFinite(r)) {
      throw new RangeError(`\`batch.rewards[${i}]\` must be a finite number; received ${describeValue(r)}`);
    }
    if (rewardValues !== rewards) rewardValues[i] = r;
  }
  // One pass over the contexts when they are moderate (hence finite); the finite check names the
  // first bad value otherwise.
  const moderate = allModerate(contexts) && allModerate(rewardValues);
  if (!moderate) checkFiniteRows(contexts, dimension, "batch.contexts");
  return { length, cellIndices, armIndices, contexts, rewards: rewardValues, newCells, moderate };
}
