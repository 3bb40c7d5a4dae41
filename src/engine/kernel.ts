/**
 * The one file that touches `WebAssembly`. It compiles each kernel build once per process, picks
 * the build (feature detection or the caller's choice), instantiates one kernel per engine, keeps
 * typed-array views over its memory fresh across `memory.grow`, and refuses capacity past the
 * 4 GiB of one wasm32 instance before any size arithmetic could wrap.
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
 * One configured kernel instance and its memory. Offsets below are in bytes (divide by 8 to index
 * `f64View`, by 4 for `i32View`). The views are rebuilt whenever the memory grows, so read them
 * afresh from the getters after `ensureModels` instead of keeping an old one.
 */
export class Kernel {
  /** The build running in this instance. */
  readonly build: ConcreteBuild;
  /** The raw exports, for the engine's hot paths. */
  readonly exports: KernelExports;
  /** Padded dimension DP (d rounded up to a multiple of 4). */
  readonly paddedDimension: number;
  /** Bytes per model record. */
  readonly recordBytes: number;
  /** Byte offsets inside a record. */
  readonly thetaOffset: number;
  readonly bOffset: number;
  readonly headerOffset: number;
  readonly sxxOffset: number;
  readonly sxrOffset: number;
  /** Byte offsets of scratch and staging regions. */
  readonly priorsPtr: number;
  readonly basePriorsPtr: number;
  readonly contextsPtr: number;
  readonly rewardsPtr: number;
  readonly modelsPtr: number;
  readonly armsOutPtr: number;
  readonly scoresPtr: number;
  readonly modelsBase: number;
  /** Byte offset of the exchange area (a row-major DP×DP matrix) for one model's A⁻¹ or Σxxᵀ. */
  readonly exchangePtr: number;
  /** Staging capacity in rows. */
  readonly stageRows: number;

  /**
   * Sets the ridge λ of the next finalizes and of models initialised from now on (data-chosen
   * shrinkage). `configure` with the same shape places every region where it already is and only
   * replaces the hyper-parameters, so no ABI change is needed; the layout is checked to be sure.
   */
  setLambda(lambda: number): void {
    const c = this.config;
    const base = this.exports.configure(
      c.dimension,
      c.arms,
      c.stageRows,
      c.statistics ? 1 : 0,
      c.alpha,
      lambda,
      c.discount,
    );
    if (base !== this.modelsBase)
      throw new LinUCBError("INCOMPATIBLE", `kernel layout moved on reconfiguration (${base} ≠ ${this.modelsBase})`);
    this.config = { ...c, lambda };
  }

  private capacity = 0;
  private f64 = new Float64Array(0);
  private i32 = new Int32Array(0);
  private config: KernelConfig;

  private constructor(build: ConcreteBuild, exports: KernelExports, config: KernelConfig, limit?: MemoryLimit) {
    this.build = build;
    this.exports = exports;
    this.config = config;
    this.stageRows = config.stageRows;
    this.paddedDimension = (config.dimension + 3) & ~3;
    exports.configure(
      config.dimension,
      config.arms,
      config.stageRows,
      config.statistics ? 1 : 0,
      config.alpha,
      config.lambda,
      config.discount,
    );
    this.recordBytes = exports.recordBytes();
    this.thetaOffset = exports.thetaOffset();
    this.bOffset = exports.bOffset();
    this.headerOffset = exports.headerOffset();
    this.sxxOffset = exports.sxxOffset();
    this.sxrOffset = exports.sxrOffset();
    this.priorsPtr = exports.priorsPtr();
    this.basePriorsPtr = exports.basePriorsPtr();
    this.contextsPtr = exports.contextsPtr();
    this.rewardsPtr = exports.rewardsPtr();
    this.modelsPtr = exports.modelsPtr();
    this.armsOutPtr = exports.armsOutPtr();
    this.scoresPtr = exports.scoresPtr();
    this.modelsBase = exports.modelsBase();
    this.exchangePtr = exports.exchangePtr();
    if (limit !== undefined) checkMemoryLimit(exports.requiredBytes(limit.models), limit);
    this.refresh();
    this.growTo(this.modelsBase);
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
    const kernel = new Kernel(build, exports, config, limit);
    return kernel;
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
        `${models} models need ${formatBytes(needed)}, more than one WebAssembly instance can hold (4 GiB); shard the cells across several engines`,
        { models, bytes: needed, limit: maxMemoryBytes },
      );
    }
    const current = this.exports.memory.buffer.byteLength;
    const target = Math.min(maxMemoryBytes, Math.max(needed, Math.min(current * 2, this.bytesFor(models * 2))));
    this.growTo(target);
    this.capacity = Math.floor((this.exports.memory.buffer.byteLength - this.modelsBase) / this.recordBytes);
  }

  private growTo(bytes: number): void {
    const memory = this.exports.memory;
    const have = memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil((bytes - have) / pageBytes);
    try {
      memory.grow(pages);
      this.refresh();
    } catch (error) {
      throw new LinUCBError(
        "CAPACITY_EXCEEDED",
        `could not grow WebAssembly memory to ${formatBytes(have + pages * pageBytes)}: ${(error as Error).message}`,
        { bytes: have + pages * pageBytes },
      );
    }
  }

  /**
   * Float64 view over the whole memory. Growth replaces `memory.buffer` and detaches old views
   * (writes through them are silently dropped), so views are rebuilt in `growTo`: only this class
   * grows the memory (the kernel has no allocator), so no per-call check is needed.
   */
  get f64View(): Float64Array {
    return this.f64;
  }

  /** Int32 view over the whole memory (see f64View). */
  get i32View(): Int32Array {
    return this.i32;
  }

  private refresh(): void {
    const buffer = this.exports.memory.buffer;
    this.f64 = new Float64Array(buffer);
    this.i32 = new Int32Array(buffer);
  }

  /** Byte offset of model m's record. */
  modelPtr(model: number): number {
    return this.modelsBase + model * this.recordBytes;
  }
}

function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${bytes} B`;
}
