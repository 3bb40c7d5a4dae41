/**
 * The shape of a benchmark run's results: what the JSON file holds, what the terminal and README
 * tables are printed from, and what the targets are checked against.
 */
import type { Family, TaskName } from "./contenders.js";
import type { MemoryProbeResult } from "./memory.js";

/** One contender's figure in one group (task, d, cells). */
export interface MeasurementRecord {
  /** `task/dD/cC/contender`, what `--filter` matches. */
  readonly name: string;
  readonly task: TaskName;
  readonly d: number;
  readonly cells: number;
  /** Contender id, e.g. `engine-relaxed/updateMany`. */
  readonly contender: string;
  readonly label: string;
  readonly family: Family;
  readonly build: string | null;
  readonly path: "per-event" | "batched";
  /** Engine: whether exact statistics were kept; null for the baselines. */
  readonly statistics: boolean | null;
  /** Events (rows, contexts) per timed iteration. */
  readonly eventsPerIteration: number;
  readonly iterations: number;
  /** Events per second (median iteration). */
  readonly opsPerSecond: number;
  /** Nanoseconds per event (median iteration). */
  readonly nsPerOp: number;
  /** Events per second of the fastest iteration (optimistic; steadier on a loaded machine). */
  readonly bestOpsPerSecond: number;
  readonly medianMs: number;
  readonly meanMs: number;
  /** Interquartile range of the iteration times relative to the median, percent. */
  readonly spreadPercent: number;
  /** opsPerSecond / the careful-JS baseline's, same group; null if the baseline did not run. */
  readonly ratioToCarefulJs: number | null;
}

/** A contender that was selected but produced no figure. */
export interface FailedMeasurement {
  readonly name: string;
  readonly error: string;
}

/** Bytes per model of the engine at one dimension (read from a small engine, no probe needed). */
export interface ModelBytes {
  readonly d: number;
  readonly statistics: boolean;
  readonly bytesPerModel: number;
  /** (DP² + 2·DP)·8 + 64. */
  readonly boundBytesPerModel: number;
}

/** One target of issue 3, checked. */
export interface TargetCheck {
  readonly name: string;
  /** What is required, in words. */
  readonly requirement: string;
  /** The measured value (a ratio, rows/s, events/s or bytes), or null when not measured in this run. */
  readonly measured: number | null;
  readonly threshold: number;
  /** Whether higher is better (ratios, rates) or lower (bytes). */
  readonly direction: "at-least" | "at-most";
  /** null when not measured. */
  readonly pass: boolean | null;
  /** Stretch goals (the C ceiling) are reported but are not the targets. */
  readonly stretch: boolean;
}

/** The machine a run happened on. */
export interface MachineInfo {
  readonly node: string;
  readonly v8: string;
  readonly cpuModel: string;
  /** Logical CPUs (what `nproc` reports). */
  readonly cpus: number;
  readonly platform: string;
  readonly arch: string;
  readonly totalMemoryBytes: number;
  /** The engine build `'auto'` picks here. */
  readonly autoBuild: string;
  readonly builds: readonly string[];
}

/** Everything one run produced: the JSON file. */
export interface BenchReport {
  readonly version: 1;
  /** ISO time the run started. */
  readonly date: string;
  readonly durationSeconds: number;
  readonly machine: MachineInfo;
  readonly run: {
    readonly quick: boolean;
    readonly filter: readonly string[];
    readonly seed: number;
    readonly timeMsPerMeasurement: number;
    readonly rounds: number;
    readonly blockSizes: Readonly<Record<string, number>>;
    /** Target ms per timed iteration (0: whole blocks). */
    readonly iterationTimeMs: number;
    /** 1-minute load average when the run started and ended (os.loadavg()[0]). */
    readonly loadAverage: { readonly start: number; readonly end: number };
  };
  readonly workload: {
    readonly description: string;
    readonly arms: number;
    readonly alpha: number;
    readonly lambda: number;
    readonly dimensions: readonly number[];
    readonly cells: readonly number[];
    readonly statistics: string;
  };
  readonly measurements: readonly MeasurementRecord[];
  readonly failures: readonly FailedMeasurement[];
  readonly modelBytes: readonly ModelBytes[];
  readonly memory: readonly MemoryProbeResult[];
  readonly targets: readonly TargetCheck[];
  /** Peak RSS of the benchmark process (memory probes ran in their own processes). */
  readonly peakRssBytes: number;
}
