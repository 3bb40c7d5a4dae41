/**
 * Importance weights wᵢ = π(aᵢ | xᵢ) / p(aᵢ | xᵢ) and their diagnostics. The weights say how much
 * each logged event counts for the target policy; their spread says how much the logs can tell.
 */

/** Diagnostics of a set of importance weights. */
export interface WeightDiagnostics {
  /**
   * Kish effective sample size (Σw)² / Σw²: the number of equally weighted events worth as much.
   * 0 when every weight is 0.
   */
  readonly effectiveSampleSize: number;
  /** Mean weight; close to 1 when the propensities are right and the target is supported by the logs. */
  readonly mean: number;
  /** Largest weight (after clipping). */
  readonly max: number;
  /** Share of events with weight 0 (the target never takes the logged action there). */
  readonly zeroShare: number;
  /** Number of weights that the clip lowered (0 when clipping is off). */
  readonly clipped: number;
  /** The clip in effect (Infinity when off). */
  readonly clip: number;
}

/**
 * Computes wᵢ = min(π(aᵢ | xᵢ) / pᵢ, clip).
 * @param targetProbability π(aᵢ | xᵢ) per event.
 * @param propensities pᵢ per event, in (0, 1].
 * @param clip Upper bound on a weight; `Infinity` (no clipping) keeps the estimators unbiased,
 *   a finite clip trades bias for variance.
 */
export function importanceWeights(
  targetProbability: Float64Array,
  propensities: Float64Array,
  clip = Infinity,
): Float64Array {
  const weights = new Float64Array(targetProbability.length);
  for (let i = 0; i < weights.length; i++) weights[i] = Math.min(targetProbability[i] / propensities[i], clip);
  return weights;
}

/**
 * Kish effective sample size of weights: (Σw)² / Σw². Equal weights give n; one dominant weight
 * gives about 1. 0 when every weight is 0.
 */
export function effectiveSampleSize(weights: ArrayLike<number>): number {
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i];
    sumSquares += weights[i] * weights[i];
  }
  return sumSquares === 0 ? 0 : (sum * sum) / sumSquares;
}

/** Running sums of {@link WeightDiagnostics} over weights that arrive in batches, in event order. */
export class WeightTotals {
  private events = 0;
  private sum = 0;
  private squares = 0;
  private max = 0;
  private zeros = 0;
  private clipped = 0;

  /** Adds a batch of weights, of which `clipped` were lowered by the clip. */
  add(weights: Float64Array, clipped = 0): void {
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      this.sum += w;
      this.squares += w * w;
      if (w > this.max) this.max = w;
      if (w === 0) this.zeros++;
    }
    this.events += weights.length;
    this.clipped += clipped;
  }

  /** The diagnostics of the weights added so far, clipped at `clip`. */
  finish(clip = Infinity): WeightDiagnostics {
    const n = this.events;
    return {
      effectiveSampleSize: this.squares === 0 ? 0 : (this.sum * this.sum) / this.squares,
      mean: n === 0 ? Number.NaN : this.sum / n,
      max: this.max,
      zeroShare: n === 0 ? Number.NaN : this.zeros / n,
      clipped: this.clipped,
      clip,
    };
  }
}

/**
 * Summarises weights: effective sample size, mean, max, share of zeros, how many were clipped.
 * @param unclipped The weights before clipping (to count the clipped ones); omit when clipping is off.
 */
export function weightDiagnostics(weights: Float64Array, clip = Infinity, unclipped?: Float64Array): WeightDiagnostics {
  let clipped = 0;
  if (unclipped !== undefined) for (let i = 0; i < weights.length; i++) if (unclipped[i]! > weights[i]!) clipped++;
  const totals = new WeightTotals();
  totals.add(weights, clipped);
  return totals.finish(clip);
}
