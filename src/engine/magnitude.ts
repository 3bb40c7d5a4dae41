/**
 * When a batch may run without a saved copy of the state. The kernel refuses, writing nothing, any
 * single step that would overflow f64; a batch must also be all or nothing, and a saved copy costs
 * a copy of every model. So a batch runs directly only when no row of it can overflow:
 * - every context value and reward below 2¹²⁸ (checked per batch: `ResolvedBatch.moderate`);
 * - ordinary options: λ and the pooling ridge in [2⁻³⁰, 2³⁰], γ ≥ 1/2, λ·|θ₀| ≤ 2⁶⁴, no pooling;
 * - every model reached from such a start by such rows, or restored within the same bounds.
 * Then A⁻¹ ⪯ I/(10⁻⁶·λ) ≤ 2⁵⁰, |b| ≤ λ|θ₀| + n·|r|·|x| ≤ 2³¹⁵ (n ≤ 2⁵³, d ≤ 4096), so θ = A⁻¹b
 * stays below 2³⁶⁵ and one step's largest intermediate, k·(r − xᵀθ)·A⁻¹x, below 2⁵²⁴; a restored
 * state with |θ|, |b| ≤ 2³⁶⁵, statistics ≤ 2³¹⁵ and A⁻¹'s diagonal ≥ 2⁻³⁰⁰ keeps the recursion
 * below 2⁹⁰⁰. Anything else (a larger row once accepted, extreme options, a larger restored state)
 * makes every later batch of the engine run on a saved copy.
 */
import type { ModelRecord } from "./snapshot.js";
import type { ResolvedOptions } from "./types.js";

const ordinaryRidge: readonly [number, number] = [2 ** -30, 2 ** 30];
const ordinaryMinDiscount = 0.5;
const ordinaryPriorScale = 2 ** 64;
/** Bounds a restored model must meet to keep the engine on the direct batch path. */
const maxParameter = 2 ** 365;
const maxStatistic = 2 ** 315;
const minInverseDiagonal = 2 ** -300;

/** Whether options keep every batch of moderate rows from overflowing (see above). */
export function ordinaryOptions(options: Omit<ResolvedOptions, "build">): boolean {
  const [low, high] = ordinaryRidge;
  if (!(options.lambda >= low && options.lambda <= high) || options.discount < ordinaryMinDiscount || options.pooling)
    return false;
  return options.priorMeans.every((mean) => !exceeds(mean, ordinaryPriorScale / options.lambda));
}

/** Whether a restored model is within the bounds of an ordinary engine's models. */
export function ordinaryRecord(record: ModelRecord): boolean {
  if (exceeds(record.theta, maxParameter) || exceeds(record.b, maxParameter)) return false;
  if (
    (record.xx !== undefined && exceeds(record.xx, maxStatistic)) ||
    (record.xr !== undefined && exceeds(record.xr, maxStatistic))
  )
    return false;
  for (let i = 0, p = 0; i < record.theta.length; p += record.theta.length - i, i++) {
    if (record.inverse[p]! < minInverseDiagonal) return false;
  }
  return true;
}

/** Whether merged statistics keep an ordinary engine ordinary. */
export function ordinaryStatistics(xx: ArrayLike<number>, xr: ArrayLike<number>): boolean {
  return !exceeds(xx, maxStatistic) && !exceeds(xr, maxStatistic);
}

/** Whether some |value| is above `bound` (or not a number). */
function exceeds(values: ArrayLike<number>, bound: number): boolean {
  for (let i = 0; i < values.length; i++) if (!(Math.abs(values[i]!) <= bound)) return true;
  return false;
}
