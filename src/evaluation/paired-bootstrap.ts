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
 *
 * A resample is drawn over resampling groups' sums (src/evaluation/resampling-groups.ts), not over
 * events: Δ* needs Σu and Σv of each policy, and SE* needs Σψ*², where
 * ψ*ⱼ = (u_cⱼ − θ*_c v_cⱼ)/v̄*_c − (u_iⱼ − θ*_i v_iⱼ)/v̄*_i is linear in four per-event terms with
 * coefficients that depend only on the resample's sums — so Σψ*² is a quadratic form in the ten
 * resampled second moments of those terms. The terms are the full-sample residuals and weights as
 * sums and differences of the two policies (x_c ∓ x_i, y_c ∓ y_i with x = (u − θ̂v)/v̄, y = v/v̄): for
 * two policies with the same per-event terms the differences are exactly 0 and so is SE*.
 */
import { quantile } from "./bootstrap.js";
import type { BootstrapOptions, RatioStatistic } from "./bootstrap.js";
import { checkMaxGroups, GroupSums, resampleSums, resamplingGroups } from "./resampling-groups.js";
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
  /** The most resampling groups (see {@link BootstrapOptions.groups}). @default 4096 */
  readonly groups?: number;
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
  /** Resampling groups drawn per resample: the events when there are at most `groups` of them. */
  readonly groups: number;
}

/** A ratio's per-event numerator u and denominator v (1 per event when undefined). @internal */
export interface Ratio {
  readonly u: Float64Array;
  readonly v: Float64Array | undefined;
}

/** Checks one side of a paired comparison. @internal */
export function checkStatistic(statistic: RatioStatistic, name: string, n: number | undefined): Ratio {
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
      `\`${name}.denominators\` must be a Float64Array of length ${numerators.length}; ` +
        `received ${describeValue(denominators)}`,
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

/** Σ u and Σ v of a ratio over all events. */
function sums(ratio: Ratio, n: number): [number, number] {
  let top = 0;
  let bottom = ratio.v === undefined ? n : 0;
  for (let j = 0; j < n; j++) {
    top += ratio.u[j]!;
    if (ratio.v !== undefined) bottom += ratio.v[j]!;
  }
  return [top, bottom];
}

/**
 * Δ̂ and its delta-method standard error on all events: with
 * ψⱼ = (u_cⱼ − θ_c v_cⱼ)/v̄_c − (u_iⱼ − θ_i v_iⱼ)/v̄_i, Δ̂ − Δ ≈ mean(ψ) and SE = √(Σψ²)/n.
 */
function differenceAndError(c: Ratio, i: Ratio, n: number): PairedPoint {
  const [cu, cv] = sums(c, n);
  const [iu, iv] = sums(i, n);
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
    const candidateTerm = (c.u[j]! - thetaC * (c.v === undefined ? 1 : c.v[j]!)) / meanC;
    const psi = candidateTerm - (i.u[j]! - thetaI * (i.v === undefined ? 1 : i.v[j]!)) / meanI;
    squares += psi * psi;
  }
  return { delta: thetaC - thetaI, se: Math.sqrt(squares) / n, c: thetaC, i: thetaI };
}

/**
 * How a policy's per-event terms are centred and scaled for the second moments: x = (u − centre·v)/scale,
 * y = v/scale. Any centre and scale give the same Σψ*²; centring near θ̂ keeps its rounding small. Whole
 * events use θ̂ and v̄ (then x and y are the linearised residual and weight); streamed events use the
 * ratio and mean v of their first events, known before the rest arrive. @internal
 */
export interface TermScale {
  readonly centre: number;
  readonly scale: number;
}

/** The centre and scale from Σu, Σv over `rows` events (1 and 0 when Σv = 0, so the terms stay finite). @internal */
export function termScaleOf(top: number, bottom: number, rows: number): TermScale {
  return bottom === 0 ? { centre: 0, scale: 1 } : { centre: top / bottom, scale: bottom / rows };
}

/** Where a paired comparison's sums live in a {@link GroupSums} table, with its full-sample point. @internal */
export interface PairedColumns {
  readonly full: PairedPoint;
  readonly candidateTop: number;
  readonly candidateBottom: number;
  readonly incumbentTop: number;
  readonly incumbentBottom: number;
  readonly rows: number;
  /**
   * The ten second moments of (x_c − x_i, x_c + x_i, y_c − y_i, y_c + y_i), upper triangle row by row;
   * null when Δ̂ is undefined.
   */
  readonly moments: Int32Array | null;
  /** How each policy's x and y were centred and scaled. */
  readonly candidateScale: TermScale;
  readonly incumbentScale: TermScale;
}

/**
 * Writes the four paired terms (x_c − x_i, x_c + x_i, y_c − y_i, y_c + y_i) of events [0, n) into
 * `out` (four arrays of length ≥ n). @internal
 */
export function pairedTerms(
  c: Ratio,
  i: Ratio,
  n: number,
  cs: TermScale,
  is: TermScale,
  out: readonly [Float64Array, Float64Array, Float64Array, Float64Array],
): void {
  for (let j = 0; j < n; j++) {
    const cw = c.v === undefined ? 1 : c.v[j]!;
    const iw = i.v === undefined ? 1 : i.v[j]!;
    const xc = (c.u[j]! - cs.centre * cw) / cs.scale;
    const xi = (i.u[j]! - is.centre * iw) / is.scale;
    const yc = cw / cs.scale;
    const yi = iw / is.scale;
    out[0][j] = xc - xi;
    out[1][j] = xc + xi;
    out[2][j] = yc - yi;
    out[3][j] = yc + yi;
  }
}

/** Adds a paired comparison's columns to the table (see the module comment). @internal */
export function pairedColumns(table: GroupSums, c: Ratio, i: Ratio): PairedColumns {
  const n = c.u.length;
  const full = differenceAndError(c, i, n);
  const candidateTop = table.add(c.u);
  const candidateBottom = table.add(c.v);
  const incumbentTop = table.add(i.u);
  const incumbentBottom = table.add(i.v);
  const rows = table.rows();
  const candidateScale = { centre: full.c, scale: c.v === undefined ? 1 : sums(c, n)[1] / n };
  const incumbentScale = { centre: full.i, scale: i.v === undefined ? 1 : sums(i, n)[1] / n };
  let moments: Int32Array | null = null;
  if (!Number.isNaN(full.delta)) {
    const terms = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)] as const;
    pairedTerms(c, i, n, candidateScale, incumbentScale, terms);
    moments = new Int32Array(10);
    let m = 0;
    for (let p = 0; p < 4; p++) for (let q = p; q < 4; q++) moments[m++] = table.addProduct(terms[p], terms[q]);
  }
  return {
    full,
    candidateTop,
    candidateBottom,
    incumbentTop,
    incumbentBottom,
    rows,
    moments,
    candidateScale,
    incumbentScale,
  };
}

/**
 * Δ̂ and its standard error from the sums over every event (one row of `width` column totals): what
 * streamed events give, where the per-event residuals are never kept. NaN delta when a denominator is 0.
 * @internal
 */
export function pairedPointOfTotals(totals: Float64Array, plan: Omit<PairedColumns, "full">): PairedPoint {
  const cv = totals[plan.candidateBottom]!;
  const iv = totals[plan.incumbentBottom]!;
  const c = cv === 0 ? Number.NaN : totals[plan.candidateTop]! / cv;
  const i = iv === 0 ? Number.NaN : totals[plan.incumbentTop]! / iv;
  if (cv === 0 || iv === 0 || plan.moments === null) return { delta: Number.NaN, se: Number.NaN, c, i };
  return { ...resampledPoint(totals, 0, plan), c, i };
}

/** The resolved options of a paired bound. @internal */
export interface PairedBoundSettings {
  readonly alpha: number;
  readonly resamples: number;
  readonly seed: number;
  readonly method: PairedBoundMethod;
}

/** Δ* and SE* of resample `b` from its column sums (`at` = b × width); NaN delta when a denominator is 0. */
function resampledPoint(
  sums: Float64Array,
  at: number,
  plan: Omit<PairedColumns, "full">,
): { delta: number; se: number } {
  const rows = sums[at + plan.rows]!;
  const cv = sums[at + plan.candidateBottom]!;
  const iv = sums[at + plan.incumbentBottom]!;
  if (cv === 0 || iv === 0) return { delta: Number.NaN, se: Number.NaN };
  const thetaC = sums[at + plan.candidateTop]! / cv;
  const thetaI = sums[at + plan.incumbentTop]! / iv;
  // ψ*ⱼ = (n*/V*_c)(u_c − θ*_c v_c) − (n*/V*_i)(u_i − θ*_i v_i) = ρ_c (x_c − δ_c y_c) − ρ_i (x_i − δ_i y_i)
  // with ρ = n*·scale/V* and δ = θ* − centre, written on the sum/difference terms.
  const rhoC = (plan.candidateScale.scale * rows) / cv;
  const rhoI = (plan.incumbentScale.scale * rows) / iv;
  const shiftC = rhoC * (thetaC - plan.candidateScale.centre);
  const shiftI = rhoI * (thetaI - plan.incumbentScale.centre);
  const coefficients = [(rhoC + rhoI) / 2, (rhoC - rhoI) / 2, -(shiftC + shiftI) / 2, -(shiftC - shiftI) / 2];
  const moments = plan.moments!;
  let squares = 0;
  let m = 0;
  for (let p = 0; p < 4; p++) {
    for (let q = p; q < 4; q++) {
      const product = coefficients[p]! * coefficients[q]! * sums[at + moments[m++]!]!;
      squares += p === q ? product : 2 * product;
    }
  }
  return { delta: thetaC - thetaI, se: Math.sqrt(Math.max(0, squares)) / rows };
}

/**
 * The paired estimate and bounds from resampled column sums (resamples × `width`, row-major).
 * @internal
 */
export function pairedBounds(
  sums: Float64Array,
  width: number,
  plan: PairedColumns,
  { alpha, resamples, seed, method }: PairedBoundSettings,
  groups: number,
): PairedDifference {
  const { full } = plan;
  const deltas = new Float64Array(resamples);
  const ts = new Float64Array(resamples);
  let kept = 0;
  if (plan.moments === null) {
    // Δ̂ is undefined: no bound, but the resamples without an estimate are still counted.
    kept = countDefined(sums, width, plan, resamples);
  } else {
    for (let b = 0; b < resamples; b++) {
      const r = resampledPoint(sums, b * width, plan);
      if (Number.isNaN(r.delta)) continue;
      deltas[kept] = r.delta;
      // A resample without spread has an infinite t unless it landed exactly on Δ̂.
      const gap = r.delta - full.delta;
      ts[kept] = r.se > 0 ? gap / r.se : gap === 0 ? 0 : gap * Infinity;
      kept++;
    }
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
    groups,
  };
}

/** Resamples in which both denominators are non-zero (when Δ̂ itself is undefined). */
function countDefined(sums: Float64Array, width: number, plan: PairedColumns, resamples: number): number {
  let defined = 0;
  for (let b = 0; b < resamples; b++) {
    if (sums[b * width + plan.candidateBottom] !== 0 && sums[b * width + plan.incumbentBottom] !== 0) defined++;
  }
  return defined;
}

/** Checks and resolves the options of a paired bound. @internal */
export function resolvePairedOptions(options: PairedBootstrapOptions): PairedBoundSettings & { groups: number } {
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
  return { alpha, resamples, seed, method, groups: checkMaxGroups(options.groups) };
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
  const settings = resolvePairedOptions(options);
  const table = new GroupSums(resamplingGroups(n, settings.groups, settings.seed));
  const plan = pairedColumns(table, c, i);
  const resampled = resampleSums(table, settings.resamples, settings.seed);
  return pairedBounds(resampled, table.columns.length, plan, settings, table.groups.count);
}
