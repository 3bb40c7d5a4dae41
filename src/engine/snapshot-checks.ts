/**
 * The content checks of a decoded snapshot: a checksum proves the bytes are the ones written, not
 * that whoever wrote them was an engine. Before restore allocates or writes anything, every value
 * must be one an engine can hold — finite numbers, whole non-negative counts, prior weights in
 * (0, 1], unique cell ids, a non-degenerate random state, and per model an A⁻¹ that is positive
 * definite (to working precision) and no larger than its ridge allows (A ⪰ wλI, so A⁻¹ ⪯ I/(wλ)).
 * A⁻¹ and Σxxᵀ travel as packed upper triangles, so they are symmetric by construction.
 */
import { LinUCBError } from "./errors.js";
import { describeValue } from "../shared/describe-value.js";
import type { DecodedSnapshot, ModelRecord } from "./snapshot.js";
import { packedLength } from "./statistics.js";

/**
 * How far a pivot of the Cholesky check of A⁻¹ may fall below zero, relative to its diagonal,
 * before A⁻¹ counts as not positive definite: an ill-conditioned A⁻¹ computed in f64 may be
 * semi-definite by rounding, which the engine tolerates (scores clamp the quadratic form at 0).
 */
const pivotTolerance = 1e-9;
/** Slack on A⁻¹ ⪯ I/(wλ): a computed inverse may exceed its exact bound by rounding. */
const ridgeBoundSlack = 2;
/**
 * Largest size of a statistic (Σxxᵀ, Σrx) restored: the kernel keeps them below 2¹⁰⁰⁰ and adds
 * rows below 2¹²⁸ unchecked, which must not reach f64's 2¹⁰²⁴ (assembly/guard.ts).
 */
const maxStatistic = 2 ** 1010;

function corrupted(message: string): never {
  throw new LinUCBError("SNAPSHOT_CORRUPTED", `snapshot is corrupted: ${message}`);
}

/** Throws SNAPSHOT_CORRUPTED naming the first value of a decoded snapshot no engine can hold. */
export function checkSnapshotContents(decoded: DecodedSnapshot): void {
  const { cells, options } = decoded;
  const seen = new Set<string>();
  for (const cell of cells) {
    if (cell.length === 0) corrupted(`cell id ${describeValue(cell)} is empty`);
    if (seen.has(cell)) corrupted(`cell id ${JSON.stringify(cell)} appears twice`);
    seen.add(cell);
  }
  if (decoded.randomState.every((word) => word === 0)) corrupted("the random stream state is all zero");
  decoded.effectivePriors.forEach((mean, arm) => {
    const bad = mean.findIndex((value) => !Number.isFinite(value));
    if (bad >= 0)
      corrupted(
        `the prior in effect of arm ${JSON.stringify(options.arms[arm])} holds ${describeValue(mean[bad])} at ${bad}`,
      );
  });
  const work = new Float64Array(options.dimension * options.dimension);
  for (let c = 0; c < cells.length; c++) {
    for (let a = 0; a < options.arms.length; a++) {
      const problem = recordProblem(decoded.record(c, a), options.dimension, options.lambda, work);
      if (problem !== null)
        corrupted(`cell ${JSON.stringify(cells[c])} arm ${JSON.stringify(options.arms[a])}: ${problem}`);
    }
  }
}

/** What is wrong with one model record, or null. */
function recordProblem(record: ModelRecord, d: number, lambda: number, work: Float64Array): string | null {
  const fields: [string, Float64Array | undefined][] = [
    ["A⁻¹", record.inverse],
    ["θ", record.theta],
    ["b", record.b],
    ["Σxxᵀ", record.xx],
    ["Σrx", record.xr],
  ];
  for (const [name, values] of fields) {
    if (values === undefined) continue;
    const bad = values.findIndex((value) => !Number.isFinite(value));
    if (bad >= 0) return `${name} holds ${describeValue(values[bad])} at ${bad}`;
  }
  if (!(Number.isInteger(record.count) && record.count >= 0)) {
    return `count must be a whole number ≥ 0; found ${describeValue(record.count)}`;
  }
  const w = record.priorWeight;
  if (!(w > 0 && w <= 1)) return `prior weight must be in (0, 1]; found ${describeValue(w)}`;
  if (record.xx !== undefined && diagonal(record.xx, d).some((value) => value < 0))
    return "Σxxᵀ has a negative diagonal entry";
  for (const [name, values] of [
    ["Σxxᵀ", record.xx],
    ["Σrx", record.xr],
  ] as const) {
    if (values?.some((value) => Math.abs(value) > maxStatistic)) {
      return `${name} holds a value above 2¹⁰¹⁰, beyond what an engine keeps`;
    }
  }
  const bound = ridgeBoundSlack / (w * lambda);
  if (diagonal(record.inverse, d).some((value) => value > bound)) {
    return `A⁻¹ is larger than its ridge allows (a diagonal entry above 1/(wλ) = ${1 / (w * lambda)})`;
  }
  if (!positiveDefinite(record.inverse, d, work)) return "A⁻¹ is not positive definite";
  return null;
}

/** Diagonal of a packed upper triangle (row i starts at i·d − i(i−1)/2). */
function diagonal(packed: Float64Array, d: number): number[] {
  const values: number[] = [];
  for (let i = 0, p = 0; i < d; p += d - i, i++) values.push(packed[p]!);
  return values;
}

/**
 * Cholesky factorisation of the packed symmetric matrix into `work` (d×d, lower triangle): false
 * when a pivot is negative beyond rounding or the diagonal is not positive.
 */
function positiveDefinite(packed: Float64Array, d: number, work: Float64Array): boolean {
  if (packed.length !== packedLength(d)) return false;
  for (let i = 0, p = 0; i < d; i++) {
    for (let j = i; j < d; j++) work[j * d + i] = packed[p++]!;
  }
  for (let j = 0; j < d; j++) {
    const diagonalValue = work[j * d + j]!;
    if (!(diagonalValue > 0)) return false;
    let s = diagonalValue;
    for (let k = 0; k < j; k++) s -= work[j * d + k]! ** 2;
    if (s < -pivotTolerance * diagonalValue) return false;
    const pivot = Math.sqrt(Math.max(s, 0));
    for (let i = j + 1; i < d; i++) {
      let t = work[i * d + j]!;
      for (let k = 0; k < j; k++) t -= work[i * d + k]! * work[j * d + k]!;
      // A zero pivot with a non-zero column below it: indefinite, not merely semi-definite.
      if (pivot === 0 && Math.abs(t) > pivotTolerance * Math.sqrt(diagonalValue * work[i * d + i]!)) return false;
      work[i * d + j] = pivot === 0 ? 0 : t / pivot;
    }
    work[j * d + j] = pivot;
  }
  return true;
}
