/**
 * Do the logs support a target policy? IPS, SNIPS and DR are only valid when the logging policy gave
 * every action the target takes a positive probability in that context. When it did not — logs of a
 * deterministic policy (every propensity 1), or a target choosing arms the logger (almost) never
 * chose — SNIPS silently averages only the events where the two agree and looks as good as they are.
 * Three checks, each a test with a known null distribution under support, so their tolerances come
 * from the data's own standard errors:
 *
 * - mean weight: under support E[w] = Σₐ π(a|x) = 1 exactly; w̄ far from 1 (|w̄ − 1| beyond z
 *   standard errors of w̄) means mass of the target the logs never see (w̄ < 1) or wrong propensities.
 * - zero-weight share: for a deterministic target, P(w = 0 | x) = 1 − μ(π(x)|x), and under support
 *   E[w·(1 − p)] equals that same quantity — so the share of zero weights the logged propensities
 *   predict can be estimated from the events that agree. An excess of zeros beyond z standard errors
 *   of the per-event difference means disagreements the logger could not have produced (with
 *   deterministic logs the prediction is 0: any disagreement counts).
 * - effective sample size: Kish (Σw)²/Σw², compared with a minimum by the caller.
 */

/** The support diagnostics of one target policy on logged events. */
export interface SupportDiagnostics {
  /** Mean importance weight w̄ (1 in expectation under support). */
  readonly meanWeight: number;
  /** Standard error of w̄: sd(w)/√n. */
  readonly meanWeightStandardError: number;
  /** (w̄ − 1) / SE; ±Infinity when SE = 0 and w̄ ≠ 1, 0 when w̄ = 1. */
  readonly meanWeightZ: number;
  /** Share of events with weight 0. */
  readonly zeroWeightShare: number;
  /**
   * The zero-weight share the logged propensities predict under support, mean(w·(1 − p)); null for a stochastic target.
   */
  readonly expectedZeroWeightShare: number | null;
  /** (observed − predicted) / SE of their per-event difference; null for a stochastic target. */
  readonly zeroWeightExcessZ: number | null;
  /** Events where the target disagrees with a logged choice made with propensity 1: no support at all there. */
  readonly unsupportedEvents: number;
  /** Kish effective sample size of the weights. */
  readonly effectiveSampleSize: number;
  readonly events: number;
}

/** The verdict of {@link supportProblems}: empty when the logs support the target. */
export type SupportProblem = string;

function zScore(difference: number, standardError: number): number {
  if (standardError > 0) return difference / standardError;
  return difference === 0 ? 0 : difference * Infinity;
}

/**
 * Running sums of the support diagnostics, for events that arrive in batches (the cadence's held-out
 * chunks): the sums in event order, and the spreads by Welford's update (one pass; equal to the
 * two-pass sums of squares up to rounding).
 */
export class SupportTotals {
  private events = 0;
  private sum = 0;
  private squares = 0;
  private sumOfSquares = 0;
  private zeros = 0;
  private predicted = 0;
  private unsupported = 0;
  /** Welford's running mean and sum of squared deviations of the zero-weight excess zᵢ − wᵢ(1 − pᵢ). */
  private excessMean = 0;
  private excessSquares = 0;
  private weightMean = 0;

  /** Adds events [0, n) of the batch's weights and propensities. */
  add(weights: Float64Array, propensities: Float64Array, n = weights.length): void {
    for (let i = 0; i < n; i++) {
      const w = weights[i]!;
      const p = propensities[i]!;
      const count = ++this.events;
      this.sum += w;
      this.sumOfSquares += w * w;
      const zero = w === 0 ? 1 : 0;
      if (w === 0) {
        this.zeros++;
        if (p === 1) this.unsupported++;
      }
      this.predicted += w * (1 - p);
      const wGap = w - this.weightMean;
      this.weightMean += wGap / count;
      this.squares += wGap * (w - this.weightMean);
      const excess = zero - w * (1 - p);
      const eGap = excess - this.excessMean;
      this.excessMean += eGap / count;
      this.excessSquares += eGap * (excess - this.excessMean);
    }
  }

  /**
   * The diagnostics of the events added so far.
   * @param deterministic Whether the target is one-hot per event (then the zero-weight test applies).
   */
  finish(deterministic: boolean): SupportDiagnostics {
    const n = this.events;
    const meanWeight = this.sum / n;
    const zeroShare = this.zeros / n;
    const predictedShare = this.predicted / n;
    const meanWeightStandardError = n > 1 ? Math.sqrt(this.squares / (n - 1) / n) : Number.NaN;
    const excessError = n > 1 ? Math.sqrt(this.excessSquares / (n - 1) / n) : Number.NaN;
    return {
      meanWeight,
      meanWeightStandardError,
      meanWeightZ: zScore(meanWeight - 1, meanWeightStandardError),
      zeroWeightShare: zeroShare,
      expectedZeroWeightShare: deterministic ? predictedShare : null,
      zeroWeightExcessZ: deterministic ? zScore(zeroShare - predictedShare, excessError) : null,
      unsupportedEvents: this.unsupported,
      effectiveSampleSize: this.sumOfSquares === 0 ? 0 : (this.sum * this.sum) / this.sumOfSquares,
      events: n,
    };
  }
}

/**
 * Diagnostics of the weights w = π(aᵢ|xᵢ)/pᵢ of one target policy.
 * @param deterministic Whether the target is one-hot per event (then the zero-weight test applies).
 */
export function supportDiagnostics(
  weights: Float64Array,
  propensities: Float64Array,
  deterministic: boolean,
): SupportDiagnostics {
  const totals = new SupportTotals();
  totals.add(weights, propensities);
  return totals.finish(deterministic);
}

/** Two-sided normal critical value for a false-refusal rate `rate` (Acklam's rational approximation of Φ⁻¹). */
export function normalCriticalValue(rate: number): number {
  return -inverseNormal(rate / 2);
}

/** Σ kᵢ xⁿ⁻ⁱ by Horner's rule (coefficients from the highest power). */
function horner(coefficients: readonly number[], x: number): number {
  return coefficients.reduce((sum, k) => sum * x + k, 0);
}

/** Φ⁻¹(p) for p in (0, 1), relative error below 1.2e-9 (P. J. Acklam's algorithm). */
export function inverseNormal(p: number): number {
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return horner(c, q) / horner([...d, 1], q);
  }
  if (p > 1 - low) return -inverseNormal(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (horner(a, r) * q) / horner([...b, 1], r);
}

/**
 * Why the logs do not support the target (empty when they do): a mean weight or an excess of zero
 * weights beyond `critical` standard errors, or an effective sample size below `minEffectiveSampleSize`.
 * @param who Names the policy in the reasons ("the candidate").
 */
export function supportProblems(
  diagnostics: SupportDiagnostics,
  who: string,
  critical: number,
  minEffectiveSampleSize: number,
): SupportProblem[] {
  const problems: SupportProblem[] = [];
  const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : String(x));
  if (Math.abs(diagnostics.meanWeightZ) > critical) {
    problems.push(
      `no support for ${who}: its mean importance weight is ${f(diagnostics.meanWeight)} ` +
        `(±${f(diagnostics.meanWeightStandardError)}), ` +
        `not 1 within ${critical.toFixed(2)} standard errors — ` +
        `it picks arms the logger never or almost never chose there, ` +
        "or the propensities are wrong",
    );
  }
  if (diagnostics.zeroWeightExcessZ !== null && diagnostics.zeroWeightExcessZ > critical) {
    problems.push(
      `no support for ${who}: it disagrees with the logged arm on ${f(100 * diagnostics.zeroWeightShare)}% of events ` +
        "where the logged propensities " +
        `predict ${f(100 * (diagnostics.expectedZeroWeightShare ?? 0))}%` +
        (diagnostics.unsupportedEvents > 0
          ? ` (${diagnostics.unsupportedEvents} disagreements with arms logged at propensity 1)`
          : ""),
    );
  }
  if (!(diagnostics.effectiveSampleSize >= minEffectiveSampleSize)) {
    const size = diagnostics.effectiveSampleSize.toFixed(1);
    problems.push(
      `not enough evidence for ${who}: effective sample size ${size}, below the minimum ${minEffectiveSampleSize}`,
    );
  }
  return problems;
}
