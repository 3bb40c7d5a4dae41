/**
 * Shrinkage the data chooses: the per-cell ridge λ toward each arm's pooled fit, estimated by
 * empirical Bayes (type-II maximum likelihood) from the engine's exact sufficient statistics.
 *
 * ## The model
 * For arm a and cell c, with y the rewards and X the contexts of the cell's rows of that arm:
 *
 *     y = X·θ(c, a) + ε,   ε ~ N(0, σ²I),   θ(c, a) ~ N(θ₀(a), τ²I),   λ = σ² / τ²
 *
 * θ₀(a) is the arm's pooled fit over all cells (taken as known: empirical Bayes). Given λ, the
 * posterior mean of θ(c, a) is (S + λI)⁻¹(s + λθ₀) with S = XᵀX, s = Xᵀy — exactly what the engine
 * computes with per-cell ridge λ toward the pooled prior. One σ² and one τ² are shared by every
 * arm and cell, so there is one strength λ per engine, estimated from all (cell, arm) models.
 *
 * What the engine estimates (`interceptIndex` given) is the random-intercept case of this model:
 * a cell's level for an arm differs from the pooled fit's prediction by δ ~ N(0, τ²) on the
 * intercept, the rest of its coefficients are the pooled ones. That is where cells differ in
 * practice (a model is better or worse on a kind of request), and an isotropic τ²I would average
 * the intercept's variance with d − 1 directions that do not vary, under-estimating it about d-fold
 * (measured on the synthetic world at n = 40,000: matched deviating cells 0.13 isotropic against
 * 0.5–0.6 random-intercept). The kernel's ridge is one scalar, so the estimated λ = σ²/τ² is then
 * applied to every coefficient of the per-cell model.
 *
 * ## The estimate
 * Marginally y ~ N(Xθ₀, σ²I + τ²XXᵀ). With e = y − Xθ₀, z = Xᵀe = s − Sθ₀ and (Woodbury)
 *
 *     −2 log p(y) = n log 2πσ² + log|I + S/λ| + Q(λ)/σ²,   Q(λ) = eᵀe − zᵀ(S + λI)⁻¹z,
 *
 * where eᵀe = Σy² − 2θ₀ᵀs + θ₀ᵀSθ₀ and Q(λ) is the ridge fit's residual plus penalty. Profiling σ²
 * out (σ̂² = ΣQ / N over the N rows) leaves one dimension:
 *
 *     f(λ) = N log(Σ_models Q(λ) / N) + Σ_models Σ_i log(1 + μ_i / λ)
 *
 * (μ_i the eigenvalues of a model's S), minimised over log λ on a grid and then by golden-section
 * search. With the eigen-decomposition of every S computed once, each evaluation costs O(models·d).
 * A minimum at the upper bound means no between-cell variance is detectable: every cell is the
 * pooled fit. In the random-intercept case (d = 1, x = 1, n rows in each of C cells) the minimiser
 * is the classical closed form λ = nσ̂² / (B/C − σ̂²), σ̂² = W / (C(n − 1)), with W and B the within
 * and between sums of squares — the test compares against it.
 *
 * Why type-II ML and not cross-validation: it needs only the sufficient statistics the engine
 * already keeps (plus Σr²), no split of rows, and it is exact and deterministic for given data.
 */

/** Bounds of the strength search. Above the upper bound cells are indistinguishable from the pool. */
export const shrinkageBounds = { min: 1e-4, max: 1e8 } as const;

/** What the estimator reads of one (cell, arm) model. */
export interface ShrinkageModelInput {
  /** Σxxᵀ, full symmetric, row-major d × d. */
  readonly xx: Float64Array;
  /** Σrx. */
  readonly xr: Float64Array;
  /** Σr². */
  readonly yy: number;
  /** Rows seen. */
  readonly count: number;
  /** The arm's pooled prior mean θ₀. */
  readonly prior: Float64Array;
}

/** The estimated strength and the variances behind it. */
export interface ShrinkageEstimate {
  /** λ = σ² / τ², the per-cell ridge toward the pooled fit. */
  readonly strength: number;
  /** σ̂²: the reward noise variance. */
  readonly noiseVariance: number;
  /** τ̂² = σ̂² / λ: the variance of a cell's coefficients around the arm's pooled fit. */
  readonly betweenCellVariance: number;
  /** Rows the estimate used. */
  readonly rows: number;
  /** (cell, arm) models with rows. */
  readonly models: number;
}

/** The shrinkage state an engine reports (`engine.shrinkage()`). */
export interface ShrinkageState {
  /** `'auto'`: estimated at every pooled finalize; `'fixed'`: the configured `lambda`; `'none'`: no pooling. */
  readonly mode: "auto" | "fixed" | "none";
  /** The per-cell ridge λ in effect. */
  readonly strength: number;
  /** The last estimate (null before the first one, or unless `mode` is `'auto'`). */
  readonly estimate: ShrinkageEstimate | null;
}

/** A model reduced to what f(λ) needs: eigenvalues μ, (Uᵀz)², and eᵀe. */
interface Reduced {
  readonly eigenvalues: Float64Array;
  readonly projected: Float64Array;
  readonly residual: number;
  readonly count: number;
}

/**
 * Eigenvalues and eigenvectors of a symmetric d × d matrix (row-major) by cyclic Jacobi rotations.
 * Returns the eigenvalues and V (row-major, eigenvectors in columns). Exact to working precision.
 */
export function symmetricEigen(matrix: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        const x = a[i * d + j]! * a[i * d + j]!;
        total += x;
        if (i !== j) off += x;
      }
    }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) rotate(a, v, d, p, q);
    }
  }
  return { values: Float64Array.from({ length: d }, (_, i) => a[i * d + i]!), vectors: v };
}

/** One Jacobi rotation zeroing a[p][q]. */
function rotate(a: Float64Array, v: Float64Array, d: number, p: number, q: number): void {
  const apq = a[p * d + q]!;
  if (apq === 0) return;
  const theta = (a[q * d + q]! - a[p * d + p]!) / (2 * apq);
  const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < d; k++) {
    const akp = a[k * d + p]!;
    const akq = a[k * d + q]!;
    a[k * d + p] = c * akp - s * akq;
    a[k * d + q] = s * akp + c * akq;
  }
  for (let k = 0; k < d; k++) {
    const apk = a[p * d + k]!;
    const aqk = a[q * d + k]!;
    a[p * d + k] = c * apk - s * aqk;
    a[q * d + k] = s * apk + c * aqk;
  }
  for (let k = 0; k < d; k++) {
    const vkp = v[k * d + p]!;
    const vkq = v[k * d + q]!;
    v[k * d + p] = c * vkp - s * vkq;
    v[k * d + q] = s * vkp + c * vkq;
  }
}

function reduce(input: ShrinkageModelInput, d: number, interceptIndex: number | undefined): Reduced {
  const { xx, xr, prior } = input;
  const z = new Float64Array(d);
  let quadratic = 0;
  let linear = 0;
  for (let i = 0; i < d; i++) {
    let row = 0;
    for (let j = 0; j < d; j++) row += xx[i * d + j]! * prior[j]!;
    z[i] = xr[i]! - row;
    quadratic += prior[i]! * row;
    linear += prior[i]! * xr[i]!;
  }
  if (interceptIndex !== undefined) {
    // Random intercept: only the intercept's coefficient varies between cells, so the cell's
    // rows enter through S_ii = Σxᵢ² and zᵢ alone (the d = 1 case of the formulas above).
    const z0 = z[interceptIndex]!;
    const residual = input.yy - 2 * linear + quadratic;
    const eigenvalues = Float64Array.of(xx[interceptIndex * d + interceptIndex]!);
    return { eigenvalues, projected: Float64Array.of(z0 * z0), residual, count: input.count };
  }
  const { values, vectors } = symmetricEigen(xx, d);
  const projected = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    let w = 0;
    for (let i = 0; i < d; i++) w += vectors[i * d + k]! * z[i]!;
    projected[k] = w * w;
    values[k] = Math.max(values[k]!, 0);
  }
  return { eigenvalues: values, projected, residual: input.yy - 2 * linear + quadratic, count: input.count };
}

/** f(λ) of the module doc, and σ̂²(λ). */
function profile(models: readonly Reduced[], rows: number, lambda: number): { value: number; noise: number } {
  let q = 0;
  let logDet = 0;
  for (const m of models) {
    q += m.residual;
    for (let i = 0; i < m.eigenvalues.length; i++) {
      const mu = m.eigenvalues[i]!;
      if (mu > 0) {
        q -= m.projected[i]! / (mu + lambda);
        logDet += Math.log1p(mu / lambda);
      }
    }
  }
  const noise = Math.max(q, Number.MIN_VALUE * rows) / rows;
  return { value: rows * Math.log(noise) + logDet, noise };
}

/**
 * The type-II maximum-likelihood strength λ = σ²/τ² over the given models (see the module doc).
 * Models without rows are skipped. Returns null when no model has rows or Σr² is unknown (NaN) for
 * one that has.
 */
export function estimateShrinkage(
  inputs: readonly ShrinkageModelInput[],
  d: number,
  interceptIndex?: number,
): ShrinkageEstimate | null {
  const models: Reduced[] = [];
  let rows = 0;
  for (const input of inputs) {
    if (input.count <= 0) continue;
    if (!Number.isFinite(input.yy)) return null;
    models.push(reduce(input, d, interceptIndex));
    rows += input.count;
  }
  if (models.length === 0) return null;
  const f = (logLambda: number): number => profile(models, rows, Math.exp(logLambda)).value;
  const low = Math.log(shrinkageBounds.min);
  const high = Math.log(shrinkageBounds.max);
  const steps = 60;
  let best = 0;
  let bestValue = Infinity;
  for (let i = 0; i <= steps; i++) {
    const value = f(low + ((high - low) * i) / steps);
    if (value < bestValue) {
      bestValue = value;
      best = i;
    }
  }
  const at = (i: number): number => low + ((high - low) * i) / steps;
  const logLambda = goldenSection(f, at(Math.max(0, best - 1)), at(Math.min(steps, best + 1)));
  const strength = Math.exp(logLambda);
  const noise = profile(models, rows, strength).noise;
  return { strength, noiseVariance: noise, betweenCellVariance: noise / strength, rows, models: models.length };
}

/** Minimiser of a unimodal f on [a, b] by golden-section search, to 1e-10 in log λ. */
function goldenSection(f: (x: number) => number, a: number, b: number): number {
  const ratio = (Math.sqrt(5) - 1) / 2;
  let x1 = b - ratio * (b - a);
  let x2 = a + ratio * (b - a);
  let f1 = f(x1);
  let f2 = f(x2);
  while (b - a > 1e-10) {
    if (f1 <= f2) {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - ratio * (b - a);
      f1 = f(x1);
    } else {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + ratio * (b - a);
      f2 = f(x2);
    }
  }
  return (a + b) / 2;
}
