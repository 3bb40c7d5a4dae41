/**
 * The one file that touches `WebAssembly`. It compiles each kernel build once per process, picks
 * the build (feature detection or the caller's choice), instantiates one kernel per engine, keeps
 * typed-array views over its memory fresh across `memory.grow`, and refuses capacity past the
 * 4 GiB of one wasm32 instance before any size arithmetic could wrap. The engine sees an instance
 * through the {@link Kernel} facade only: typed views and element offsets, never a byte pointer.
 *
 * No loader library: the ABI is numbers only (i32, usize, f64), so plain `WebAssembly.instantiate`
 * is all it takes (`@assemblyscript/loader` is deprecated since AssemblyScript 0.20).
 */
import { LinUCBError } from "./errors.js";
import { relaxedKernelBase64, scalarKernelBase64, simdKernelBase64 } from "./kernel-wasm.generated.js";
import type { KernelBuild } from "./types.js";

// The few WebAssembly JS-API members this file uses, typed here so that neither this package nor
// its users need the DOM type library (Node's types do not declare WebAssembly).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
type WasmModule = object;
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(
    module: WasmModule,
    imports: Record<string, Record<string, unknown>>,
  ): Promise<{ readonly exports: unknown }>;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** A build that actually runs. */
export type ConcreteBuild = Exclude<KernelBuild, "auto">;

/** The ABI version this TypeScript expects; must equal the kernel's `abiVersion()`. */
export const kernelAbiVersion = 4;

/** Bytes in one wasm page. */
const pageBytes = 65536;
/** wasm32 linear memory limit: 65536 pages = 4 GiB. */
export const maxMemoryBytes = 65536 * pageBytes;

/** The kernel's exports (see assembly/index.ts). Pointers are byte offsets into `memory`. */
interface KernelExports {
  readonly memory: WasmMemory;
  abiVersion(): number;
  configure(
    d: number,
    arms: number,
    stageRows: number,
    statistics: number,
    alpha: number,
    lambda: number,
    gamma: number,
  ): number;
  prepare(): void;
  requiredBytes(models: number): number;
  recordBytes(): number;
  modelsBase(): number;
  exchangePtr(): number;
  priorsPtr(): number;
  basePriorsPtr(): number;
  contextsPtr(): number;
  rewardsPtr(): number;
  modelsPtr(): number;
  armsOutPtr(): number;
  scoresPtr(): number;
  thetaOffset(): number;
  bOffset(): number;
  headerOffset(): number;
  sxxOffset(): number;
  sxrOffset(): number;
  initModels(first: number, count: number): void;
  updateOne(model: number, contextPtr: number, reward: number, guard: number): number;
  updateBatch(count: number, guard: number): number;
  scoreCell(cell: number, contextPtr: number, outPtr: number): number;
  scoreCellBatch(cell: number, count: number): void;
  accumulateBatch(count: number, guard: number): number;
  refreshPriorOf(model: number): number;
  conditionOf(model: number): number;
  finalizeModel(model: number): number;
  inverseToScratch(model: number): number;
  inverseFromScratch(model: number): void;
  statisticsToScratch(model: number): number;
  statisticsFromScratch(model: number): void;
  poolArm(arm: number, cells: number, ridge: number): number;
}

const base64ByBuild: Readonly<Record<ConcreteBuild, string>> = {
  relaxed: relaxedKernelBase64,
  simd: simdKernelBase64,
  scalar: scalarKernelBase64,
};

const bytesCache = new Map<ConcreteBuild, Uint8Array>();
const moduleCache = new Map<ConcreteBuild, Promise<WasmModule>>();
const supportCache = new Map<ConcreteBuild, boolean>();

/** The WebAssembly module of a build, decoded once from its embedded base64. */
export function kernelBytes(build: ConcreteBuild): Uint8Array {
  let bytes = bytesCache.get(build);
  if (bytes === undefined) {
    const binary = atob(base64ByBuild[build]);
    bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    bytesCache.set(build, bytes);
  }
  return bytes;
}

/**
 * Whether this host can run a build. Validating the kernel itself is the exact test: a host
 * without relaxed SIMD (Node 20 without `--experimental-wasm-relaxed-simd`) rejects that module.
 */
export function isBuildSupported(build: ConcreteBuild): boolean {
  const cached = supportCache.get(build);
  if (cached !== undefined) return cached;
  const supported = wasm.validate(kernelBytes(build));
  supportCache.set(build, supported);
  return supported;
}

/** The fastest build the host supports: relaxed SIMD, then SIMD, then scalar. */
export function detectBuild(): ConcreteBuild {
  if (isBuildSupported("relaxed")) return "relaxed";
  if (isBuildSupported("simd")) return "simd";
  return "scalar";
}

/** Resolves 'auto' and refuses a build the host cannot run. */
export function resolveBuild(build: KernelBuild): ConcreteBuild {
  if (build === "auto") return detectBuild();
  if (!isBuildSupported(build)) {
    const hint = build === "relaxed" ? " (Node 20 needs --experimental-wasm-relaxed-simd; Node >= 22 has it)" : "";
    throw new LinUCBError(
      "BUILD_UNSUPPORTED",
      `\`build\` "${build}" is not supported by this WebAssembly engine${hint}`,
      { build },
    );
  }
  return build;
}

function compiledModule(build: ConcreteBuild): Promise<WasmModule> {
  const cached = moduleCache.get(build);
  if (cached !== undefined) return cached;
  const module = wasm.compile(kernelBytes(build));
  moduleCache.set(build, module);
  return module;
}

/** Shape and hyper-parameters a kernel instance is configured with. */
export interface KernelConfig {
  readonly dimension: number;
  readonly arms: number;
  readonly stageRows: number;
  readonly statistics: boolean;
  readonly alpha: number;
  readonly lambda: number;
  readonly discount: number;
}

/** A bound on the memory an instance may take for a number of models (restoring untrusted bytes). */
export interface MemoryLimit {
  readonly models: number;
  readonly maxBytes: number;
}

/** Throws CAPACITY_EXCEEDED, before any memory is grown, when `needed` is past the limit. */
function checkMemoryLimit(needed: number, limit: MemoryLimit): void {
  if (needed <= limit.maxBytes) return;
  throw new LinUCBError(
    "CAPACITY_EXCEEDED",
    `${limit.models} models need ${formatBytes(needed)} of WebAssembly memory, ` +
      `more than the ${formatBytes(limit.maxBytes)} allowed (maxMemoryBytes)`,
    { models: limit.models, bytes: needed, limit: limit.maxBytes },
  );
}

/**
 * Element offsets (Float64Array indices) of the parts of one model record, from the record's start
 * (assembly/layout.ts). The header's first two values are the event count n and the weight w left
 * on the prior.
 */
export interface RecordLayout {
  /** f64 elements per record. */
  readonly length: number;
  /** θ = A⁻¹b (d values, padded to DP). */
  readonly theta: number;
  /** b = wλθ₀ + Σ γ-weighted r·x (d values). */
  readonly b: number;
  /** [n, w, …]: events seen and the weight left on the prior. */
  readonly header: number;
  /** Σ γ-weighted r·x (d values; only when statistics are kept). */
  readonly sxr: number;
}

/** Status a kernel step returns when it applied (assembly/linucb.ts). */
const applied = 0;

/**
 * One configured kernel instance and its memory, as a facade: the engine sees typed views over
 * the regions it reads and writes (staged contexts, rewards, model indices, scores, priors, the
 * exchange matrix, model records) and element offsets into them, and calls operations by model
 * and cell index; byte pointers and the raw exports stay in here.
 *
 * Growth replaces `memory.buffer` and detaches every view over the old one (writes through them
 * are silently dropped), so the views are rebuilt in {@link growTo}: only this class grows the
 * memory (the kernel has no allocator), so no per-call check is needed — but read a view from its
 * getter after {@link ensureModels} instead of keeping an old one.
 */
export class Kernel {
  /** The build running in this instance. */
  readonly build: ConcreteBuild;
  /** Padded dimension DP (d rounded up to a multiple of 4): the row stride of priors and exchange. */
  readonly paddedDimension: number;
  /** Bytes per model record (memory accounting). */
  readonly recordBytes: number;
  /** Where each part of a model record is, in f64 elements from the record's start. */
  readonly record: RecordLayout;
  /** Staging capacity in rows. */
  readonly stageRows: number;

  private readonly exports: KernelExports;
  private config: KernelConfig;
  private capacity = 0;
  /** Byte offsets of the regions (assembly/layout.ts); only this class does byte arithmetic. */
  private readonly pointers: RegionPointers;
  private views: RegionViews = noViews;
  /** The per-event calls' pointers, as plain fields: they sit on the hot path. */
  private readonly contextsPointer: number;
  private readonly contextBytes: number;
  private readonly scoresPointer: number;

  private constructor(build: ConcreteBuild, exports: KernelExports, config: KernelConfig, limit?: MemoryLimit) {
    this.build = build;
    this.exports = exports;
    this.config = config;
    this.stageRows = config.stageRows;
    this.paddedDimension = (config.dimension + 3) & ~3;
    configureExports(exports, config);
    this.recordBytes = exports.recordBytes();
    this.record = {
      length: this.recordBytes / f64Bytes,
      theta: exports.thetaOffset() / f64Bytes,
      b: exports.bOffset() / f64Bytes,
      header: exports.headerOffset() / f64Bytes,
      sxr: exports.sxrOffset() / f64Bytes,
    };
    this.pointers = {
      priors: exports.priorsPtr(),
      basePriors: exports.basePriorsPtr(),
      contexts: exports.contextsPtr(),
      rewards: exports.rewardsPtr(),
      models: exports.modelsPtr(),
      armsOut: exports.armsOutPtr(),
      scores: exports.scoresPtr(),
      exchange: exports.exchangePtr(),
      modelsBase: exports.modelsBase(),
    };
    this.contextsPointer = this.pointers.contexts;
    this.contextBytes = config.dimension * f64Bytes;
    this.scoresPointer = this.pointers.scores;
    if (limit !== undefined) checkMemoryLimit(exports.requiredBytes(limit.models), limit);
    this.growTo(this.pointers.modelsBase);
    this.views = this.buildViews();
    exports.prepare();
  }

  /** Compiles (once per process) and instantiates a kernel of the given build. */
  static async create(build: ConcreteBuild, config: KernelConfig, limit?: MemoryLimit): Promise<Kernel> {
    const module = await compiledModule(build);
    const instance = await wasm.instantiate(module, {
      env: {
        abort(): never {
          throw new Error("linucb kernel aborted (an internal invariant failed)");
        },
      },
    });
    const exports = instance.exports as unknown as KernelExports;
    const abi = exports.abiVersion();
    if (abi !== kernelAbiVersion) {
      throw new LinUCBError(
        "INCOMPATIBLE",
        `kernel ABI version ${abi} does not match the TypeScript side's ${kernelAbiVersion}: rebuild the package`,
        { abi },
      );
    }
    return new Kernel(build, exports, config, limit);
  }

  // ── memory ──────────────────────────────────────────────────────────────────────────────────

  /** Bytes of linear memory the instance holds now. */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /** Bytes of linear memory needed for `models` models. */
  bytesFor(models: number): number {
    return this.exports.requiredBytes(models);
  }

  /**
   * Makes room for `models` models (growing by doubling, capped at 4 GiB). Throws
   * LinUCBError CAPACITY_EXCEEDED, before touching anything, when they cannot fit.
   */
  ensureModels(models: number): void {
    if (models <= this.capacity) return;
    const needed = this.bytesFor(models);
    if (needed > maxMemoryBytes) {
      throw new LinUCBError(
        "CAPACITY_EXCEEDED",
        `${models} models need ${formatBytes(needed)}, more than one WebAssembly instance can hold (4 GiB); ` +
          "shard the cells across several engines",
        { models, bytes: needed, limit: maxMemoryBytes },
      );
    }
    const current = this.memoryBytes;
    const target = Math.min(maxMemoryBytes, Math.max(needed, Math.min(current * 2, this.bytesFor(models * 2))));
    this.growTo(target);
    this.capacity = Math.floor((this.memoryBytes - this.pointers.modelsBase) / this.recordBytes);
  }

  private growTo(bytes: number): void {
    const memory = this.exports.memory;
    const have = memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil((bytes - have) / pageBytes);
    try {
      memory.grow(pages);
      this.views = this.buildViews();
    } catch (error) {
      throw new LinUCBError(
        "CAPACITY_EXCEEDED",
        `could not grow WebAssembly memory to ${formatBytes(have + pages * pageBytes)}: ${(error as Error).message}`,
        { bytes: have + pages * pageBytes },
      );
    }
  }

  /** Views over every region of the current `memory.buffer`. */
  private buildViews(): RegionViews {
    const buffer = this.exports.memory.buffer;
    const { dimension: d, arms: k } = this.config;
    const rows = this.stageRows;
    const dp = this.paddedDimension;
    const p = this.pointers;
    const f64 = (pointer: number, length: number): Float64Array => new Float64Array(buffer, pointer, length);
    const i32 = (pointer: number, length: number): Int32Array => new Int32Array(buffer, pointer, length);
    return {
      f64: new Float64Array(buffer),
      contexts: f64(p.contexts, rows * d),
      rewards: f64(p.rewards, rows),
      models: i32(p.models, rows),
      armsOut: i32(p.armsOut, rows),
      scores: f64(p.scores, rows * k),
      priors: f64(p.priors, k * dp),
      basePriors: f64(p.basePriors, k * dp),
      exchange: f64(p.exchange, dp * dp),
    };
  }

  // ── typed views (read them afresh after ensureModels) ─────────────────────────────────────────

  /** The whole memory as f64: model records, at {@link recordStart} + the {@link record} offsets. */
  get f64(): Float64Array {
    return this.views.f64;
  }

  /** Staged contexts: stageRows × d, row-major, dense (row 0 is the per-event context). */
  get contextsView(): Float64Array {
    return this.views.contexts;
  }

  /** Staged rewards, one per row. */
  get rewardsView(): Float64Array {
    return this.views.rewards;
  }

  /** Staged model index (cell·K + arm) of each row. */
  get modelsView(): Int32Array {
    return this.views.models;
  }

  /** The argmax arm of each context of the last batched score. */
  get armsOutView(): Int32Array {
    return this.views.armsOut;
  }

  /** UCB scores of the last score call: rows × K, row-major (a per-event score fills row 0). */
  get scoresView(): Float64Array {
    return this.views.scores;
  }

  /** Each arm's prior mean in effect, K rows of DP (zero-padded). */
  get priorsView(): Float64Array {
    return this.views.priors;
  }

  /** Each arm's prior mean as configured, K rows of DP (zero-padded). */
  get basePriorsView(): Float64Array {
    return this.views.basePriors;
  }

  /** The exchange matrix: DP × DP, row-major, where one model's A⁻¹ or Σxxᵀ is read or written. */
  get exchangeView(): Float64Array {
    return this.views.exchange;
  }

  /** Element index in {@link f64} of model m's record. */
  recordStart(model: number): number {
    return (this.pointers.modelsBase + model * this.recordBytes) / f64Bytes;
  }

  // ── operations ──────────────────────────────────────────────────────────────────────────────

  /**
   * Sets the ridge λ of the next finalizes and of models initialised from now on (data-chosen
   * shrinkage). `configure` with the same shape places every region where it already is and only
   * replaces the hyper-parameters, so no ABI change is needed; the layout is checked to be sure.
   */
  setLambda(lambda: number): void {
    const config = { ...this.config, lambda };
    const base = configureExports(this.exports, config);
    if (base !== this.pointers.modelsBase) {
      throw new LinUCBError(
        "INCOMPATIBLE",
        `kernel layout moved on reconfiguration (${base} ≠ ${this.pointers.modelsBase})`,
      );
    }
    this.config = config;
  }

  /** Sets `count` models from `first` on to their arm's prior in effect. */
  initModels(first: number, count: number): void {
    this.exports.initModels(first, count);
  }

  /**
   * One online update of `model` with the context staged in `row` (default 0). `guard`: check the
   * step for overflow first (values of 2¹²⁸ or more). Returns false, the model unchanged, when the
   * step would overflow f64.
   */
  updateStaged(model: number, reward: number, guard: boolean, row = 0): boolean {
    return this.exports.updateOne(model, this.rowPointer(row), reward, guard ? 1 : 0) === applied;
  }

  /** Scores every arm of `cell` for the context staged in `row` into row 0 of the scores; returns the argmax. */
  scoreStaged(cell: number, row = 0): number {
    return this.exports.scoreCell(cell, this.rowPointer(row), this.scoresPointer);
  }

  /** Byte offset of staged context `row`. */
  private rowPointer(row: number): number {
    return this.contextsPointer + row * this.contextBytes;
  }

  /** Online updates of the first `count` staged rows, in order; returns how many were applied. */
  updateBatch(count: number, guard: boolean): number {
    return this.exports.updateBatch(count, guard ? 1 : 0);
  }

  /** Scores the first `count` staged contexts in `cell`: scores and argmax of each row. */
  scoreCellBatch(cell: number, count: number): void {
    this.exports.scoreCellBatch(cell, count);
  }

  /** Adds the first `count` staged rows to the statistics; returns how many were added. */
  accumulateBatch(count: number, guard: boolean): number {
    return this.exports.accumulateBatch(count, guard ? 1 : 0);
  }

  /** Refits one model from its statistics; returns the kernel's status (0 when fitted). */
  finalizeModel(model: number): number {
    return this.exports.finalizeModel(model);
  }

  /** The last finalize's conditioning estimate of a model (0 if none). */
  conditionOf(model: number): number {
    return this.exports.conditionOf(model);
  }

  /** Puts back the faded part of a model's prior when its weight is below the floor; returns a status. */
  refreshPriorOf(model: number): number {
    return this.exports.refreshPriorOf(model);
  }

  /** Refits one arm's prior in effect from the statistics of the first `cells` cells; returns a status. */
  poolArm(arm: number, cells: number, ridge: number): number {
    return this.exports.poolArm(arm, cells, ridge);
  }

  /** Writes a model's A⁻¹ into the exchange matrix (row-major upper triangle). */
  inverseToExchange(model: number): void {
    this.exports.inverseToScratch(model);
  }

  /** Sets a model's A⁻¹ from the exchange matrix's upper triangle. */
  inverseFromExchange(model: number): void {
    this.exports.inverseFromScratch(model);
  }

  /** Writes a model's Σxxᵀ into the exchange matrix (row-major upper triangle). */
  statisticsToExchange(model: number): void {
    this.exports.statisticsToScratch(model);
  }

  /** Sets a model's Σxxᵀ from the exchange matrix's upper triangle. */
  statisticsFromExchange(model: number): void {
    this.exports.statisticsFromScratch(model);
  }
}

/** Bytes per f64. */
const f64Bytes = 8;

/** Byte offsets of the kernel's fixed regions. */
interface RegionPointers {
  readonly priors: number;
  readonly basePriors: number;
  readonly contexts: number;
  readonly rewards: number;
  readonly models: number;
  readonly armsOut: number;
  readonly scores: number;
  readonly exchange: number;
  readonly modelsBase: number;
}

/** Typed views over the current memory buffer. */
interface RegionViews {
  readonly f64: Float64Array;
  readonly contexts: Float64Array;
  readonly rewards: Float64Array;
  readonly models: Int32Array;
  readonly armsOut: Int32Array;
  readonly scores: Float64Array;
  readonly priors: Float64Array;
  readonly basePriors: Float64Array;
  readonly exchange: Float64Array;
}

const noViews: RegionViews = {
  f64: new Float64Array(0),
  contexts: new Float64Array(0),
  rewards: new Float64Array(0),
  models: new Int32Array(0),
  armsOut: new Int32Array(0),
  scores: new Float64Array(0),
  priors: new Float64Array(0),
  basePriors: new Float64Array(0),
  exchange: new Float64Array(0),
};

/** Configures the instance; returns the byte offset where model storage begins. */
function configureExports(exports: KernelExports, config: KernelConfig): number {
  return exports.configure(
    config.dimension,
    config.arms,
    config.stageRows,
    config.statistics ? 1 : 0,
    config.alpha,
    config.lambda,
    config.discount,
  );
}

function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${bytes} B`;
}
