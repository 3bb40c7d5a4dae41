/**
 * One paired bootstrap of the difference Δ = V(candidate) − V(incumbent) of two ratio estimators
 * over the same events: every resample draws one set of event indices and recomputes both ratios on
 * it, so the noise the two estimates share (the same contexts, the same logged rewards) cancels in
 * Δ instead of adding up, as it would in two separate intervals.
 *
 * Each policy's estimate is Σ uᵢ / Σ vᵢ (SNIPS: u = w·r, v = w; IPS and DR: v = 1). The one-sided
 * lower bound at level α (the gate's "probably not worse than Δ = bound") comes in three flavours,
 * all from the same resamples:
 *
 * - studentized (bootstrap-t): Δ̂ − t*₁₋α · SE, with t*_b = (Δ*_b − Δ̂) / SE*_b and SE the
 *   delta-method (linearised) standard error of Δ̂, recomputed in every resample. Second-order
 *   accurate for smooth functions of means such as ratios, so it holds its level where the percentile
 *   bound, whose error is first order in the skewness of the self-normalised ratio, under-covers at
 *   small n (measured: bench/gate-calibration.ts).
 * - percentile: the α quantile of Δ*.
 * - basic: 2Δ̂ − the (1 − α) quantile of Δ*.
 */
import { quantile } from "./bootstrap.js";
import type { RatioStatistic } from "./bootstrap.js";
import { createSeededRandom } from "./random.js";
import { checkPositiveInteger, checkSeed, describeValue } from "./validate.js";

/** The bootstrap flavours of the lower bound. */
export type PairedBoundMethod = "studentized" | "percentile" | "basic";

/** Options of {@link pairedDifference}. */
export interface PairedBootstrapOptions {
  /** One-sided level α of the lower bound, in (0, 0.5). @default 0.025 */
  readonly alpha?: number;
  /** Number of resamples. @default 1000 */
  readonly resamples?: number;
  /** Seed of the resampling stream. @default 0 */
  readonly seed?: number;
  /** Which bound is `lowerBound`. @default 'studentized' */
  readonly method?: PairedBoundMethod;
}

/** The paired estimate of Δ = V(candidate) − V(incumbent) and its one-sided lower bounds. */
export interface PairedDifference {
  /** Δ̂: the candidate's estimate minus the incumbent's, on the same events. NaN when undefined. */
  readonly difference: number;
  /** The candidate's and the incumbent's point estimates. */
  readonly candidateValue: number;
  readonly incumbentValue: number;
  /** The lower bound of the chosen `method`: Δ is above it with probability about 1 − α. */
  readonly lowerBound: number;
  readonly method: PairedBoundMethod;
  /** Every flavour's bound, from the same resamples (for diagnostics and calibration). */
  readonly bounds: Readonly<Record<PairedBoundMethod, number>>;
  /** Delta-method standard error of Δ̂ on the events. */
  readonly standardError: number;
  readonly alpha: number;
  readonly resamples: number;
  readonly seed: number;
  /** Resamples in which a ratio's denominator was 0 (no estimate; left out of the quantiles). */
  readonly degenerate: number;
}

interface Ratio {
  readonly u: Float64Array;
  readonly v: Float64Array | undefined;
}

function checkStatistic(statistic: RatioStatistic, name: string, n: number | undefined): Ratio {
  const { numerators, denominators } = statistic ?? ({} as RatioStatistic);
  if (!(numerators instanceof Float64Array)) {
    throw new TypeError(`\`${name}.numerators\` must be a Float64Array; received ${describeValue(numerators)}`);
  }
  if (n !== undefined && numerators.length !== n) {
    throw new RangeError(
      `\`${name}.numerators\` must have length ${n} (the candidate's); received length ${numerators.length}`,
    );
  }
  if (
    denominators !== undefined &&
    (!(denominators instanceof Float64Array) || denominators.length !== numerators.length)
  ) {
    throw new RangeError(
      `\`${name}.denominators\` must be a Float64Array of length ${numerators.length}; received ${describeValue(denominators)}`,
    );
  }
  return { u: numerators, v: denominators };
}

/** Δ̂ with its standard error and the two estimates, on all events or one resample. */
interface PairedPoint {
  readonly delta: number;
  readonly se: number;
  readonly c: number;
  readonly i: number;
}

/** Σ u and Σ v of a ratio over `indices` (all events when null). */
function sums(ratio: Ratio, indices: Int32Array | null, n: number): [number, number] {
  let top = 0;
  let bottom = ratio.v === undefined ? n : 0;
  for (let j = 0; j < n; j++) {
    const i = indices === null ? j : indices[j]!;
    top += ratio.u[i]!;
    if (ratio.v !== undefined) bottom += ratio.v[i]!;
  }
  return [top, bottom];
}

/**
 * Δ̂ and its delta-method standard error over `indices` (all events when null): with
 * ψⱼ = (u_cⱼ − θ_c v_cⱼ)/v̄_c − (u_iⱼ − θ_i v_iⱼ)/v̄_i, Δ̂ − Δ ≈ mean(ψ) and SE = √(Σψ²)/n.
 */
function differenceAndError(c: Ratio, i: Ratio, indices: Int32Array | null, n: number): PairedPoint {
  const [cu, cv] = sums(c, indices, n);
  const [iu, iv] = sums(i, indices, n);
  if (cv === 0 || iv === 0) {
    return {
      delta: Number.NaN,
      se: Number.NaN,
      c: cv === 0 ? Number.NaN : cu / cv,
      i: iv === 0 ? Number.NaN : iu / iv,
    };
  }
  const thetaC = cu / cv;
  const thetaI = iu / iv;
  const meanC = cv / n;
  const meanI = iv / n;
  let squares = 0;
  for (let j = 0; j < n; j++) {
    const e = indices === null ? j : indices[j]!;
    const candidateTerm = (c.u[e]! - thetaC * (c.v === undefined ? 1 : c.v[e]!)) / meanC;
    const psi = candidateTerm - (i.u[e]! - thetaI * (i.v === undefined ? 1 : i.v[e]!)) / meanI;
    squares += psi * psi;
  }
  return { delta: thetaC - thetaI, se: Math.sqrt(squares) / n, c: thetaC, i: thetaI };
}

/**
 * The paired bootstrap of Δ = ratio(candidate) − ratio(incumbent) over the same events; see the
 * module comment. Deterministic given the seed.
 */
export function pairedDifference(
  candidate: RatioStatistic,
  incumbent: RatioStatistic,
  options: PairedBootstrapOptions = {},
): PairedDifference {
  const c = checkStatistic(candidate, "candidate", undefined);
  const n = c.u.length;
  const i = checkStatistic(incumbent, "incumbent", n);
  if (n === 0) throw new RangeError("the paired bootstrap needs at least one event; received 0");
  const alpha = options.alpha ?? 0.025;
  if (typeof alpha !== "number" || !(alpha > 0 && alpha < 0.5)) {
    throw new RangeError(`\`alpha\` must be a number in (0, 0.5); received ${describeValue(alpha)}`);
  }
  const resamples = checkPositiveInteger(options.resamples ?? 1000, "resamples");
  const seed = checkSeed(options.seed ?? 0, "seed");
  const method = options.method ?? "studentized";
  if (method !== "studentized" && method !== "percentile" && method !== "basic") {
    throw new RangeError(
      `\`method\` must be 'studentized', 'percentile' or 'basic'; received ${describeValue(method)}`,
    );
  }

  const full = differenceAndError(c, i, null, n);
  const deltas = new Float64Array(resamples);
  const ts = new Float64Array(resamples);
  let kept = 0;
  const random = createSeededRandom(seed);
  const indices = new Int32Array(n);
  for (let b = 0; b < resamples; b++) {
    random.fillBelow(indices, n);
    const r = differenceAndError(c, i, indices, n);
    if (Number.isNaN(r.delta)) continue;
    deltas[kept] = r.delta;
    // A resample without spread has an infinite t unless it landed exactly on Δ̂.
    const gap = r.delta - full.delta;
    ts[kept] = r.se > 0 ? gap / r.se : gap === 0 ? 0 : gap * Infinity;
    kept++;
  }
  const sortedDeltas = deltas.subarray(0, kept).sort();
  const sortedTs = ts.subarray(0, kept).sort();
  let bounds: Record<PairedBoundMethod, number>;
  if (!Number.isFinite(full.delta)) {
    bounds = { studentized: Number.NaN, percentile: Number.NaN, basic: Number.NaN };
  } else if (full.se === 0) {
    // Δ̂ has no sampling spread: the two policies' per-event terms coincide (e.g. the same policy).
    bounds = { studentized: full.delta, percentile: full.delta, basic: full.delta };
  } else {
    bounds = {
      studentized: full.delta - quantile(sortedTs, 1 - alpha) * full.se,
      percentile: quantile(sortedDeltas, alpha),
      basic: 2 * full.delta - quantile(sortedDeltas, 1 - alpha),
    };
  }
  return {
    difference: full.delta,
    candidateValue: full.c,
    incumbentValue: full.i,
    lowerBound: bounds[method],
    method,
    bounds,
    standardError: full.se,
    alpha,
    resamples,
    seed,
    degenerate: resamples - kept,
  };
}
