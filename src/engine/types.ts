/**
 * The shapes shared by the WebAssembly engine and the pure-TypeScript reference engine: options,
 * batches, selections, statistics, and the engine interface both implement.
 */

import type { ShrinkageState } from "./shrinkage.js";

/** Which compiled kernel to run. `'auto'` picks the fastest the host supports. */
export type KernelBuild = "auto" | "relaxed" | "simd" | "scalar";

/**
 * How `select` turns UCB scores into a choice.
 * - `'ucb'`: the argmax (ties go to the lowest arm index); propensity 1.
 * - `{ epsilon }`: with probability ε a uniformly random arm, otherwise the UCB argmax.
 * - `{ softmax }`: an arm drawn with probability ∝ exp(score / temperature).
 */
export type Exploration = "ucb" | { readonly epsilon: number } | { readonly softmax: number };

/**
 * The prior of one arm: a prior mean vector θ₀ (length `dimension`), or a prior expected reward,
 * which sets θ₀ to that value at the intercept feature (`interceptIndex`) and 0 elsewhere.
 */
export type ArmPrior = number | ArrayLike<number>;

/** Options of {@link createLinUCB} and of the reference engine. */
export interface LinUCBOptions {
  /** Number of context features d (a positive integer). Required. */
  readonly dimension: number;
  /** Arm ids, in the order scores are reported. Non-empty, unique strings. Required. */
  readonly arms: readonly string[];
  /** Weight of the exploration bonus α·√(xᵀA⁻¹x); finite and ≥ 0. @default 1 */
  readonly alpha?: number;
  /** Ridge λ: A starts at λI; finite and > 0. @default 1 */
  readonly lambda?: number;
  /** Discount γ ∈ (0, 1]: A ← γA + xxᵀ, b ← γb + rx on each update of a model. @default 1 (no forgetting) */
  readonly discount?: number;
  /** Prior per arm id (arms not listed get θ₀ = 0). @default {} */
  readonly priors?: Readonly<Record<string, ArmPrior>>;
  /** Index of the constant-1 feature that a scalar prior sets. @default 0 */
  readonly interceptIndex?: number;
  /** How select chooses among scored arms. @default 'ucb' */
  readonly exploration?: Exploration;
  /** Seed of the random stream used by exploration (an unsigned 32-bit integer). @default 0 */
  readonly seed?: number;
  /** Kernel build. @default 'auto' */
  readonly build?: KernelBuild;
  /**
   * Keep the exact sufficient statistics (Σxxᵀ, Σrx, n) of every model. Needed by `refit`,
   * `accumulate`, `finalize`, `exportStatistics` and `mergeStatistics`; costs about twice the
   * memory per model and some update time. @default true
   */
  readonly statistics?: boolean;
  /**
   * Share strength across cells: at every finalize (and so every refit), fit each arm on the rows
   * of all cells — a ridge regression toward the arm's configured prior, with ridge `ridge`
   * (default 1) — and use that fit as the arm's prior mean θ₀ in every cell. Each cell then
   * shrinks toward what the arm does everywhere, with strength `lambda`: raise `lambda` to share
   * more. Needs `statistics`. Online updates between two finalizes keep the pooled prior of the
   * last one. `true` is `{ ridge: 1 }`. @default false
   *
   * `shrinkage` sets that strength: a number is the per-cell ridge (it replaces `lambda`, which
   * must then be left out or equal), `'auto'` estimates it from the data at every pooled finalize
   * by empirical Bayes (type-II maximum likelihood of the between-cell variance, shrinkage.ts);
   * `lambda` is then only the strength before the first estimate. The strength in effect is
   * `engine.shrinkage()`. @default `lambda`
   */
  readonly pooling?: boolean | { readonly ridge?: number; readonly shrinkage?: "auto" | number };
  /** Cells to create up front (more are created on first use). @default [] */
  readonly cells?: readonly string[];
}

/** Options after defaults are applied and values validated. */
export interface ResolvedOptions {
  readonly dimension: number;
  readonly arms: readonly string[];
  readonly alpha: number;
  readonly lambda: number;
  readonly discount: number;
  /** θ₀ per arm, in `arms` order, each of length `dimension`. */
  readonly priorMeans: readonly Float64Array[];
  readonly interceptIndex: number;
  readonly exploration: Exploration;
  readonly seed: number;
  readonly build: KernelBuild;
  readonly statistics: boolean;
  readonly pooling: boolean;
  /** Ridge of the pooled per-arm fits (meaningful when `pooling`). */
  readonly poolingRidge: number;
  /** How the per-cell ridge toward the pooled fit is chosen: `'auto'` (estimated) or `'fixed'` (`lambda`). */
  readonly shrinkage: "auto" | "fixed";
}

/**
 * A columnar batch of events: row i is (cells[i], arms[i], contexts[i·d … i·d + d), rewards[i]).
 * Cells and arms are ids, or indices (an `Int32Array`) from `cellIndex` / `armIndex`.
 */
export interface EventBatch {
  readonly cells: readonly string[] | Int32Array;
  readonly arms: readonly string[] | Int32Array;
  /** Contexts, row-major, `length × dimension` values. */
  readonly contexts: Float64Array;
  readonly rewards: ArrayLike<number>;
}

/** The result of `select`. */
export interface Selection {
  /** The chosen arm id. */
  readonly arm: string;
  /** Its index in `arms`. */
  readonly armIndex: number;
  /** The exact probability with which this arm was chosen, given the scores. */
  readonly propensity: number;
  /** The UCB score of every arm, in `arms` order. */
  readonly scores: Float64Array;
}

/**
 * A selection the caller owns and `select(cell, context, into)` / `selectAt` fill in place, so a
 * hot serving loop allocates nothing per request. Scores are written only when asked for.
 */
export interface SelectionTarget {
  /** The chosen arm id. */
  arm: string;
  /** Its index in `arms`. */
  armIndex: number;
  /** The exact probability with which this arm was chosen, given the scores. */
  propensity: number;
  /** When a Float64Array of length K, receives the UCB score of every arm; otherwise untouched. */
  scores?: Float64Array | undefined;
}

/** The result of a batched select over many contexts of one cell. */
export interface BatchSelection {
  /** Chosen arm index per context. */
  readonly armIndices: Int32Array;
  /** Propensity of each choice. */
  readonly propensities: Float64Array;
  /** Scores, row-major: `count × arms.length`. */
  readonly scores: Float64Array;
}

/** The result of a read-only greedy scoring of many contexts of one cell ({@link LinUCBEngine.greedyMany}). */
export interface GreedySelection {
  /** The UCB argmax per context (ties go to the lowest arm index): what exploration `'ucb'` would choose. */
  readonly armIndices: Int32Array;
  /** UCB scores, row-major: `count × arms.length`. */
  readonly scores: Float64Array;
}

/** The state of one (cell, arm) model, copied out for inspection. */
export interface ModelState {
  /** θ = A⁻¹b, length d. */
  readonly theta: Float64Array;
  /** A⁻¹, full symmetric, row-major d × d. */
  readonly covariance: Float64Array;
  /** b, length d. */
  readonly b: Float64Array;
  /** Events seen by this model. */
  readonly count: number;
  /** Weight left on the prior, γⁿ (1 without forgetting). */
  readonly priorWeight: number;
}

/**
 * Exact sufficient statistics of a set of cells: for each (cell, arm) model, Σxxᵀ (packed upper
 * triangle, d(d+1)/2 values, row by row), Σrx (d values), n and the prior weight w = γⁿ. Adding two
 * exports of disjoint row sets gives the export of their union (when the discount is 1).
 */
export interface LinUCBStatistics {
  readonly dimension: number;
  readonly arms: readonly string[];
  readonly discount: number;
  readonly cells: readonly string[];
  /** cells.length × arms.length × d(d+1)/2 values, model-major (cell, then arm). */
  readonly xx: Float64Array;
  /** cells.length × arms.length × d values. */
  readonly xr: Float64Array;
  /** cells.length × arms.length event counts. */
  readonly counts: Float64Array;
  /** cells.length × arms.length prior weights γⁿ. */
  readonly priorWeights: Float64Array;
  /**
   * cells.length × arms.length sums of squared rewards Σ γ-weighted r² (what `pooling.shrinkage:
   * 'auto'` estimates the noise from). Optional: statistics without it merge, but an engine then
   * keeps its strength until its next refit.
   */
  readonly yy?: Float64Array;
}

/** What both engines (WebAssembly and reference) offer. */
export interface LinUCBEngine {
  /** The options in effect, defaults applied. */
  readonly options: ResolvedOptions;
  /** Feature dimension d. */
  readonly dimension: number;
  /** Arm ids in score order. */
  readonly arms: readonly string[];
  /** The kernel build in use (`'reference'` for the TypeScript oracle). */
  readonly build: "relaxed" | "simd" | "scalar" | "reference";

  /** Cell ids, in creation order. */
  cells(): readonly string[];
  /** Creates the cells that do not exist yet (idempotent). */
  addCells(ids: readonly string[]): void;
  /** Whether a cell exists. */
  hasCell(id: string): boolean;
  /** Index of a cell, creating it if needed: use it to build `Int32Array` batches. */
  cellIndex(id: string): number;
  /** Index of an arm id; throws LinUCBError UNKNOWN_ARM. */
  armIndex(id: string): number;

  /** Chooses an arm for `context` in `cell` according to `exploration`. */
  select(cell: string, context: ArrayLike<number>): Selection;
  /** `select` into a caller-owned target, returned (no allocation; scores only if `into.scores` is set). */
  select<T extends SelectionTarget>(cell: string, context: ArrayLike<number>, into: T): T;
  /** `select(cell, context, into)` by a cell index from `cellIndex`. */
  selectAt<T extends SelectionTarget>(cellIndex: number, context: ArrayLike<number>, into: T): T;
  /** Chooses an arm for each of `count` contexts (row-major) of one cell. */
  selectMany(cell: string, contexts: Float64Array): BatchSelection;
  /**
   * Read-only scoring of `count` contexts (row-major) of one cell: the UCB argmax of each and the
   * scores. Never creates the cell (an unknown cell is scored as a fresh cell would be: every arm at
   * its prior in effect), never draws from the random stream, whatever `exploration` is.
   */
  greedyMany(cell: string, contexts: Float64Array): GreedySelection;
  /**
   * Read-only expected rewards θ_aᵀx of every arm for `count` contexts (row-major) of one cell, as
   * `count × arms.length` row-major values (the scores without the exploration bonus). Never creates
   * the cell: an unknown cell gives each arm's prior in effect, as a fresh cell would.
   */
  expectedRewardsMany(cell: string, contexts: Float64Array): Float64Array;
  /** An independent engine with this one's options, cells, models, statistics and random stream. */
  clone(): Promise<LinUCBEngine>;
  /** UCB score of every arm for `context` in `cell`, in `arms` order. */
  scores(cell: string, context: ArrayLike<number>, out?: Float64Array): Float64Array;
  /** One online update (Sherman–Morrison). */
  update(cell: string, arm: string, context: ArrayLike<number>, reward: number): void;
  /**
   * `update` by indices from `cellIndex` / `armIndex`: for hot loops that resolve their ids once,
   * as a batch does (no string lookups per event).
   */
  updateAt(cellIndex: number, armIndex: number, context: ArrayLike<number>, reward: number): void;
  /** `scores` by a cell index from `cellIndex`, into `out` (length K). */
  scoresAt(cellIndex: number, context: ArrayLike<number>, out: Float64Array): Float64Array;
  /** Online updates for every row of a batch, in order; all rows are validated first. */
  updateMany(batch: EventBatch): void;

  /** Resets every model to its prior, then fits the batch: `reset(); accumulate(batch); finalize()`. */
  refit(batch: EventBatch): void;
  /** Resets every model of every cell to its prior (cells are kept). */
  reset(): void;
  /** Adds a batch to the sufficient statistics only; models change at the next `finalize`. */
  accumulate(batch: EventBatch): void;
  /** Recomputes every model touched since the last finalize from its statistics (Cholesky). */
  finalize(): void;
  /** Exact sufficient statistics of the given cells (default: all). */
  exportStatistics(cells?: readonly string[]): LinUCBStatistics;
  /** Adds statistics (from this or another engine of the same shape) and refits the models touched. */
  mergeStatistics(stats: LinUCBStatistics): void;

  /** The prior mean θ₀ of an arm now in effect (the configured one, or the pooled fit). */
  priorMean(arm: string): Float64Array;
  /** The per-cell ridge toward the pooled fit in effect, and how it was chosen. */
  shrinkage(): ShrinkageState;
  /** A copy of one model's state. */
  model(cell: string, arm: string): ModelState;
  /** Versioned, checksummed binary state: restore with `restoreLinUCB`. */
  snapshot(): Uint8Array;
}
