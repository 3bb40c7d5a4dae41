/**
 * The WebAssembly-backed LinUCB engine: `createLinUCB` and `restoreLinUCB`. This file maps cell and
 * arm ids to model indices and moves numbers in and out of the kernel's memory; every piece of
 * arithmetic happens in the kernel (assembly/linucb.ts). Contexts of a batch are copied into the
 * kernel's staging area in one `Float64Array.set` per chunk — no per-event objects.
 */
import { EngineBase } from "./engine-base.js";
import { LinUCBError } from "./errors.js";
import { Kernel, resolveBuild, type ConcreteBuild, type MemoryLimit } from "./kernel.js";
import { creationOptions, resolveExploration, resolveOptions } from "./options.js";
import { describeValue } from "../shared/describe-value.js";
import { ordinaryRecord } from "./magnitude.js";
import { decodeSnapshot, type DecodedSnapshot, type ModelRecord } from "./snapshot.js";
import { packUpper, packedLength, unpackUpper, type ModelStatisticsSlot } from "./statistics.js";
import type { EventBatch, Exploration, KernelBuild, LinUCBOptions, ResolvedOptions } from "./types.js";
import { allFinite, copyContext, isModerate, type ResolvedBatch } from "./validate.js";

/** Rows per kernel call at most; also bounds the staging area to about 4 MiB of contexts. */
const maxStageRows = 1024;
const stageContextBytes = 4 * 1024 * 1024;

/** The engine returned by {@link createLinUCB}. */
export class LinUCB extends EngineBase {
  readonly build: ConcreteBuild;
  private readonly kernel: Kernel;
  private modelCount = 0;
  /** Models accumulated into since the last finalize: a flag per model and their list. */
  private marked = new Uint8Array(0);
  private markedList: number[] = [];
  /**
   * Each marked model's record as it was before it was first marked (after the last finalize), so
   * that a finalize that fails can put every model back: finalize is all or nothing.
   */
  private backups = new Map<number, Float64Array>();
  /** Off while a refit runs: it saves every model first, so per-model backups would be waste. */
  private backupOnMark = true;
  /**
   * Whether any statistics (or the priors) changed since the pooled priors were last fitted. A
   * finalize with pooling refits every model, so it is skipped when nothing changed: recomputing
   * from the same statistics would give the same bits.
   */
  private poolStale = true;

  /** @internal Use {@link createLinUCB}. */
  constructor(options: ResolvedOptions, kernel: Kernel) {
    super(options);
    this.kernel = kernel;
    this.build = kernel.build;
    const dp = kernel.paddedDimension;
    options.priorMeans.forEach((mean, arm) => {
      kernel.basePriorsView.set(mean, arm * dp);
      kernel.priorsView.set(mean, arm * dp);
    });
  }

  protected effectivePrior(arm: number): Float64Array {
    const at = arm * this.kernel.paddedDimension;
    return this.kernel.priorsView.slice(at, at + this.dimension);
  }

  private setEffectivePrior(arm: number, mean: Float64Array): void {
    this.kernel.priorsView.set(mean, arm * this.kernel.paddedDimension);
  }

  /** Bytes of linear memory each (cell, arm) model occupies (hot part plus statistics if kept). */
  get bytesPerModel(): number {
    return this.kernel.recordBytes;
  }

  /** Bytes of linear memory the engine holds now. */
  get memoryBytes(): number {
    return this.kernel.memoryBytes;
  }

  protected growCells(cellCount: number): void {
    const models = cellCount * this.arms.length;
    if (models <= this.modelCount) return;
    this.kernel.ensureModels(models);
    if (this.marked.length < models) {
      const grown = new Uint8Array(Math.max(models, this.marked.length * 2));
      grown.set(this.marked);
      this.marked = grown;
    }
    this.kernel.initModels(this.modelCount, models - this.modelCount);
    this.modelCount = models;
  }

  /** Whether the staged context has a value of 2¹²⁸ or more (its update then checks the statistics). */
  private stagedLarge = false;

  /**
   * Validates and copies one context into the kernel's staging row in a single pass (the per-event
   * hot path); anything but a finite Float64Array of the right length goes through the general
   * check, which throws the precise error.
   */
  protected stageContext(context: unknown): void {
    this.stagedLarge = !copyContext(context, this.dimension, this.kernel.contextsView, 0);
  }

  protected scoreStaged(cell: number, out: Float64Array): number {
    const kernel = this.kernel;
    const best = kernel.scoreStaged(cell);
    const scores = kernel.scoresView;
    for (let a = 0; a < out.length; a++) out[a] = scores[a]!;
    return best;
  }

  protected scoreCellMany(
    cell: number,
    contexts: Float64Array,
    count: number,
    scores: Float64Array,
    best: Int32Array,
  ): void {
    const kernel = this.kernel;
    const d = this.dimension;
    const k = this.arms.length;
    const rows = kernel.stageRows;
    for (let start = 0; start < count; start += rows) {
      const n = Math.min(rows, count - start);
      kernel.contextsView.set(contexts.subarray(start * d, (start + n) * d));
      kernel.scoreCellBatch(cell, n);
      scores.set(kernel.scoresView.subarray(0, n * k), start * k);
      best.set(kernel.armsOutView.subarray(0, n), start);
    }
  }

  /**
   * Scores in a scratch cell just past the last one: its models are set to the priors in effect by
   * the same kernel call that sets up a new cell (initModels), and it is not registered, so the
   * engine's cells and models are unchanged (a later growCells sets that slot up afresh).
   */
  protected scoreFreshCellMany(contexts: Float64Array, count: number, scores: Float64Array, best: Int32Array): void {
    const scratch = this.registry.size;
    const k = this.arms.length;
    this.kernel.ensureModels((scratch + 1) * k);
    this.kernel.initModels(scratch * k, k);
    this.scoreCellMany(scratch, contexts, count, scores, best);
  }

  protected modelTheta(cell: number | null, arm: number): ArrayLike<number> {
    // A fresh cell's θ is its arm's prior in effect, copied as it is (initModels).
    if (cell === null) return this.effectivePrior(arm);
    const at = this.kernel.recordStart(cell * this.arms.length + arm) + this.kernel.record.theta;
    return this.kernel.f64.subarray(at, at + this.dimension);
  }

  protected copy(): Promise<LinUCB> {
    return restoreLinUCB(this.snapshot(), { build: this.build });
  }

  protected updateStaged(model: number, reward: number): boolean {
    this.poolStale = true;
    const guard = this.stagedLarge || !isModerate(reward);
    const applied = this.kernel.updateStaged(model, reward, guard);
    if (applied && guard) this.largeState = true;
    return applied;
  }

  protected truncateModels(cellCount: number): void {
    this.modelCount = Math.min(this.modelCount, cellCount * this.arms.length);
  }

  /** NON_FINITE for batch row `row`, whose step (update or sums) would overflow f64. */
  private rowOverflow(batch: ResolvedBatch, row: number, what: string): LinUCBError {
    const cell = batch.cellIndices[row]!;
    const arm = this.arms[batch.armIndices[row]!];
    const id = cell < this.registry.size ? JSON.stringify(this.registry.idAt(cell)) : `#${cell}`;
    return new LinUCBError(
      "NON_FINITE",
      `batch row ${row}: the ${what} of cell ${id} arm ${JSON.stringify(arm)} overflows f64 (a value would be NaN ` +
        `or ±Infinity); that row and the rest are not applied and the previous state is kept — check the scale of ` +
        `the contexts and rewards`,
      { row },
    );
  }

  /** Copies rows [start, start + n) of a batch into staging. */
  private stage(batch: ResolvedBatch, start: number, n: number): void {
    const kernel = this.kernel;
    const d = this.dimension;
    const k = this.arms.length;
    kernel.contextsView.set(batch.contexts.subarray(start * d, (start + n) * d));
    kernel.rewardsView.set(batch.rewards.subarray(start, start + n));
    const models = kernel.modelsView;
    for (let i = 0; i < n; i++) models[i] = batch.cellIndices[start + i]! * k + batch.armIndices[start + i]!;
  }

  protected updateRows(batch: ResolvedBatch): void {
    this.poolStale = true;
    const rows = this.kernel.stageRows;
    for (let start = 0; start < batch.length; start += rows) {
      const n = Math.min(rows, batch.length - start);
      this.stage(batch, start, n);
      const applied = this.kernel.updateBatch(n, !batch.moderate);
      if (applied < n) throw this.rowOverflow(batch, start + applied, "update");
    }
  }

  protected accumulateRows(batch: ResolvedBatch): void {
    this.poolStale = true;
    const rows = this.kernel.stageRows;
    const k = this.arms.length;
    // Marked first: marking keeps each model's record as it was, for a finalize that fails.
    for (let i = 0; i < batch.length; i++) this.mark(batch.cellIndices[i]! * k + batch.armIndices[i]!);
    for (let start = 0; start < batch.length; start += rows) {
      const n = Math.min(rows, batch.length - start);
      this.stage(batch, start, n);
      const applied = this.kernel.accumulateBatch(n, !batch.moderate);
      if (applied < n) throw this.rowOverflow(batch, start + applied, "statistics");
    }
  }

  private mark(model: number): void {
    if (this.marked[model] === 0) {
      this.marked[model] = 1;
      this.markedList.push(model);
      if (this.backupOnMark) this.backups.set(model, this.copyRecord(model));
    }
  }

  override refit(batch: EventBatch): void {
    this.backupOnMark = false;
    try {
      super.refit(batch);
    } finally {
      this.backupOnMark = true;
    }
  }

  /**
   * Redoes every model whose Cholesky refit was badly conditioned (estimate above
   * {@link replayCondition}) by replaying its rows through the online update, from its prior:
   * forming A = wλI + Σxxᵀ from rounded sums loses about cond(A)·ε, the online path does not (at
   * cond 4e8 the Cholesky fit was 500–1,000× less accurate). The statistics come out the same,
   * since the online step adds the rows to them in the same order with the same operations.
   */
  protected override refineRefit(batch: ResolvedBatch): void {
    const k = this.arms.length;
    const redo = new Uint8Array(this.modelCount);
    const seen = new Uint8Array(this.modelCount);
    const rows: number[] = [];
    for (let i = 0; i < batch.length; i++) {
      const model = batch.cellIndices[i]! * k + batch.armIndices[i]!;
      if (seen[model] === 0) {
        seen[model] = 1;
        redo[model] = this.kernel.conditionOf(model) > replayCondition ? 1 : 0;
      }
      if (redo[model] === 1) rows.push(i);
    }
    if (rows.length === 0) return;
    redo.forEach((flag, model) => flag === 1 && this.kernel.initModels(model, 1));
    // The replay leaves the statistics as they were: the pooled priors stay current.
    const poolStale = this.poolStale;
    this.updateRows(subBatch(batch, rows, this.dimension));
    this.poolStale = poolStale;
  }

  /** A copy of model m's whole record. */
  private copyRecord(model: number): Float64Array {
    const from = this.kernel.recordStart(model);
    return this.kernel.f64.slice(from, from + this.kernel.record.length);
  }

  /** Forgets the marks and their backups (after a finalize that succeeded, or a reset). */
  private clearMarks(): void {
    for (const model of this.markedList) this.marked[model] = 0;
    this.markedList = [];
    this.backups.clear();
  }

  /** Puts every marked model back as it was before it was marked, and forgets the marks. */
  private rollbackMarks(): void {
    const f64 = this.kernel.f64;
    for (const [model, record] of this.backups) f64.set(record, this.kernel.recordStart(model));
    this.clearMarks();
  }

  private describeModels(models: readonly number[]): string {
    const k = this.arms.length;
    const where = models.slice(0, 5).map((m) => {
      return `cell ${JSON.stringify(this.registry.idAt(Math.floor(m / k)))} arm ${JSON.stringify(this.arms[m % k])}`;
    });
    return `${models.length} model(s) (${where.join("; ")})`;
  }

  /**
   * Refits every arm's pooled prior from the statistics of all cells and marks every model, since
   * each one's prior moved. All arms are pooled or none: on a failure the old priors come back.
   */
  private pool(): void {
    const k = this.arms.length;
    for (let arm = 0; arm < k; arm++) {
      const status = this.kernel.poolArm(arm, this.registry.size, this.options.poolingRidge);
      if (status !== 0 || !allFinite(this.effectivePrior(arm))) {
        const name = JSON.stringify(this.arms[arm]);
        const details = { arm: this.arms[arm] };
        throw status !== 0
          ? new LinUCBError(
              "NOT_POSITIVE_DEFINITE",
              `the pooled fit of arm ${name} is not positive definite to working precision; ${keptMessage}`,
              details,
            )
          : new LinUCBError("NON_FINITE", `the pooled fit of arm ${name} overflows f64; ${keptMessage}`, details);
      }
    }
    for (let model = 0; model < this.modelCount; model++) this.mark(model);
  }

  /**
   * Refits every marked model (and first the pooled priors). All or nothing: on any failure every
   * marked model and the priors are put back as they were before the rows were accumulated.
   */
  protected finalizeMarked(): void {
    const priors = this.options.pooling ? this.arms.map((_, arm) => this.effectivePrior(arm)) : [];
    const shrinkage = this.saveShrinkage();
    try {
      if (this.options.pooling && this.poolStale) {
        this.pool();
        this.estimateStrength();
        this.poolStale = false;
      }
      this.finalizeEach();
      this.clearMarks();
    } catch (error) {
      priors.forEach((mean, arm) => this.setEffectivePrior(arm, mean));
      this.restoreShrinkage(shrinkage);
      if (this.options.pooling) this.poolStale = true;
      this.rollbackMarks();
      throw error;
    }
  }

  private finalizeEach(): void {
    const failed: number[] = [];
    const overflowed: number[] = [];
    for (const model of this.markedList) {
      const status = this.kernel.finalizeModel(model);
      if (status === statusNotPositiveDefinite) failed.push(model);
      else if (status !== 0) overflowed.push(model);
    }
    if (failed.length > 0) {
      throw new LinUCBError(
        "NOT_POSITIVE_DEFINITE",
        `A = wλI + Σxxᵀ is not positive definite to working precision for ${this.describeModels(failed)}; ` +
          `${keptMessage}`,
        { models: failed },
      );
    }
    if (overflowed.length > 0) {
      const message = `the fit overflows f64 for ${this.describeModels(overflowed)}; ${keptMessage}`;
      throw new LinUCBError("NON_FINITE", message, { models: overflowed });
    }
  }

  protected applyStrength(lambda: number): void {
    this.kernel.setLambda(lambda);
  }

  protected resetModels(): void {
    this.poolStale = true;
    const kernel = this.kernel;
    kernel.priorsView.set(kernel.basePriorsView);
    kernel.initModels(0, this.modelCount);
    this.clearMarks();
  }

  protected saveModels(): SavedModels {
    const kernel = this.kernel;
    const from = kernel.recordStart(0);
    return {
      records: kernel.f64.slice(from, from + this.modelCount * kernel.record.length),
      priors: this.arms.map((_, arm) => this.effectivePrior(arm)),
      marked: this.markedList.slice(),
      backups: new Map(this.backups),
      poolStale: this.poolStale,
    };
  }

  protected restoreModels(saved: unknown, cellCount: number): void {
    const { records, priors, marked, backups, poolStale } = saved as SavedModels;
    this.clearMarks();
    const models = cellCount * this.arms.length;
    this.kernel.f64.set(records.subarray(0, models * this.kernel.record.length), this.kernel.recordStart(0));
    priors.forEach((mean, arm) => this.setEffectivePrior(arm, mean));
    this.modelCount = models;
    for (const model of marked) {
      this.marked[model] = 1;
      this.markedList.push(model);
    }
    this.backups = backups;
    this.poolStale = poolStale;
  }

  /** Reads the row-major upper triangle the kernel left in its exchange matrix, packed. */
  private readExchange(): Float64Array {
    const packed = new Float64Array(packedLength(this.dimension));
    packUpper(this.kernel.exchangeView, 0, this.kernel.paddedDimension, this.dimension, packed, 0);
    return packed;
  }

  /** Writes a packed upper triangle into the kernel's exchange matrix as a row-major matrix. */
  private writeExchange(packed: Float64Array, offset: number): void {
    const kernel = this.kernel;
    unpackUpper(packed, offset, this.dimension, kernel.exchangeView, 0, kernel.paddedDimension);
  }

  protected readModel(model: number): ModelRecord {
    const kernel = this.kernel;
    const d = this.dimension;
    kernel.inverseToExchange(model);
    const inverse = this.readExchange();
    const f64 = kernel.f64;
    const { theta, b, header, sxr } = kernel.record;
    const base = kernel.recordStart(model);
    const record: ModelRecord = {
      inverse,
      theta: f64.slice(base + theta, base + theta + d),
      b: f64.slice(base + b, base + b + d),
      count: f64[base + header]!,
      priorWeight: f64[base + header + 1]!,
    };
    if (!this.options.statistics) return record;
    kernel.statisticsToExchange(model);
    const xx = this.readExchange();
    return { ...record, xx, xr: f64.slice(base + sxr, base + sxr + d) };
  }

  /** Overwrites one model's full state (restore). */
  private writeModel(model: number, record: ModelRecord): void {
    const kernel = this.kernel;
    kernel.initModels(model, 1);
    this.writeExchange(record.inverse, 0);
    kernel.inverseFromExchange(model);
    const f64 = kernel.f64;
    const { theta, b, header, sxr } = kernel.record;
    const base = kernel.recordStart(model);
    f64.set(record.theta, base + theta);
    f64.set(record.b, base + b);
    f64[base + header] = record.count;
    f64[base + header + 1] = record.priorWeight;
    if (this.options.statistics) {
      this.writeExchange(record.xx!, 0);
      kernel.statisticsFromExchange(model);
      f64.set(record.xr!, base + sxr);
    }
  }

  protected readStatistics(model: number, slot: ModelStatisticsSlot): void {
    const kernel = this.kernel;
    const d = this.dimension;
    kernel.statisticsToExchange(model);
    slot.xx.set(this.readExchange(), slot.model * packedLength(d));
    const f64 = kernel.f64;
    const { header, sxr } = kernel.record;
    const base = kernel.recordStart(model);
    slot.xr.set(f64.subarray(base + sxr, base + sxr + d), slot.model * d);
    slot.counts[slot.model] = f64[base + header]!;
    slot.priorWeights[slot.model] = f64[base + header + 1]!;
  }

  protected writeStatistics(model: number, slot: ModelStatisticsSlot): void {
    this.mark(model);
    const kernel = this.kernel;
    const d = this.dimension;
    this.writeExchange(slot.xx, slot.model * packedLength(d));
    kernel.statisticsFromExchange(model);
    const f64 = kernel.f64;
    const { header, sxr } = kernel.record;
    const base = kernel.recordStart(model);
    f64.set(slot.xr.subarray(slot.model * d, slot.model * d + d), base + sxr);
    f64[base + header] = slot.counts[slot.model]!;
    f64[base + header + 1] = slot.priorWeights[slot.model]!;
    this.pendingFinalize = true;
    this.poolStale = true;
  }

  /** @internal Used by {@link restoreLinUCB}: priors in effect, cells, models, random stream. */
  restoreFrom(decoded: DecodedSnapshot): void {
    decoded.effectivePriors.forEach((mean, arm) => this.setEffectivePrior(arm, mean));
    this.addCells(decoded.cells);
    const k = this.arms.length;
    for (let c = 0; c < decoded.cells.length; c++) {
      for (let a = 0; a < k; a++) {
        const record = decoded.record(c, a);
        if (!ordinaryRecord(record)) this.largeState = true;
        this.writeModel(c * k + a, record);
        // A snapshot of an older version may hold a prior weight below today's floor.
        this.kernel.refreshPriorOf(c * k + a);
      }
    }
    this.random.setState(decoded.randomState);
    this.forgetRewardSquares();
  }
}

/**
 * Conditioning estimate (the Cholesky pivots' squared ratio, a lower bound on cond(A)) above which
 * a refit redoes the model by the online path: there the batch fit's error, about cond·ε, starts
 * to exceed the online path's by more than a few times.
 */
const replayCondition = 1e6;

/** The rows `rows` of a resolved batch, as a batch of their own (cells already exist). */
function subBatch(batch: ResolvedBatch, rows: readonly number[], d: number): ResolvedBatch {
  const contexts = new Float64Array(rows.length * d);
  rows.forEach((row, i) => contexts.set(batch.contexts.subarray(row * d, row * d + d), i * d));
  return {
    length: rows.length,
    cellIndices: Int32Array.from(rows, (row) => batch.cellIndices[row]!),
    armIndices: Int32Array.from(rows, (row) => batch.armIndices[row]!),
    contexts,
    rewards: Float64Array.from(rows, (row) => batch.rewards[row]!),
    newCells: [],
    moderate: batch.moderate,
  };
}

/** Status codes of the kernel (assembly/linucb.ts). */
const statusNotPositiveDefinite = 1;

/** What a failed finalize, refit or merge says about the state it leaves. */
const keptMessage =
  "the rows accumulated since the last finalize are dropped and the previous state is kept — check the contexts' scale";

/** What {@link LinUCB.saveModels} keeps. */
interface SavedModels {
  readonly records: Float64Array;
  readonly priors: readonly Float64Array[];
  readonly marked: readonly number[];
  readonly backups: Map<number, Float64Array>;
  readonly poolStale: boolean;
}

function stageRowsFor(dimension: number): number {
  return Math.max(1, Math.min(maxStageRows, Math.floor(stageContextBytes / (8 * dimension))));
}

async function instantiate(options: ResolvedOptions, limit?: MemoryLimit): Promise<LinUCB> {
  const build = resolveBuild(options.build);
  const kernel = await Kernel.create(
    build,
    {
      dimension: options.dimension,
      arms: options.arms.length,
      stageRows: stageRowsFor(options.dimension),
      statistics: options.statistics,
      alpha: options.alpha,
      lambda: options.lambda,
      discount: options.discount,
    },
    limit,
  );
  return new LinUCB(options, kernel);
}

/**
 * Creates a LinUCB engine backed by the WebAssembly kernel. Options are validated (TypeError /
 * RangeError naming the option and the value) and the kernel build is chosen ('auto' picks relaxed
 * SIMD, then SIMD, then scalar, by what the host supports).
 */
export async function createLinUCB(options: LinUCBOptions): Promise<LinUCB> {
  const resolved = resolveOptions(options);
  const engine = await instantiate(resolved);
  if (options.cells !== undefined) engine.addCells(options.cells);
  return engine;
}

/** Options of {@link restoreLinUCB}. */
export interface RestoreOptions {
  /** Kernel build to run the restored engine on. The state does not depend on it. @default 'auto' */
  readonly build?: KernelBuild;
  /**
   * Serve the restored models under another exploration setting than the one in the snapshot (a
   * policy trained with `'ucb'` served with `{ epsilon: 0.05 }`, say, so that its logs carry
   * propensities below 1 and the next policy can be evaluated on them). The models, cells and the
   * random stream are restored as they were. @default the snapshot's own setting
   */
  readonly exploration?: Exploration;
  /**
   * Most bytes of WebAssembly memory the restored engine may take. Snapshots are often untrusted
   * bytes: a small file must not make restore allocate gigabytes (a d = 4096 engine needs 0.5 GiB of
   * scratch even without cells). Refused with CAPACITY_EXCEEDED before anything is allocated.
   * @default 64 MiB + 16 × the snapshot's length (an engine takes at most about 8× its snapshot)
   */
  readonly maxMemoryBytes?: number;
}

/** The default of {@link RestoreOptions.maxMemoryBytes} for a snapshot of `length` bytes. */
function defaultRestoreMemoryBytes(length: number): number {
  return 64 * 2 ** 20 + 16 * length;
}

/**
 * Rebuilds an engine from `snapshot()` bytes: same options, cells, models (bit for bit) and random
 * stream. Throws LinUCBError SNAPSHOT_FOREIGN / SNAPSHOT_TRUNCATED / SNAPSHOT_CORRUPTED /
 * SNAPSHOT_VERSION for bytes it cannot trust.
 */
export async function restoreLinUCB(bytes: Uint8Array, options: RestoreOptions = {}): Promise<LinUCB> {
  const decoded = decodeSnapshot(bytes);
  if (typeof options !== "object" || options === null)
    throw new TypeError(`options must be an object; received ${describeValue(options)}`);
  const maxBytes = options.maxMemoryBytes ?? defaultRestoreMemoryBytes(bytes.length);
  if (typeof maxBytes !== "number" || !(maxBytes > 0)) {
    throw new RangeError(`\`options.maxMemoryBytes\` must be a number > 0; received ${describeValue(maxBytes)}`);
  }
  const exploration =
    options.exploration === undefined
      ? decoded.options.exploration
      : resolveExploration(options.exploration, "options.exploration");
  const resolved = resolveOptions({ ...creationOptions(decoded.options), exploration, build: options.build ?? "auto" });
  const engine = await instantiate(resolved, { models: decoded.cells.length * resolved.arms.length, maxBytes });
  engine.restoreFrom(decoded);
  return engine;
}
