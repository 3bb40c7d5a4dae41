/**
 * The strongest plain-JavaScript baseline: disjoint LinUCB written the way a careful engineer
 * writes numeric JavaScript, so that the engine's speed-up is measured against something worth
 * beating, not a straw man.
 *
 * - One flat Float64Array per quantity for all models (model m = cell·K + arm): A⁻¹ (d×d), θ (d),
 *   b (d); contexts are read in place from a caller's flat array at an offset.
 * - No allocation in any loop: scratch vectors are allocated once per instance.
 * - Only the upper triangle (j ≥ i) of A⁻¹ is kept valid, like the kernel: the update reads and
 *   writes half the matrix, and the quadratic form xᵀA⁻¹x = Σᵢ aᵢᵢxᵢ² + 2Σᵢ<ⱼ aᵢⱼxᵢxⱼ costs half
 *   the multiplications. (Measured on Node 20 at d = 16 and 64 against a full-matrix version:
 *   this one is faster for both update and select — see bench/README.md.)
 * - Sherman–Morrison in its symmetric rank-1 form, A⁻¹ ← A⁻¹ − k·u·uᵀ with u = A⁻¹x, and θ kept
 *   by the recursive-least-squares step θ += k(r − x·θ)·A⁻¹x, the same algorithm as the kernel
 *   (assembly/linucb.ts), so the two do the same arithmetic work per event.
 * - Refit: Σxxᵀ (upper) and Σrx per model, then a Cholesky factorisation and inverse per model.
 *
 * It supports exactly the benchmark's configuration: no priors, no forgetting, UCB argmax.
 */

/** Disjoint LinUCB over flat Float64Arrays (see the file comment). */
export class CarefulLinUCB {
  /** Feature dimension d. */
  readonly d: number;
  /** Arms per cell K. */
  readonly arms: number;
  /** Number of cells. */
  readonly cells: number;
  /** Exploration weight α. */
  readonly alpha: number;
  /** Ridge λ. */
  readonly lambda: number;
  /** A⁻¹ of every model, d×d row-major; only the upper triangle (j ≥ i) is valid. */
  private readonly inverse: Float64Array;
  /** θ = A⁻¹b of every model. */
  private readonly theta: Float64Array;
  /** b = Σ r·x of every model. */
  private readonly b: Float64Array;
  /** Scratch: u = A⁻¹x during an update. */
  private readonly u: Float64Array;
  /** Scratch for refit: Σxxᵀ (upper) and Σrx of every model, allocated on first refit. */
  private sxx: Float64Array | null = null;
  private sxr: Float64Array | null = null;
  /** Scratch for refit: the Cholesky factor L (lower) and L⁻¹ (lower), d×d each. */
  private readonly factor: Float64Array;
  private readonly factorInverse: Float64Array;

  /** Creates `cells × arms` models at the prior A⁻¹ = I/λ, θ = b = 0. */
  constructor(d: number, arms: number, cells: number, alpha: number, lambda: number) {
    this.d = d;
    this.arms = arms;
    this.cells = cells;
    this.alpha = alpha;
    this.lambda = lambda;
    const models = cells * arms;
    this.inverse = new Float64Array(models * d * d);
    this.theta = new Float64Array(models * d);
    this.b = new Float64Array(models * d);
    this.u = new Float64Array(d);
    this.factor = new Float64Array(d * d);
    this.factorInverse = new Float64Array(d * d);
    this.reset();
  }

  /** Number of models (cells × arms). */
  get models(): number {
    return this.cells * this.arms;
  }

  /** Bytes of model state per model: A⁻¹ (d²), θ and b (d each), 8 bytes per value. */
  get bytesPerModel(): number {
    return (this.d * this.d + 2 * this.d) * 8;
  }

  /** Sets every model back to its prior. */
  reset(): void {
    const d = this.d;
    const dd = d * d;
    this.inverse.fill(0);
    this.theta.fill(0);
    this.b.fill(0);
    const diagonal = 1 / this.lambda;
    for (let m = 0; m < this.models; m++) {
      for (let i = 0; i < d; i++) this.inverse[m * dd + i * d + i] = diagonal;
    }
  }

  /** One Sherman–Morrison step for model `model` with the context at `contexts[offset …]`. */
  update(model: number, contexts: Float64Array, offset: number, reward: number): void {
    const d = this.d;
    const inverse = this.inverse;
    const theta = this.theta;
    const b = this.b;
    const u = this.u;
    const base = model * d * d;
    const vector = model * d;

    // u = A⁻¹x from the upper triangle: row i contributes aᵢⱼxⱼ to uᵢ and aᵢⱼxᵢ to uⱼ (j > i).
    u.fill(0);
    for (let i = 0; i < d; i++) {
      const row = base + i * d;
      const xi = contexts[offset + i]!;
      let sum = u[i]! + inverse[row + i]! * xi;
      for (let j = i + 1; j < d; j++) {
        const aij = inverse[row + j]!;
        sum += aij * contexts[offset + j]!;
        u[j]! += aij * xi;
      }
      u[i] = sum;
    }
    let xu = 0;
    let xTheta = 0;
    for (let i = 0; i < d; i++) {
      const xi = contexts[offset + i]!;
      xu += xi * u[i]!;
      xTheta += xi * theta[vector + i]!;
    }
    const k = 1 / (1 + xu);
    const step = k * (reward - xTheta);
    for (let i = 0; i < d; i++) {
      theta[vector + i]! += step * u[i]!;
      b[vector + i]! += reward * contexts[offset + i]!;
    }
    // A⁻¹ −= k·u·uᵀ, upper triangle only.
    for (let i = 0; i < d; i++) {
      const row = base + i * d;
      const vi = k * u[i]!;
      for (let j = i; j < d; j++) inverse[row + j]! -= vi * u[j]!;
    }
  }

  /** UCB score θ·x + α√max(xᵀA⁻¹x, 0) of model `model` for the context at `contexts[offset …]`. */
  score(model: number, contexts: Float64Array, offset: number): number {
    const d = this.d;
    const inverse = this.inverse;
    const theta = this.theta;
    const base = model * d * d;
    const vector = model * d;
    let estimate = 0;
    let quadratic = 0;
    for (let i = 0; i < d; i++) {
      const row = base + i * d;
      const xi = contexts[offset + i]!;
      let off = 0;
      for (let j = i + 1; j < d; j++) off += inverse[row + j]! * contexts[offset + j]!;
      quadratic += xi * (inverse[row + i]! * xi + 2 * off);
      estimate += theta[vector + i]! * xi;
    }
    return estimate + this.alpha * Math.sqrt(quadratic > 0 ? quadratic : 0);
  }

  /**
   * Scores the K arms of `cell` for one context into `out` (length K) and returns the argmax
   * (ties go to the lowest arm index).
   */
  scoreCell(cell: number, contexts: Float64Array, offset: number, out: Float64Array): number {
    const first = cell * this.arms;
    let best = 0;
    let bestScore = -Infinity;
    for (let a = 0; a < this.arms; a++) {
      const s = this.score(first + a, contexts, offset);
      out[a] = s;
      if (s > bestScore) {
        bestScore = s;
        best = a;
      }
    }
    return best;
  }

  /**
   * Batched select: scores `count` contexts (row-major from `contexts[0]`) of one cell into
   * `scores` (count × K) and writes the argmax of each to `best`. Arms are the outer loop, so each
   * arm's A⁻¹ stays in cache across the whole burst.
   */
  scoreCellMany(cell: number, contexts: Float64Array, count: number, scores: Float64Array, best: Int32Array): void {
    const k = this.arms;
    const d = this.d;
    const first = cell * k;
    for (let a = 0; a < k; a++) {
      for (let c = 0; c < count; c++) scores[c * k + a] = this.score(first + a, contexts, c * d);
    }
    for (let c = 0; c < count; c++) {
      let arm = 0;
      let bestScore = -Infinity;
      for (let a = 0; a < k; a++) {
        const s = scores[c * k + a]!;
        if (s > bestScore) {
          bestScore = s;
          arm = a;
        }
      }
      best[c] = arm;
    }
  }

  /**
   * Refits every model from scratch on `count` rows: row i goes to model `models[i]` with context
   * `contexts[i·d …]` and reward `rewards[i]`. A = λI + Σxxᵀ is factorised (Cholesky) and inverted
   * per model; θ = A⁻¹b. Throws a RangeError when some A is not positive definite.
   */
  refit(models: Int32Array, contexts: Float64Array, rewards: Float64Array, count: number): void {
    const d = this.d;
    const dd = d * d;
    const modelCount = this.models;
    const sxx = (this.sxx ??= new Float64Array(modelCount * dd));
    const sxr = (this.sxr ??= new Float64Array(modelCount * d));
    sxx.fill(0);
    sxr.fill(0);
    for (let e = 0; e < count; e++) {
      const base = models[e]! * dd;
      const vector = models[e]! * d;
      const offset = e * d;
      const r = rewards[e]!;
      for (let i = 0; i < d; i++) {
        const xi = contexts[offset + i]!;
        const row = base + i * d;
        for (let j = i; j < d; j++) sxx[row + j]! += xi * contexts[offset + j]!;
        sxr[vector + i]! += r * xi;
      }
    }
    for (let m = 0; m < modelCount; m++) this.finalizeModel(m, sxx, sxr);
  }

  /** A⁻¹, b and θ of model m from its statistics, by Cholesky: A = LLᵀ, A⁻¹ = L⁻ᵀL⁻¹. */
  private finalizeModel(m: number, sxx: Float64Array, sxr: Float64Array): void {
    const d = this.d;
    const dd = d * d;
    const base = m * dd;
    const vector = m * d;
    const l = this.factor;
    const li = this.factorInverse;
    // L (lower), row by row: Lᵢⱼ = (Aᵢⱼ − Σₖ<ⱼ LᵢₖLⱼₖ) / Lⱼⱼ, with Aᵢⱼ = Sⱼᵢ (upper) + λ[i = j].
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let sum = sxx[base + j * d + i]! + (i === j ? this.lambda : 0);
        for (let k = 0; k < j; k++) sum -= l[i * d + k]! * l[j * d + k]!;
        if (i === j) {
          if (!(sum > 0)) throw new RangeError(`model ${m}: A is not positive definite`);
          l[i * d + i] = Math.sqrt(sum);
        } else {
          l[i * d + j] = sum / l[j * d + j]!;
        }
      }
    }
    // L⁻¹ (lower) by forward substitution, column by column.
    li.fill(0);
    for (let j = 0; j < d; j++) {
      li[j * d + j] = 1 / l[j * d + j]!;
      for (let i = j + 1; i < d; i++) {
        let sum = 0;
        for (let k = j; k < i; k++) sum -= l[i * d + k]! * li[k * d + j]!;
        li[i * d + j] = sum / l[i * d + i]!;
      }
    }
    // A⁻¹ᵢⱼ = Σₖ≥max(i,j) L⁻¹ₖᵢ L⁻¹ₖⱼ, upper triangle only; the lower triangle is zeroed.
    const inverse = this.inverse;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < i; j++) inverse[base + i * d + j] = 0;
      for (let j = i; j < d; j++) {
        let sum = 0;
        for (let k = j; k < d; k++) sum += li[k * d + i]! * li[k * d + j]!;
        inverse[base + i * d + j] = sum;
      }
    }
    // b = Σrx (the prior mean is 0), θ = A⁻¹b through the symmetric upper triangle.
    for (let i = 0; i < d; i++) this.b[vector + i] = sxr[vector + i]!;
    for (let i = 0; i < d; i++) {
      let sum = 0;
      for (let j = 0; j < d; j++) {
        sum += (j >= i ? inverse[base + i * d + j]! : inverse[base + j * d + i]!) * sxr[vector + j]!;
      }
      this.theta[vector + i] = sum;
    }
  }

  /** A copy of model m's A⁻¹ as a full symmetric d×d matrix (for tests). */
  covariance(model: number): Float64Array {
    const d = this.d;
    const base = model * d * d;
    const full = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++) {
        full[i * d + j] = this.inverse[base + i * d + j]!;
        full[j * d + i] = this.inverse[base + i * d + j]!;
      }
    }
    return full;
  }

  /** A copy of model m's θ (for tests). */
  thetaOf(model: number): Float64Array {
    return this.theta.slice(model * this.d, (model + 1) * this.d);
  }
}
