/**
 * The reference engine: LinUCB in plain TypeScript with an explicit matrix inverse and no tricks.
 * It keeps only the definition — per model A = wλI + Σ γ-weighted x·xᵀ and b = wλθ₀ + Σ γ-weighted
 * r·x — and derives A⁻¹ by Gauss–Jordan elimination and θ = A⁻¹b whenever they are needed. It is
 * the oracle the kernel builds are tested against, and the slow baseline in the benchmark.
 *
 * Its statistics are computed with exactly the operations the kernel uses (S ← γ·S + xᵢ·xⱼ), so
 * exported statistics of the scalar build equal the reference's bit for bit.
 */
import { EngineBase } from "./engine-base.js";
import { LinUCBError } from "./errors.js";
import { resolveOptions } from "./options.js";
import type { ModelRecord } from "./snapshot.js";
import { packUpper, packedLength, unpackSymmetric, type ModelStatisticsSlot } from "./statistics.js";
import type { LinUCBOptions, ResolvedOptions } from "./types.js";
import { allFinite, copyContext, isModerate, type ResolvedBatch } from "./validate.js";

/**
 * The least weight the prior keeps under forgetting: when w = γⁿ would fall below it the prior is
 * added back in full (w ← 1). The kernel's rule (assembly/refresh.ts), restated as a definition.
 */
const priorFloor = 1e-6;

/** One model's defining sums and what is derived from them (cached until they change). */
interface ReferenceModel {
  /** Σ γ-weighted x·xᵀ, full d×d. */
  readonly xx: Float64Array;
  /** Σ γ-weighted r·x. */
  readonly xr: Float64Array;
  count: number;
  priorWeight: number;
  /** A⁻¹ and θ, or null when the sums changed since they were computed. */
  derived: { readonly inverse: Float64Array; readonly theta: Float64Array; readonly b: Float64Array } | null;
}

/**
 * Inverts a d×d matrix by Gauss–Jordan elimination with partial pivoting. Throws LinUCBError
 * NOT_POSITIVE_DEFINITE when a pivot vanishes (A is singular to working precision).
 */
export function invertMatrix(matrix: Float64Array, d: number): Float64Array {
  const a = Float64Array.from(matrix);
  const inverse = new Float64Array(d * d);
  for (let i = 0; i < d; i++) inverse[i * d + i] = 1;
  for (let column = 0; column < d; column++) {
    let pivot = column;
    for (let row = column + 1; row < d; row++) {
      if (Math.abs(a[row * d + column]!) > Math.abs(a[pivot * d + column]!)) pivot = row;
    }
    const pivotValue = a[pivot * d + column]!;
    if (!(Math.abs(pivotValue) > 0) || !Number.isFinite(pivotValue)) {
      throw new LinUCBError(
        "NOT_POSITIVE_DEFINITE",
        `matrix is singular to working precision (pivot ${pivotValue} in column ${column})`,
      );
    }
    if (pivot !== column) {
      for (let j = 0; j < d; j++) {
        [a[pivot * d + j], a[column * d + j]] = [a[column * d + j]!, a[pivot * d + j]!];
        [inverse[pivot * d + j], inverse[column * d + j]] = [inverse[column * d + j]!, inverse[pivot * d + j]!];
      }
    }
    for (let j = 0; j < d; j++) {
      a[column * d + j]! /= pivotValue;
      inverse[column * d + j]! /= pivotValue;
    }
    for (let row = 0; row < d; row++) {
      if (row === column) continue;
      const factor = a[row * d + column]!;
      if (factor === 0) continue;
      for (let j = 0; j < d; j++) {
        a[row * d + j]! -= factor * a[column * d + j]!;
        inverse[row * d + j]! -= factor * inverse[column * d + j]!;
      }
    }
  }
  return inverse;
}

/** The plain-TypeScript LinUCB engine (same API as the WebAssembly one). */
export class ReferenceLinUCB extends EngineBase {
  readonly build = "reference" as const;
  private readonly models: ReferenceModel[] = [];
  /** Prior mean per arm in effect: the configured one, or the fit pooled over all cells. */
  private readonly priors: Float64Array[];

  /** @internal Use {@link createReferenceLinUCB}. */
  constructor(options: ResolvedOptions) {
    super(options);
    this.priors = options.priorMeans.map((mean) => Float64Array.from(mean));
    this.staged = new Float64Array(options.dimension);
  }

  protected effectivePrior(arm: number): Float64Array {
    return this.priors[arm]!;
  }

  private setEffectivePrior(arm: number, mean: Float64Array): void {
    this.priors[arm] = Float64Array.from(mean);
    for (const state of this.models) state.derived = null;
  }

  private fresh(): ReferenceModel {
    const d = this.dimension;
    return { xx: new Float64Array(d * d), xr: new Float64Array(d), count: 0, priorWeight: 1, derived: null };
  }

  /** A⁻¹, θ and b of a model, from its definition. */
  private derive(model: number): NonNullable<ReferenceModel["derived"]> {
    return this.deriveState(this.models[model]!, model % this.arms.length);
  }

  /** A⁻¹, θ and b of one model state of arm `arm`, from its definition (cached on the state). */
  private deriveState(state: ReferenceModel, arm: number): NonNullable<ReferenceModel["derived"]> {
    if (state.derived !== null) return state.derived;
    const d = this.dimension;
    const ridge = state.priorWeight * this.strength;
    const prior = this.priors[arm]!;
    const a = Float64Array.from(state.xx);
    for (let i = 0; i < d; i++) a[i * d + i]! += ridge;
    const b = new Float64Array(d);
    for (let i = 0; i < d; i++) b[i] = ridge * prior[i]! + state.xr[i]!;
    const inverse = invertMatrix(a, d);
    const theta = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let sum = 0;
      for (let j = 0; j < d; j++) sum += inverse[i * d + j]! * b[j]!;
      theta[i] = sum;
    }
    state.derived = { inverse, theta, b };
    return state.derived;
  }

  protected growCells(cellCount: number): void {
    const models = cellCount * this.arms.length;
    while (this.models.length < models) this.models.push(this.fresh());
  }

  /** The context that passed validation last (a copy, each value read once). */
  private readonly staged: Float64Array;

  /** Whether the staged context has a value of 2¹²⁸ or more (see ./magnitude.ts). */
  private stagedLarge = false;

  protected stageContext(context: unknown): void {
    this.stagedLarge = !copyContext(context, this.dimension, this.staged, 0);
  }

  protected scoreStaged(cell: number, out: Float64Array): number {
    return this.scoreCell(cell, this.staged, out);
  }

  private scoreCell(cell: number, context: ArrayLike<number>, out: Float64Array): number {
    const d = this.dimension;
    const k = this.arms.length;
    let best = 0;
    for (let arm = 0; arm < k; arm++) {
      const { inverse, theta } = this.derive(cell * k + arm);
      let estimate = 0;
      let width = 0;
      for (let i = 0; i < d; i++) {
        estimate += theta[i]! * context[i]!;
        let row = 0;
        for (let j = 0; j < d; j++) row += inverse[i * d + j]! * context[j]!;
        width += context[i]! * row;
      }
      out[arm] = estimate + this.options.alpha * Math.sqrt(Math.max(width, 0));
      if (out[arm]! > out[best]!) best = arm;
    }
    return best;
  }

  protected scoreCellMany(
    cell: number,
    contexts: Float64Array,
    count: number,
    scores: Float64Array,
    best: Int32Array,
  ): void {
    const d = this.dimension;
    const k = this.arms.length;
    for (let c = 0; c < count; c++) {
      best[c] = this.scoreCell(cell, contexts.subarray(c * d, c * d + d), scores.subarray(c * k, c * k + k));
    }
  }

  /** Scores in K fresh models appended for the call and removed after it: no cell is created. */
  protected scoreFreshCellMany(contexts: Float64Array, count: number, scores: Float64Array, best: Int32Array): void {
    const scratch = this.models.length / this.arms.length;
    for (let a = 0; a < this.arms.length; a++) this.models.push(this.fresh());
    try {
      this.scoreCellMany(scratch, contexts, count, scores, best);
    } finally {
      this.models.length = scratch * this.arms.length;
    }
  }

  protected modelTheta(cell: number | null, arm: number): ArrayLike<number> {
    if (cell === null) return this.deriveState(this.fresh(), arm).theta;
    return this.derive(cell * this.arms.length + arm).theta;
  }

  protected copy(): Promise<ReferenceLinUCB> {
    const copy = new ReferenceLinUCB(this.options);
    copy.addCells(this.registry.list());
    this.priors.forEach((mean, arm) => copy.setEffectivePrior(arm, mean));
    this.models.forEach((state, m) => {
      const target = copy.models[m]!;
      target.xx.set(state.xx);
      target.xr.set(state.xr);
      target.count = state.count;
      target.priorWeight = state.priorWeight;
    });
    copy.strength = this.strength;
    copy.random.setState(this.random.getState());
    return Promise.resolve(copy);
  }

  /**
   * S ← γS + x·xᵀ, s ← γs + r·x, n ← n + 1, w ← γw (and w ← 1 when it falls below the prior floor):
   * the definition, one event. Returns false, the model unchanged, when a sum would overflow.
   */
  private addEvent(model: number, context: ArrayLike<number>, reward: number): boolean {
    const state = this.models[model]!;
    const d = this.dimension;
    const gamma = this.options.discount;
    const xx = new Float64Array(d * d);
    const xr = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      const xi = context[i]!;
      for (let j = 0; j < d; j++) {
        xx[i * d + j] =
          gamma === 1 ? state.xx[i * d + j]! + xi * context[j]! : gamma * state.xx[i * d + j]! + xi * context[j]!;
      }
      xr[i] = gamma === 1 ? state.xr[i]! + reward * xi : gamma * state.xr[i]! + reward * xi;
    }
    if (!allFinite(xx) || !allFinite(xr)) return false;
    state.xx.set(xx);
    state.xr.set(xr);
    state.count += 1;
    state.priorWeight *= gamma;
    if (state.priorWeight < priorFloor) state.priorWeight = 1;
    state.derived = null;
    return true;
  }

  protected updateStaged(model: number, reward: number): boolean {
    const applied = this.addEvent(model, this.staged, reward);
    if (applied && (this.stagedLarge || !isModerate(reward))) this.largeState = true;
    return applied;
  }

  protected truncateModels(cellCount: number): void {
    this.models.length = Math.min(this.models.length, cellCount * this.arms.length);
  }

  protected updateRows(batch: ResolvedBatch): void {
    const d = this.dimension;
    const k = this.arms.length;
    for (let i = 0; i < batch.length; i++) {
      if (
        !this.addEvent(
          batch.cellIndices[i]! * k + batch.armIndices[i]!,
          batch.contexts.subarray(i * d, i * d + d),
          batch.rewards[i]!,
        )
      ) {
        const message =
          `batch row ${i}: the statistics overflow f64; that row and the rest are not applied and ` +
          `the previous state is kept`;
        throw new LinUCBError("NON_FINITE", message, { row: i });
      }
    }
  }

  protected accumulateRows(batch: ResolvedBatch): void {
    this.updateRows(batch);
  }

  protected finalizeMarked(): void {
    // Derived values are recomputed from the definition on demand; only pooled priors are due.
    if (this.options.pooling) {
      this.pool();
      this.estimateStrength();
    }
  }

  protected applyStrength(): void {
    for (const state of this.models) state.derived = null;
  }

  /** θ₀(a) = (ρI + Σ_cells S)⁻¹ (ρ·θ₀,configured(a) + Σ_cells s), ρ the pooling ridge, by explicit inverse. */
  private pool(): void {
    const d = this.dimension;
    const k = this.arms.length;
    const lambda = this.options.poolingRidge;
    const pooled = this.arms.map((_, arm) => {
      const a = new Float64Array(d * d);
      const b = new Float64Array(d);
      for (let model = arm; model < this.models.length; model += k) {
        const state = this.models[model]!;
        for (let i = 0; i < d * d; i++) a[i]! += state.xx[i];
        for (let i = 0; i < d; i++) b[i]! += state.xr[i];
      }
      const base = this.options.priorMeans[arm]!;
      for (let i = 0; i < d; i++) {
        a[i * d + i]! += lambda;
        b[i]! += lambda * base[i]!;
      }
      const inverse = invertMatrix(a, d);
      const mean = new Float64Array(d);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) mean[i]! += inverse[i * d + j]! * b[j]!;
      return mean;
    });
    pooled.forEach((mean, arm) => this.setEffectivePrior(arm, mean));
  }

  protected resetModels(): void {
    this.options.priorMeans.forEach((mean, arm) => this.setEffectivePrior(arm, mean));
    for (let m = 0; m < this.models.length; m++) this.models[m] = this.fresh();
  }

  protected saveModels(): unknown {
    const models = this.models.map((state) => ({
      ...state,
      xx: Float64Array.from(state.xx),
      xr: Float64Array.from(state.xr),
    }));
    return { models, priors: this.priors.map((mean) => Float64Array.from(mean)) };
  }

  protected restoreModels(saved: unknown, cellCount: number): void {
    const { models, priors } = saved as { models: ReferenceModel[]; priors: Float64Array[] };
    this.models.splice(0, this.models.length, ...models.slice(0, cellCount * this.arms.length));
    priors.forEach((mean, arm) => this.setEffectivePrior(arm, mean));
  }

  protected readModel(model: number): ModelRecord {
    const d = this.dimension;
    const state = this.models[model]!;
    const { inverse, theta, b } = this.derive(model);
    const pack = (full: Float64Array): Float64Array => {
      const packed = new Float64Array(packedLength(d));
      packUpper(full, 0, d, d, packed, 0);
      return packed;
    };
    return {
      inverse: pack(inverse),
      theta: Float64Array.from(theta),
      b: Float64Array.from(b),
      count: state.count,
      priorWeight: state.priorWeight,
      xx: pack(state.xx),
      xr: Float64Array.from(state.xr),
    };
  }

  protected readStatistics(model: number, slot: ModelStatisticsSlot): void {
    const d = this.dimension;
    const state = this.models[model]!;
    packUpper(state.xx, 0, d, d, slot.xx, slot.model * packedLength(d));
    slot.xr.set(state.xr, slot.model * d);
    slot.counts[slot.model] = state.count;
    slot.priorWeights[slot.model] = state.priorWeight;
  }

  protected writeStatistics(model: number, slot: ModelStatisticsSlot): void {
    const d = this.dimension;
    const state = this.models[model]!;
    state.xx.set(unpackSymmetric(slot.xx, slot.model * packedLength(d), d));
    state.xr.set(slot.xr.subarray(slot.model * d, slot.model * d + d));
    state.derived = null;
    state.count = slot.counts[slot.model]!;
    state.priorWeight = slot.priorWeights[slot.model]!;
  }
}

/** Creates the plain-TypeScript reference engine. Async only to share `createLinUCB`'s signature. */
export async function createReferenceLinUCB(options: LinUCBOptions): Promise<ReferenceLinUCB> {
  const engine = new ReferenceLinUCB(resolveOptions(options));
  if (options.cells !== undefined) engine.addCells(options.cells);
  return engine;
}
