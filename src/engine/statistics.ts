/**
 * Exact sufficient statistics in their exported form, and the packing of symmetric matrices.
 * A symmetric d×d matrix travels as its packed upper triangle: row i holds columns i … d−1, so the
 * packed length is d(d+1)/2. Snapshots use the same packing for A⁻¹.
 */
import { LinUCBError, describeValue } from "./errors.js";
import type { LinUCBStatistics } from "./types.js";

/** Number of values in the packed upper triangle of a d×d matrix. */
export function packedLength(d: number): number {
  return (d * (d + 1)) / 2;
}

/**
 * Copies the upper triangle of a row-major matrix (row stride `stride`, starting at `offset` of
 * `source`) into `target` at `targetOffset`, packed row by row.
 */
export function packUpper(
  source: Float64Array,
  offset: number,
  stride: number,
  d: number,
  target: Float64Array,
  targetOffset: number,
): void {
  let t = targetOffset;
  for (let i = 0; i < d; i++) {
    const row = offset + i * stride;
    for (let j = i; j < d; j++) target[t++] = source[row + j]!;
  }
}

/** Unpacks a packed upper triangle into the upper triangle of a row-major matrix (stride `stride`). */
export function unpackUpper(
  packed: Float64Array,
  packedOffset: number,
  d: number,
  target: Float64Array,
  offset: number,
  stride: number,
): void {
  let p = packedOffset;
  for (let i = 0; i < d; i++) {
    const row = offset + i * stride;
    for (let j = i; j < d; j++) target[row + j] = packed[p++]!;
  }
}

/** Expands a packed upper triangle into a full symmetric row-major d×d matrix. */
export function unpackSymmetric(packed: Float64Array, packedOffset: number, d: number): Float64Array {
  const full = new Float64Array(d * d);
  let p = packedOffset;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const value = packed[p++]!;
      full[i * d + j] = value;
      full[j * d + i] = value;
    }
  }
  return full;
}

/**
 * Checks that statistics fit an engine (same dimension, arms in the same order, same discount)
 * and that every array has the right length and only finite values. Changes nothing.
 */
export function checkStatistics(
  stats: LinUCBStatistics,
  dimension: number,
  arms: readonly string[],
  discount: number,
): void {
  if (stats === null || typeof stats !== "object") {
    throw new TypeError(`\`stats\` must be statistics from exportStatistics(); received ${describeValue(stats)}`);
  }
  if (stats.dimension !== dimension) {
    throw new LinUCBError(
      "INCOMPATIBLE",
      `\`stats.dimension\` is ${describeValue(stats.dimension)}, the engine's dimension is ${dimension}`,
      { dimension: stats.dimension },
    );
  }
  if (!Array.isArray(stats.arms) || stats.arms.length !== arms.length || stats.arms.some((arm, i) => arm !== arms[i])) {
    throw new LinUCBError(
      "INCOMPATIBLE",
      `\`stats.arms\` ${describeValue(stats.arms)} differ from the engine's arms ${describeValue(arms)} (same ids, ` +
        `same order)`,
      { arms: stats.arms },
    );
  }
  if (stats.discount !== discount) {
    throw new LinUCBError(
      "INCOMPATIBLE",
      `\`stats.discount\` is ${describeValue(stats.discount)}, the engine's discount is ${discount}`,
      { discount: stats.discount },
    );
  }
  if (!Array.isArray(stats.cells))
    throw new TypeError(`\`stats.cells\` must be an array of cell ids; received ${describeValue(stats.cells)}`);
  const models = stats.cells.length * arms.length;
  const expect = (name: string, array: unknown, length: number): void => {
    if (!(array instanceof Float64Array))
      throw new TypeError(`\`stats.${name}\` must be a Float64Array; received ${describeValue(array)}`);
    if (array.length !== length)
      throw new RangeError(`\`stats.${name}\` must hold ${length} values; received ${array.length}`);
    for (let i = 0; i < length; i++) {
      if (!Number.isFinite(array[i]!))
        throw new RangeError(`\`stats.${name}[${i}]\` must be finite; received ${describeValue(array[i])}`);
    }
  };
  expect("xx", stats.xx, models * packedLength(dimension));
  expect("xr", stats.xr, models * dimension);
  expect("counts", stats.counts, models);
  expect("priorWeights", stats.priorWeights, models);
  if (stats.yy !== undefined) {
    // NaN marks a Σr² the exporting engine did not know (it was restored from a snapshot).
    if (!(stats.yy instanceof Float64Array))
      throw new TypeError(`\`stats.yy\` must be a Float64Array; received ${describeValue(stats.yy)}`);
    if (stats.yy.length !== models)
      throw new RangeError(`\`stats.yy\` must hold ${models} values; received ${stats.yy.length}`);
    for (let i = 0; i < models; i++) {
      const v = stats.yy[i]!;
      if (!(v >= 0 && v < Infinity) && !Number.isNaN(v))
        throw new RangeError(
          `\`stats.yy[${i}]\` must be finite and ≥ 0 (or NaN: unknown); received ${describeValue(v)}`,
        );
    }
  }
  const seen = new Set<string>();
  stats.cells.forEach((cell, i) => {
    if (typeof cell !== "string" || cell.length === 0)
      throw new TypeError(`\`stats.cells[${i}]\` must be a non-empty string; received ${describeValue(cell)}`);
    if (seen.has(cell)) throw new RangeError(`\`stats.cells[${i}]\` ${describeValue(cell)} appears twice`);
    seen.add(cell);
  });
  for (let m = 0; m < models; m++) {
    const n = stats.counts[m]!;
    const w = stats.priorWeights[m]!;
    if (n < 0 || !Number.isInteger(n))
      throw new RangeError(`\`stats.counts[${m}]\` must be a non-negative integer; received ${n}`);
    if (!(w > 0 && w <= 1)) throw new RangeError(`\`stats.priorWeights[${m}]\` must be in (0, 1]; received ${w}`);
  }
}

/**
 * Adds the statistics of every model of `b` to those of `a` (both from engines of one shape).
 * Cells of `b` that `a` lacks are appended. With a discount below 1, sums are only exact when no
 * model has rows on both sides (their relative order is unknown), so that is refused.
 */
export function addStatistics(a: LinUCBStatistics, b: LinUCBStatistics): LinUCBStatistics {
  checkStatistics(a, a.dimension, a.arms, a.discount);
  checkStatistics(b, a.dimension, a.arms, a.discount);
  const k = a.arms.length;
  const d = a.dimension;
  const p = packedLength(d);
  const cells = [...a.cells];
  const index = new Map(cells.map((cell, i) => [cell, i]));
  for (const cell of b.cells) if (!index.has(cell)) index.set(cell, cells.push(cell) - 1);
  const models = cells.length * k;
  const xx = new Float64Array(models * p);
  const xr = new Float64Array(models * d);
  const counts = new Float64Array(models);
  const priorWeights = new Float64Array(models).fill(1);
  xx.set(a.xx);
  xr.set(a.xr);
  counts.set(a.counts);
  priorWeights.set(a.priorWeights);
  b.cells.forEach((cell, bc) => {
    const c = index.get(cell)!;
    for (let arm = 0; arm < k; arm++) {
      const m = c * k + arm;
      const mb = bc * k + arm;
      mergeModelStatistics(
        { xx, xr, counts, priorWeights, model: m },
        { xx: b.xx, xr: b.xr, counts: b.counts, priorWeights: b.priorWeights, model: mb },
        d,
        a.discount,
        cell,
        a.arms[arm]!,
      );
    }
  });
  const sums = { dimension: d, arms: a.arms, discount: a.discount, cells, xx, xr, counts, priorWeights };
  if (a.yy === undefined || b.yy === undefined) return sums;
  // Σr² adds like Σrx (a model is only merged when one side is empty or there is no discount).
  const yy = new Float64Array(models);
  yy.set(a.yy);
  b.cells.forEach((cell, bc) => {
    for (let arm = 0; arm < k; arm++) yy[index.get(cell)! * k + arm]! += b.yy![bc * k + arm];
  });
  return { ...sums, yy };
}

/** One model's statistics inside the flat arrays of a {@link LinUCBStatistics}. */
export interface ModelStatisticsSlot {
  readonly xx: Float64Array;
  readonly xr: Float64Array;
  readonly counts: Float64Array;
  readonly priorWeights: Float64Array;
  readonly model: number;
}

/**
 * target += source for one model. Refuses (LinUCBError INCOMPATIBLE) a discounted merge where both
 * sides saw rows; the caller checks every model before it mutates any.
 */
export function mergeModelStatistics(
  target: ModelStatisticsSlot,
  source: ModelStatisticsSlot,
  d: number,
  discount: number,
  cell: string,
  arm: string,
): void {
  const p = packedLength(d);
  const nSource = source.counts[source.model]!;
  if (nSource === 0) return;
  const nTarget = target.counts[target.model]!;
  if (discount !== 1 && nTarget > 0) {
    throw new LinUCBError(
      "INCOMPATIBLE",
      `cannot merge discounted statistics of cell ${JSON.stringify(cell)}, arm ${JSON.stringify(arm)}: both sides ` +
        `saw rows and their order is unknown`,
      { cell, arm },
    );
  }
  for (let i = 0; i < p; i++) target.xx[target.model * p + i]! += source.xx[source.model * p + i];
  for (let i = 0; i < d; i++) target.xr[target.model * d + i]! += source.xr[source.model * d + i];
  target.counts[target.model] = nTarget + nSource;
  if (nTarget === 0) target.priorWeights[target.model] = source.priorWeights[source.model]!;
}
