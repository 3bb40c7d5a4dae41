/**
 * Disjoint LinUCB written with ml-matrix the way an npm user would write it: one `Matrix` per
 * quantity and model, contexts turned into column vectors, the textbook formulas spelled with
 * `mmul`, `transpose` and friends. Nothing is tuned; nothing is deliberately slow either — it uses
 * Sherman–Morrison for updates (not a re-inversion per event) and `inverse` only in refit, where a
 * user fitting from scratch would reach for it.
 *
 *   update:  u = A⁻¹x;  A⁻¹ ← A⁻¹ − u·uᵀ/(1 + xᵀu);  b ← b + r·x;  θ = A⁻¹b
 *   score:   θᵀx + α·√(xᵀA⁻¹x)
 *   batched: X (n×d) → X·θ + α·√rowSums((X·A⁻¹) ∘ X), per arm
 *   refit:   A = λI + XᵀX,  b = Xᵀr,  A⁻¹ = inverse(A),  θ = A⁻¹b, per model
 */
import { Matrix, inverse } from "ml-matrix";

/** One (cell, arm) model as ml-matrix objects. */
interface MatrixModel {
  /** A⁻¹, d×d. */
  inverse: Matrix;
  /** b, d×1. */
  b: Matrix;
  /** θ = A⁻¹b, d×1. */
  theta: Matrix;
}

/** Disjoint LinUCB over ml-matrix objects (see the file comment). */
export class MlMatrixLinUCB {
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
  private models: MatrixModel[];

  /** Creates `cells × arms` models at the prior A⁻¹ = I/λ, θ = b = 0. */
  constructor(d: number, arms: number, cells: number, alpha: number, lambda: number) {
    this.d = d;
    this.arms = arms;
    this.cells = cells;
    this.alpha = alpha;
    this.lambda = lambda;
    this.models = this.priorModels();
  }

  private priorModels(): MatrixModel[] {
    return Array.from({ length: this.cells * this.arms }, () => ({
      inverse: Matrix.eye(this.d, this.d, 1 / this.lambda),
      b: Matrix.zeros(this.d, 1),
      theta: Matrix.zeros(this.d, 1),
    }));
  }

  /** One Sherman–Morrison step of model `model` (cell·K + arm). */
  update(model: number, context: ArrayLike<number>, reward: number): void {
    const state = this.models[model]!;
    const x = Matrix.columnVector(context);
    const u = state.inverse.mmul(x);
    const denominator = 1 + x.transpose().mmul(u).get(0, 0);
    state.inverse.sub(u.mmul(u.transpose()).div(denominator));
    state.b.add(Matrix.mul(x, reward));
    state.theta = state.inverse.mmul(state.b);
  }

  /** UCB score of every arm of `cell` for `context`, into `out`; returns the argmax. */
  scoreCell(cell: number, context: ArrayLike<number>, out: Float64Array): number {
    const x = Matrix.columnVector(context);
    const xT = x.transpose();
    let best = 0;
    for (let a = 0; a < this.arms; a++) {
      const state = this.models[cell * this.arms + a]!;
      const estimate = state.theta.transpose().mmul(x).get(0, 0);
      const width = xT.mmul(state.inverse).mmul(x).get(0, 0);
      out[a] = estimate + this.alpha * Math.sqrt(Math.max(width, 0));
      if (out[a]! > out[best]!) best = a;
    }
    return best;
  }

  /**
   * Batched select over `count` contexts of one cell (row-major): scores (count × K) and the argmax
   * of each context, with one matrix product per arm.
   */
  scoreCellMany(cell: number, contexts: Float64Array, count: number): { scores: Matrix; best: number[] } {
    const X = Matrix.from1DArray(count, this.d, contexts);
    const scores = new Matrix(count, this.arms);
    for (let a = 0; a < this.arms; a++) {
      const state = this.models[cell * this.arms + a]!;
      const estimates = X.mmul(state.theta).getColumn(0);
      const widths = Matrix.mul(X.mmul(state.inverse), X).sum("row");
      for (let c = 0; c < count; c++) scores.set(c, a, estimates[c]! + this.alpha * Math.sqrt(Math.max(widths[c]!, 0)));
    }
    const best = Array.from({ length: count }, (_, c) => scores.maxRowIndex(c)[1]);
    return { scores, best };
  }

  /**
   * Refits every model from scratch on `count` rows (row i: model `models[i]`, context
   * `contexts[i·d …]`, reward `rewards[i]`): rows are grouped per model into a matrix X, then
   * A = λI + XᵀX, A⁻¹ = inverse(A), θ = A⁻¹Xᵀr.
   */
  refit(models: Int32Array, contexts: Float64Array, rewards: Float64Array, count: number): void {
    const d = this.d;
    const rowsByModel: number[][][] = Array.from({ length: this.models.length }, () => []);
    const rewardsByModel: number[][] = Array.from({ length: this.models.length }, () => []);
    for (let e = 0; e < count; e++) {
      rowsByModel[models[e]!]!.push(Array.from(contexts.subarray(e * d, (e + 1) * d)));
      rewardsByModel[models[e]!]!.push(rewards[e]!);
    }
    this.models = rowsByModel.map((rows, m) => {
      if (rows.length === 0)
        return { inverse: Matrix.eye(d, d, 1 / this.lambda), b: Matrix.zeros(d, 1), theta: Matrix.zeros(d, 1) };
      const X = new Matrix(rows);
      const Xt = X.transpose();
      const A = Xt.mmul(X).add(Matrix.eye(d, d, this.lambda));
      const b = Xt.mmul(Matrix.columnVector(rewardsByModel[m]!));
      const inv = inverse(A);
      return { inverse: inv, b, theta: inv.mmul(b) };
    });
  }

  /** A copy of model m's A⁻¹, row-major (for tests). */
  covariance(model: number): Float64Array {
    return Float64Array.from(this.models[model]!.inverse.to1DArray());
  }

  /** A copy of model m's θ (for tests). */
  thetaOf(model: number): Float64Array {
    return Float64Array.from(this.models[model]!.theta.to1DArray());
  }
}
