/**
 * What both engines share: ids ↔ indices, argument validation, exploration and propensities,
 * batching rules (validate every row, then apply), statistics export/merge and snapshots. A
 * concrete engine supplies only the numerical primitives (score, update, accumulate, finalize, read
 * and write one model), so the WebAssembly engine and the TypeScript oracle cannot drift apart in
 * behaviour, only in arithmetic — which is what the tests compare.
 */
import { CellRegistry } from "./cell-registry.js";
import { ordinaryOptions, ordinaryStatistics } from "./magnitude.js";
import { LinUCBError, describeValue } from "./errors.js";
import { chooseArm, chooseArmInto } from "./exploration.js";
import { SeededRandom } from "./random.js";
import {
  estimateShrinkage,
  type ShrinkageEstimate,
  type ShrinkageModelInput,
  type ShrinkageState,
} from "./shrinkage.js";
import { encodeSnapshot, type ModelRecord } from "./snapshot.js";
import {
  checkStatistics,
  mergeModelStatistics,
  packedLength,
  unpackSymmetric,
  type ModelStatisticsSlot,
} from "./statistics.js";
import type {
  BatchSelection,
  EventBatch,
  GreedySelection,
  LinUCBEngine,
  LinUCBStatistics,
  ModelState,
  ResolvedOptions,
  Selection,
  SelectionTarget,
} from "./types.js";
import { checkCellId, checkFiniteRows, checkReward, resolveArm, resolveBatch, type ResolvedBatch } from "./validate.js";

/** The shared half of an engine; subclasses implement the numerical primitives. */
export abstract class EngineBase implements LinUCBEngine {
  readonly options: ResolvedOptions;
  readonly dimension: number;
  readonly arms: readonly string[];
  abstract readonly build: LinUCBEngine["build"];

  /** Cell ids and their indices. */
  protected readonly registry = new CellRegistry();
  /** Arm id → index. */
  protected readonly armIndexById: ReadonlyMap<string, number>;
  /**
   * The same index as a prototype-free dictionary object, for the per-event calls by id: V8 finds
   * a property of it for a string key in 5–7 ns where `Map.get` takes 17–22 ns (d = 16 update
   * loop, bench/by-id.ts) — the difference between by id within 15% of by index and not.
   */
  private readonly armIndexByKey: Record<string, number>;
  /** The seeded stream behind exploration. */
  protected readonly random: SeededRandom;
  /**
   * Whether a batch of moderate rows could overflow (extreme options, or a larger value once
   * accepted or restored): batches then run on a saved copy of the state (./magnitude.ts).
   */
  protected largeState: boolean;
  /** Whether accumulate() left models waiting for finalize(). */
  protected pendingFinalize = false;
  private readonly probabilities: Float64Array;
  /** Scores of a select whose caller did not ask for them. */
  private readonly scratchScores: Float64Array;
  /**
   * Σ γ-weighted r² per model (cell·K + arm), kept beside the statistics for the shrinkage
   * estimate; NaN where unknown (statistics merged without it, or a restored engine).
   */
  private rewardSquares = new Float64Array(0);
  /** The per-cell ridge toward the pooled prior in effect. */
  protected strength: number;
  private shrinkageEstimate: ShrinkageEstimate | null = null;

  protected constructor(options: ResolvedOptions) {
    this.options = options;
    this.strength = options.lambda;
    this.dimension = options.dimension;
    this.arms = options.arms;
    this.armIndexById = new Map(options.arms.map((arm, index) => [arm, index]));
    this.armIndexByKey = Object.create(null) as Record<string, number>;
    options.arms.forEach((arm, index) => {
      this.armIndexByKey[arm] = index;
    });
    this.random = new SeededRandom(options.seed);
    this.largeState = !ordinaryOptions(options);
    this.probabilities = new Float64Array(options.arms.length);
    this.scratchScores = new Float64Array(options.arms.length);
  }

  // ── numerical primitives ────────────────────────────────────────────────────────────────────

  /**
   * Makes room for `cellCount` cells and sets the models of the new ones to their prior. Must
   * throw before changing anything when the room cannot be had.
   */
  protected abstract growCells(cellCount: number): void;
  /**
   * Validates one context (TypeError/RangeError naming `context`) and stages it for the next
   * scoreStaged / updateStaged. One pass does both, since this is the per-event hot path; staging
   * is scratch, so a context that fails validation changes no state.
   */
  protected abstract stageContext(context: unknown): void;
  /** Writes the K scores of a cell for the staged context into `out`; returns the argmax. */
  protected abstract scoreStaged(cell: number, out: Float64Array): number;
  /** Scores `count` contexts of one cell: `scores` (count × K) and the argmax of each into `best`. */
  protected abstract scoreCellMany(
    cell: number,
    contexts: Float64Array,
    count: number,
    scores: Float64Array,
    best: Int32Array,
  ): void;
  /**
   * Scores `count` contexts of a cell that does not exist, as {@link scoreCellMany} would score a
   * fresh cell (every arm at its prior in effect), without creating it.
   */
  protected abstract scoreFreshCellMany(
    contexts: Float64Array,
    count: number,
    scores: Float64Array,
    best: Int32Array,
  ): void;
  /** θ of one arm in cell `cell` (an index), or of a fresh cell when `cell` is null; read it at once. */
  protected abstract modelTheta(cell: number | null, arm: number): ArrayLike<number>;
  /** A copy of this engine's models and cells (options, statistics, priors and strength in effect, random stream). */
  protected abstract copy(): Promise<EngineBase>;
  /**
   * One online update of model `model` (cell·K + arm) with the staged context. Returns false, the
   * model unchanged, when the step would overflow f64.
   */
  protected abstract updateStaged(model: number, reward: number): boolean;
  /**
   * Online updates of every row of a validated batch, in order. Throws LinUCBError NON_FINITE at
   * the first row whose step would overflow, that row and the ones after it not applied.
   */
  protected abstract updateRows(batch: ResolvedBatch): void;
  /**
   * Adds the rows to the statistics only and marks their models for the next finalize. Throws
   * like {@link updateRows} when a sum would overflow.
   */
  protected abstract accumulateRows(batch: ResolvedBatch): void;
  /**
   * After a refit's finalize, redoes what the batch path fitted less accurately than the online
   * path would have (the WebAssembly engine: badly conditioned models). Default: nothing.
   */
  protected refineRefit(_batch: ResolvedBatch): void {}
  /** Forgets the models of cells from `cellCount` on (the registry is truncated alongside). */
  protected abstract truncateModels(cellCount: number): void;
  /** Recomputes every marked model from its statistics. */
  protected abstract finalizeMarked(): void;
  /** Restores the configured priors and sets every model of every cell to its prior. */
  protected abstract resetModels(): void;
  /** The prior mean of an arm in effect. */
  protected abstract effectivePrior(arm: number): Float64Array;
  /** Reads one model's full state (statistics only when kept). */
  protected abstract readModel(model: number): ModelRecord;
  /** Copies one model's statistics into a slot of flat statistics arrays. */
  protected abstract readStatistics(model: number, slot: ModelStatisticsSlot): void;
  /** Overwrites one model's statistics from a slot and marks it for the next finalize. */
  protected abstract writeStatistics(model: number, slot: ModelStatisticsSlot): void;
  /** Sets the per-cell ridge of every model's next finalize (and of models created from now on). */
  protected abstract applyStrength(lambda: number): void;

  // ── shrinkage (pooling.shrinkage 'auto') ──────────────────────────────────────────────────────

  private rewardSquaresFor(models: number): Float64Array {
    if (this.rewardSquares.length < models) {
      const grown = new Float64Array(Math.max(models, 2 * this.rewardSquares.length));
      grown.set(this.rewardSquares);
      this.rewardSquares = grown;
    }
    return this.rewardSquares;
  }

  private trackReward(model: number, reward: number): void {
    // Σr² is read only through the statistics (export, estimated shrinkage): none kept, none tracked.
    if (!this.options.statistics) return;
    const yy = this.rewardSquaresFor(this.registry.size * this.arms.length);
    yy[model] = this.options.discount * yy[model]! + reward * reward;
  }

  /** yy ← γ·yy + r² for each row, in order (the same recursion as the statistics). */
  private trackRewards(
    cellIndices: ArrayLike<number>,
    armIndices: ArrayLike<number>,
    rewards: ArrayLike<number>,
    length: number,
  ): void {
    if (!this.options.statistics) return;
    const k = this.arms.length;
    const gamma = this.options.discount;
    const yy = this.rewardSquaresFor(this.registry.size * k);
    for (let i = 0; i < length; i++) {
      const m = cellIndices[i]! * k + armIndices[i]!;
      yy[m] = gamma * yy[m]! + rewards[i]! * rewards[i]!;
    }
  }

  /**
   * With `pooling.shrinkage: 'auto'`, re-estimates the strength from every model's statistics
   * around the pooled priors just fitted, and applies it. Subclasses call it right after pooling,
   * before they finalize the models. Keeps the strength when Σr² is unknown for a model with rows.
   */
  protected estimateStrength(): void {
    if (!this.options.pooling || this.options.shrinkage !== "auto") return;
    const d = this.dimension;
    const k = this.arms.length;
    const models = this.registry.size * k;
    const yy = this.rewardSquaresFor(models);
    const slot = {
      xx: new Float64Array(packedLength(d)),
      xr: new Float64Array(d),
      counts: new Float64Array(1),
      priorWeights: new Float64Array(1),
      model: 0,
    };
    const priors = this.arms.map((_, arm) => this.effectivePrior(arm));
    const inputs: ShrinkageModelInput[] = [];
    for (let m = 0; m < models; m++) {
      this.readStatistics(m, slot);
      if (slot.counts[0] === 0) continue;
      const xx = unpackSymmetric(slot.xx, 0, d);
      inputs.push({ xx, xr: Float64Array.from(slot.xr), yy: yy[m]!, count: slot.counts[0]!, prior: priors[m % k]! });
    }
    const estimate = estimateShrinkage(inputs, d, this.options.interceptIndex);
    if (estimate === null) return;
    this.shrinkageEstimate = estimate;
    this.strength = estimate.strength;
    this.applyStrength(estimate.strength);
  }

  /** The strength and estimate in effect, for {@link restoreShrinkage} after a failed change. */
  protected saveShrinkage(): { readonly strength: number; readonly estimate: ShrinkageEstimate | null } {
    return { strength: this.strength, estimate: this.shrinkageEstimate };
  }

  /** Puts back what {@link saveShrinkage} saved (and the kernel's ridge with it). */
  protected restoreShrinkage(saved: { readonly strength: number; readonly estimate: ShrinkageEstimate | null }): void {
    this.shrinkageEstimate = saved.estimate;
    if (saved.strength !== this.strength) {
      this.strength = saved.strength;
      this.applyStrength(saved.strength);
    }
  }

  shrinkage(): ShrinkageState {
    this.settle();
    const mode = !this.options.pooling ? "none" : this.options.shrinkage;
    return { mode, strength: this.strength, estimate: mode === "auto" ? this.shrinkageEstimate : null };
  }
  /**
   * A copy of every model, prior and pending mark, for {@link restoreModels}: what a refit or a
   * merge changes, kept so that a failed one can put it all back.
   */
  protected abstract saveModels(): unknown;
  /** Puts back what {@link saveModels} saved; cells from `cellCount` on are dropped. */
  protected abstract restoreModels(saved: unknown, cellCount: number): void;

  // ── cells and arms ──────────────────────────────────────────────────────────────────────────

  cells(): readonly string[] {
    return this.registry.list();
  }

  hasCell(id: string): boolean {
    return this.registry.find(id) !== undefined;
  }

  addCells(ids: readonly string[]): void {
    if (!Array.isArray(ids))
      throw new TypeError(`\`ids\` must be an array of cell ids; received ${describeValue(ids)}`);
    const fresh: string[] = [];
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      checkCellId(id, `ids[${i}]`);
      if (this.registry.find(id) === undefined && !seen.has(id)) {
        seen.add(id);
        fresh.push(id);
      }
    });
    if (fresh.length === 0) return;
    this.growCells(this.registry.size + fresh.length);
    for (const id of fresh) this.registry.add(id);
  }

  cellIndex(id: string): number {
    checkCellId(id);
    return this.registry.find(id) ?? this.createCell(id);
  }

  armIndex(id: string): number {
    return resolveArm(id, this.armIndexById);
  }

  private checkCellIndex(index: number): void {
    if (!(index >= 0 && index < this.registry.size && (index | 0) === index)) {
      throw new RangeError(
        `\`cellIndex\` must be an index from cellIndex(), in [0, ${this.registry.size - 1}]; received ` +
          `${describeValue(index)}`,
      );
    }
  }

  private checkArmIndex(index: number): void {
    if (!(index >= 0 && index < this.arms.length && (index | 0) === index)) {
      throw new RangeError(
        `\`armIndex\` must be an arm index in [0, ${this.arms.length - 1}]; received ${describeValue(index)}`,
      );
    }
  }

  private createCell(id: string): number {
    this.growCells(this.registry.size + 1);
    return this.registry.add(id);
  }

  /** Index of a validated cell id, creating the cell on first use. */
  protected cellFor(id: string): number {
    return this.registry.find(id) ?? this.createCell(id);
  }

  private applyNewCells(batch: ResolvedBatch): void {
    if (batch.newCells.length === 0) return;
    this.growCells(this.registry.size + batch.newCells.length);
    for (const id of batch.newCells) this.registry.add(id);
  }

  private resolve(batch: EventBatch): ResolvedBatch {
    return resolveBatch(batch, this.dimension, this.registry.map, this.registry.size, this.armIndexById);
  }

  private requireStatistics(operation: string): void {
    if (!this.options.statistics) {
      throw new LinUCBError(
        "STATISTICS_DISABLED",
        `${operation} needs exact statistics: create the engine with \`statistics: true\` (the default)`,
        { operation },
      );
    }
  }

  /** Finalizes models left pending by accumulate() before anything reads them. */
  protected settle(): void {
    if (this.pendingFinalize) this.finalize();
  }

  // ── scoring and selection ───────────────────────────────────────────────────────────────────

  scores(cell: string, context: ArrayLike<number>, out?: Float64Array): Float64Array {
    checkCellId(cell);
    const k = this.arms.length;
    if (out !== undefined && (!(out instanceof Float64Array) || out.length !== k)) {
      throw new RangeError(
        `\`out\` must be a Float64Array of length ${k} (one per arm); received ${describeValue(out)}`,
      );
    }
    this.stageContext(context);
    const target = out ?? new Float64Array(k);
    this.settle();
    this.scoreStaged(this.cellFor(cell), target);
    return target;
  }

  scoresAt(cellIndex: number, context: ArrayLike<number>, out: Float64Array): Float64Array {
    this.checkCellIndex(cellIndex);
    const k = this.arms.length;
    if (!(out instanceof Float64Array) || out.length !== k) {
      throw new RangeError(
        `\`out\` must be a Float64Array of length ${k} (one per arm); received ${describeValue(out)}`,
      );
    }
    this.stageContext(context);
    this.settle();
    this.scoreStaged(cellIndex, out);
    return out;
  }

  select(cell: string, context: ArrayLike<number>): Selection;
  select<T extends SelectionTarget>(cell: string, context: ArrayLike<number>, into: T): T;
  select<T extends SelectionTarget>(cell: string, context: ArrayLike<number>, into?: T): Selection | T {
    if (into === undefined) {
      const scores = this.scores(cell, context);
      const choice = chooseArm(scores, this.options.exploration, this.random, this.probabilities);
      return { arm: this.arms[choice.armIndex]!, armIndex: choice.armIndex, propensity: choice.propensity, scores };
    }
    const cellIndex = typeof cell === "string" ? this.registry.indexOf(cell) : undefined;
    if (cellIndex !== undefined) return this.selectIndexed(cellIndex, context, into);
    checkCellId(cell);
    this.checkTarget(into);
    this.stageContext(context);
    this.settle();
    return this.selectIndexed(this.cellFor(cell), context, into, true);
  }

  selectAt<T extends SelectionTarget>(cellIndex: number, context: ArrayLike<number>, into: T): T {
    this.checkCellIndex(cellIndex);
    return this.selectIndexed(cellIndex, context, into);
  }

  /**
   * Scores a known cell into `into.scores` (or the engine's own scratch) and chooses into `into`.
   * `staged`: the context is staged and pending work settled already.
   */
  private selectIndexed<T extends SelectionTarget>(
    cellIndex: number,
    context: ArrayLike<number>,
    into: T,
    staged = false,
  ): T {
    const target = this.checkTarget(into);
    if (!staged) {
      this.stageContext(context);
      if (this.pendingFinalize) this.settle();
    }
    this.scoreStaged(cellIndex, target);
    chooseArmInto(target, this.options.exploration, this.random, this.probabilities, into);
    into.arm = this.arms[into.armIndex]!;
    return into;
  }

  /** Where select writes scores: `into.scores` when it is a Float64Array of length K, else scratch. */
  private checkTarget(into: SelectionTarget): Float64Array {
    if (into === null || typeof into !== "object") {
      throw new TypeError(`\`into\` must be an object to write the selection into; received ${describeValue(into)}`);
    }
    const scores = into.scores;
    if (scores === undefined) return this.scratchScores;
    if (!(scores instanceof Float64Array) || scores.length !== this.arms.length) {
      const expected = `undefined or a Float64Array of length ${this.arms.length} (one per arm)`;
      throw new RangeError(`\`into.scores\` must be ${expected}; received ${describeValue(scores)}`);
    }
    return scores;
  }

  /** Validates row-major contexts (count × d, finite) and returns the count. */
  private contextRows(contexts: Float64Array): number {
    const d = this.dimension;
    if (!(contexts instanceof Float64Array)) {
      throw new TypeError(
        `\`contexts\` must be a Float64Array (count × ${d}, row-major); received ${describeValue(contexts)}`,
      );
    }
    if (contexts.length % d !== 0) {
      throw new RangeError(`\`contexts\` length must be a multiple of the dimension ${d}; received ${contexts.length}`);
    }
    checkFiniteRows(contexts, d, "contexts");
    return contexts.length / d;
  }

  greedyMany(cell: string, contexts: Float64Array): GreedySelection {
    checkCellId(cell);
    const count = this.contextRows(contexts);
    const scores = new Float64Array(count * this.arms.length);
    const armIndices = new Int32Array(count);
    this.settle();
    const index = this.registry.find(cell);
    if (index === undefined) this.scoreFreshCellMany(contexts, count, scores, armIndices);
    else this.scoreCellMany(index, contexts, count, scores, armIndices);
    return { armIndices, scores };
  }

  expectedRewardsMany(cell: string, contexts: Float64Array): Float64Array {
    checkCellId(cell);
    const count = this.contextRows(contexts);
    const d = this.dimension;
    const k = this.arms.length;
    const out = new Float64Array(count * k);
    this.settle();
    const index = this.registry.find(cell) ?? null;
    for (let a = 0; a < k; a++) {
      const theta = this.modelTheta(index, a);
      for (let c = 0; c < count; c++) {
        let sum = 0;
        for (let j = 0; j < d; j++) sum += theta[j]! * contexts[c * d + j]!;
        out[c * k + a] = sum;
      }
    }
    return out;
  }

  async clone(): Promise<LinUCBEngine> {
    this.settle();
    const copy = await this.copy();
    // What the subclasses' copy does not carry: Σr² per model and the last shrinkage estimate.
    copy.rewardSquares = Float64Array.from(this.rewardSquares);
    copy.shrinkageEstimate = this.shrinkageEstimate;
    return copy;
  }

  selectMany(cell: string, contexts: Float64Array): BatchSelection {
    checkCellId(cell);
    const count = this.contextRows(contexts);
    const k = this.arms.length;
    const scores = new Float64Array(count * k);
    const armIndices = new Int32Array(count);
    const propensities = new Float64Array(count).fill(1);
    this.settle();
    this.scoreCellMany(this.cellFor(cell), contexts, count, scores, armIndices);
    if (this.options.exploration !== "ucb") {
      for (let c = 0; c < count; c++) {
        const choice = chooseArm(scores, this.options.exploration, this.random, this.probabilities, c * k);
        armIndices[c] = choice.armIndex;
        propensities[c] = choice.propensity;
      }
    }
    return { armIndices, propensities, scores };
  }

  // ── learning ────────────────────────────────────────────────────────────────────────────────

  update(cell: string, arm: string, context: ArrayLike<number>, reward: number): void {
    // The common case first: a known cell and arm go straight to the by-index path, so a
    // per-event update by id costs two property lookups more than updateAt; new cells, unknown
    // arms and ids of any other type take the checked path below, which throws the precise error.
    const cellIndex = typeof cell === "string" ? this.registry.indexOf(cell) : undefined;
    const armIndex = typeof arm === "string" ? this.armIndexByKey[arm] : undefined;
    if (cellIndex !== undefined && armIndex !== undefined) this.updateIndexed(cellIndex, armIndex, context, reward);
    else this.updateChecked(cell, arm, context, reward);
  }

  /**
   * `update` of a new cell, or of ids that fail their checks — kept out of `update` so that the
   * common path stays small enough for V8 to inline into the caller's loop.
   */
  private updateChecked(cell: string, arm: string, context: ArrayLike<number>, reward: number): void {
    checkCellId(cell);
    const resolvedArm = resolveArm(arm, this.armIndexById);
    if (typeof reward !== "number" || reward - reward !== 0) checkReward(reward);
    this.stageContext(context);
    this.settle();
    const cellCount = this.registry.size;
    const model = this.cellFor(cell) * this.arms.length + resolvedArm;
    if (!this.updateStaged(model, reward)) this.refuseOverflow(cellCount, cell, resolvedArm);
    this.trackReward(model, reward);
  }

  /** updateAt's work once the indices are known to be valid. */
  private updateIndexed(cellIndex: number, armIndex: number, context: ArrayLike<number>, reward: number): void {
    if (typeof reward !== "number" || reward - reward !== 0) checkReward(reward);
    this.stageContext(context);
    if (this.pendingFinalize) this.settle();
    const model = cellIndex * this.arms.length + armIndex;
    if (!this.updateStaged(model, reward))
      this.refuseOverflow(this.registry.size, this.registry.idAt(cellIndex), armIndex);
    this.trackReward(model, reward);
  }

  /** Drops a cell the refused update created and throws NON_FINITE: the state is as before. */
  private refuseOverflow(cellCount: number, cell: string, armIndex: number): never {
    this.registry.truncate(cellCount);
    this.truncateModels(cellCount);
    const arm = this.arms[armIndex]!;
    throw new LinUCBError(
      "NON_FINITE",
      `the update of cell ${JSON.stringify(cell)} arm ${JSON.stringify(arm)} overflows f64 (a model value would be ` +
        `NaN or ±Infinity); the model is unchanged — check the scale of the context and reward`,
      { cell, arm },
    );
  }

  updateAt(cellIndex: number, armIndex: number, context: ArrayLike<number>, reward: number): void {
    this.checkCellIndex(cellIndex);
    this.checkArmIndex(armIndex);
    this.updateIndexed(cellIndex, armIndex, context, reward);
  }

  updateMany(batch: EventBatch): void {
    const resolved = this.resolve(batch);
    this.settle();
    this.applyBatch(resolved, () => {
      this.updateRows(resolved);
      this.trackRewards(resolved.cellIndices, resolved.armIndices, resolved.rewards, resolved.length);
    });
  }

  /**
   * Creates the batch's new cells and applies it, whole or not at all. Rows below 2¹²⁸ cannot
   * overflow an ordinary engine's models (./magnitude.ts), so they run directly; otherwise the batch
   * runs on a saved copy of the state, put back if a row overflows.
   */
  private applyBatch(resolved: ResolvedBatch, apply: () => void): void {
    const run = (): void => {
      this.applyNewCells(resolved);
      apply();
    };
    if (resolved.moderate && !this.largeState) {
      run();
      return;
    }
    this.atomically(run);
    this.largeState = true;
  }

  reset(): void {
    this.resetModels();
    this.rewardSquares.fill(0);
    this.pendingFinalize = false;
  }

  accumulate(batch: EventBatch): void {
    this.requireStatistics("accumulate()");
    const resolved = this.resolve(batch);
    this.applyBatch(resolved, () => {
      this.accumulateRows(resolved);
      this.trackRewards(resolved.cellIndices, resolved.armIndices, resolved.rewards, resolved.length);
    });
    if (resolved.length > 0) this.pendingFinalize = true;
  }

  /**
   * Refits the models accumulated into. All or nothing: when one cannot be fitted the rows
   * accumulated since the last finalize are dropped and every model stays as it was.
   */
  finalize(): void {
    this.requireStatistics("finalize()");
    try {
      this.finalizeMarked();
    } finally {
      this.pendingFinalize = false;
    }
  }

  refit(batch: EventBatch): void {
    this.requireStatistics("refit()");
    const resolved = this.resolve(batch);
    this.atomically(() => {
      this.applyNewCells(resolved);
      this.reset();
      this.accumulateRows(resolved);
      this.trackRewards(resolved.cellIndices, resolved.armIndices, resolved.rewards, resolved.length);
      this.finalize();
      this.refineRefit(resolved);
    });
  }

  /** Runs `change`; when it throws, cells, models, priors and pending work are put back as they were. */
  private atomically(change: () => void): void {
    const cellCount = this.registry.size;
    const pending = this.pendingFinalize;
    const saved = this.saveModels();
    const rewardSquares = Float64Array.from(this.rewardSquares);
    const shrinkage = this.saveShrinkage();
    try {
      change();
    } catch (error) {
      this.registry.truncate(cellCount);
      this.restoreModels(saved, cellCount);
      this.rewardSquares = rewardSquares;
      this.restoreShrinkage(shrinkage);
      this.pendingFinalize = pending;
      throw error;
    }
  }

  // ── statistics ──────────────────────────────────────────────────────────────────────────────

  exportStatistics(cells?: readonly string[]): LinUCBStatistics {
    this.requireStatistics("exportStatistics()");
    const ids = cells === undefined ? this.registry.list() : [...cells];
    const indices = ids.map((id, i) => {
      checkCellId(id, `cells[${i}]`);
      const index = this.registry.find(id);
      if (index === undefined)
        throw new LinUCBError("UNKNOWN_CELL", `\`cells[${i}]\` ${describeValue(id)} is not a cell of this engine`, {
          cell: id,
        });
      return index;
    });
    const d = this.dimension;
    const k = this.arms.length;
    const models = ids.length * k;
    const stats = {
      dimension: d,
      arms: this.arms,
      discount: this.options.discount,
      cells: ids,
      xx: new Float64Array(models * packedLength(d)),
      xr: new Float64Array(models * d),
      counts: new Float64Array(models),
      priorWeights: new Float64Array(models),
      yy: new Float64Array(models),
    };
    const yy = this.rewardSquaresFor(this.registry.size * k);
    indices.forEach((cell, c) => {
      for (let a = 0; a < k; a++) {
        this.readStatistics(cell * k + a, { ...stats, model: c * k + a });
        stats.yy[c * k + a] = yy[cell * k + a]!;
      }
    });
    return stats;
  }

  mergeStatistics(stats: LinUCBStatistics): void {
    this.requireStatistics("mergeStatistics()");
    checkStatistics(stats, this.dimension, this.arms, this.options.discount);
    if (!ordinaryStatistics(stats.xx, stats.xr)) this.largeState = true;
    const k = this.arms.length;
    const d = this.dimension;
    // Work on a copy of the current statistics of the cells involved, so that a refused merge
    // (a discounted model with rows on both sides) is found before anything changes.
    const known = stats.cells.filter((cell) => this.registry.find(cell) !== undefined);
    const current = known.length > 0 ? this.exportStatistics(known) : null;
    const position = new Map(known.map((cell, i) => [cell, i]));
    const merged = stats.cells.map((cell, c) => {
      const slots: ModelStatisticsSlot[] = [];
      for (let a = 0; a < k; a++) {
        const p = position.get(cell);
        const target: ModelStatisticsSlot =
          p === undefined
            ? {
                xx: new Float64Array(packedLength(d)),
                xr: new Float64Array(d),
                counts: new Float64Array(1),
                priorWeights: new Float64Array([1]),
                model: 0,
              }
            : {
                xx: current!.xx,
                xr: current!.xr,
                counts: current!.counts,
                priorWeights: current!.priorWeights,
                model: p * k + a,
              };
        mergeModelStatistics(target, { ...stats, model: c * k + a }, d, this.options.discount, cell, this.arms[a]!);
        slots.push(target);
      }
      return slots;
    });
    this.settle();
    this.atomically(() => {
      const fresh = stats.cells.filter((cell) => this.registry.find(cell) === undefined);
      if (fresh.length > 0) {
        this.growCells(this.registry.size + fresh.length);
        for (const cell of fresh) this.registry.add(cell);
      }
      const yy = this.rewardSquaresFor(this.registry.size * k);
      stats.cells.forEach((cell, c) => {
        const index = this.registry.find(cell)!;
        for (let a = 0; a < k; a++) {
          this.writeStatistics(index * k + a, merged[c]![a]!);
          // Σr² adds like the other sums; unknown (NaN) when the statistics do not carry it.
          if (stats.counts[c * k + a]! > 0)
            yy[index * k + a] = yy[index * k + a]! + (stats.yy?.[c * k + a] ?? Number.NaN);
        }
      });
      this.finalize();
    });
  }

  /** @internal After a restore: Σr² of models with rows is unknown (snapshots do not carry it). */
  protected forgetRewardSquares(): void {
    this.rewardSquares = new Float64Array(this.registry.size * this.arms.length).fill(Number.NaN);
  }

  // ── inspection and persistence ──────────────────────────────────────────────────────────────

  priorMean(arm: string): Float64Array {
    return Float64Array.from(this.effectivePrior(resolveArm(arm, this.armIndexById)));
  }

  model(cell: string, arm: string): ModelState {
    checkCellId(cell);
    const armIndex = resolveArm(arm, this.armIndexById);
    const index = this.registry.find(cell);
    if (index === undefined)
      throw new LinUCBError("UNKNOWN_CELL", `\`cell\` ${describeValue(cell)} is not a cell of this engine`, { cell });
    this.settle();
    const record = this.readModel(index * this.arms.length + armIndex);
    const covariance = unpackSymmetric(record.inverse, 0, this.dimension);
    return { theta: record.theta, covariance, b: record.b, count: record.count, priorWeight: record.priorWeight };
  }

  snapshot(): Uint8Array {
    this.settle();
    const k = this.arms.length;
    return encodeSnapshot({
      options: this.options,
      cells: this.registry.list(),
      randomState: this.random.getState(),
      effectivePriors: this.arms.map((_, arm) => this.effectivePrior(arm)),
      strength: this.strength,
      readModel: (cell, arm) => this.readModel(cell * k + arm),
    });
  }
}
