/**
 * The 10,000-cell memory case: bytes per model and resident memory of each implementation holding
 * 10,000 cells × K models. Each probe runs in its own child process (this same script with
 * `--memory-probe`), so its peak RSS is its own and not the benchmark's, and a multi-gigabyte
 * allocation is returned to the system as soon as the probe ends.
 *
 * ml-matrix is probed with 1,000 cells: its 240,000 Matrix objects at 10,000 cells take seconds to
 * build and push V8's heap towards its limit, and bytes per model (RSS growth / models) is what the
 * probe is for.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createLinUCB } from "../src/index.js";
import { CarefulLinUCB } from "./baselines/careful-js.js";
import { MlMatrixLinUCB } from "./baselines/ml-matrix.js";
import { alpha, armCount, armIds, cellIds, generateEvents, lambda } from "./workload.js";

/** Cells of the memory case. */
export const memoryCells = 10_000;
/** Cells of the ml-matrix probe (see the file comment). */
export const mlMatrixMemoryCells = 1_000;

/** What one probe measures. */
export interface MemoryProbeSpec {
  readonly implementation: "engine" | "careful-js" | "ml-matrix";
  readonly d: number;
  /** Engine only: whether exact statistics are kept. */
  readonly statistics: boolean;
  /** Cells created. */
  readonly cells: number;
}

/** What one probe reports. */
export interface MemoryProbeResult extends MemoryProbeSpec {
  /** cells × K. */
  readonly models: number;
  /** Bytes per model as the implementation reports it (engine: `bytesPerModel`; careful JS: its arrays; ml-matrix: RSS growth / models). */
  readonly bytesPerModel: number;
  /** The bound (DP² + 2·DP)·8 + 64 with DP = d rounded up to a multiple of 4. */
  readonly boundBytesPerModel: number;
  /** Bytes the implementation holds (engine: its linear memory). */
  readonly heldBytes: number;
  /** Growth of the process RSS while creating and touching every model. */
  readonly rssGrowthBytes: number;
  /** Peak RSS of the probe process (see {@link ownPeakRssBytes}). */
  readonly peakRssBytes: number;
  /** Why the probe did not run or failed, if it did not complete. */
  readonly skipped?: string;
}

/** The bytes-per-model bound: (DP² + 2·DP)·8 + 64, DP = d rounded up to a multiple of 4. */
export function boundBytesPerModel(d: number): number {
  const dp = Math.ceil(d / 4) * 4;
  return (dp * dp + 2 * dp) * 8 + 64;
}

/**
 * This process's own peak RSS. On Linux, VmHWM from /proc/self/status: `resourceUsage().maxRSS`
 * of a spawned child keeps the parent's high-water mark from before the exec (ru_maxrss survives
 * execve), which would credit the benchmark's own few hundred MB to every probe.
 */
export function ownPeakRssBytes(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (match !== null) return Number(match[1]) * 1024;
  } catch {
    // Not Linux: fall through to the portable figure.
  }
  return process.resourceUsage().maxRSS * 1024;
}

/** A rough upper estimate of the bytes a probe will allocate, to skip what would not fit. */
export function estimatedBytes(spec: MemoryProbeSpec): number {
  const models = spec.cells * armCount;
  const d = spec.d;
  switch (spec.implementation) {
    case "engine":
      return models * boundBytesPerModel(d) * (spec.statistics ? 2 : 1);
    case "careful-js":
      return models * (d * d + 2 * d) * 8;
    case "ml-matrix":
      // Three Matrix objects per model; a d×d Matrix is d Float64Array rows (~100 bytes of header each).
      return models * ((d + 2) * 100 + (d * d + 2 * d) * 8);
  }
}

/** Runs one probe in this process: creates 10,000 cells, touches every model, reports. */
export async function runMemoryProbe(spec: MemoryProbeSpec): Promise<MemoryProbeResult> {
  const { d, cells } = spec;
  const models = cells * armCount;
  const before = process.memoryUsage().rss;
  let bytesPerModel: number;
  let heldBytes: number;

  // A few events through every implementation, so the state is proven usable, not just allocated.
  const events = generateEvents({ d, cells }, 1024, 7);
  const out = new Float64Array(armCount);
  if (spec.implementation === "engine") {
    const engine = await createLinUCB({
      dimension: d,
      arms: [...armIds],
      alpha,
      lambda,
      statistics: spec.statistics,
      cells: cellIds(cells),
    });
    engine.updateMany({
      cells: events.cellIndices,
      arms: events.armIndices,
      contexts: events.contexts,
      rewards: events.rewards,
    });
    engine.scores(events.cellIds[0]!, events.contextViews[0]!, out);
    bytesPerModel = engine.bytesPerModel;
    heldBytes = engine.memoryBytes;
  } else if (spec.implementation === "careful-js") {
    const model = new CarefulLinUCB(d, armCount, cells, alpha, lambda);
    for (let e = 0; e < events.length; e++) model.update(events.models[e]!, events.contexts, e * d, events.rewards[e]!);
    model.scoreCell(events.cellIndices[0]!, events.contexts, 0, out);
    bytesPerModel = model.bytesPerModel;
    heldBytes = model.bytesPerModel * models;
  } else {
    const model = new MlMatrixLinUCB(d, armCount, cells, alpha, lambda);
    for (let e = 0; e < events.length; e++)
      model.update(events.models[e]!, events.contextViews[e]!, events.rewards[e]!);
    model.scoreCell(events.cellIndices[0]!, events.contextViews[0]!, out);
    heldBytes = process.memoryUsage().rss - before;
    bytesPerModel = Math.round(heldBytes / models);
  }
  const probe = out.reduce((sum, s) => sum + s, 0);
  if (!Number.isFinite(probe)) throw new Error(`memory probe ${JSON.stringify(spec)}: non-finite scores`);
  const rssGrowthBytes = process.memoryUsage().rss - before;
  return {
    ...spec,
    models,
    bytesPerModel,
    boundBytesPerModel: boundBytesPerModel(d),
    heldBytes,
    rssGrowthBytes,
    peakRssBytes: ownPeakRssBytes(),
  };
}

/** Bytes above which a probe is skipped rather than risk the machine (and wasm32's 4 GiB). */
export const probeLimitBytes = 3.5 * 2 ** 30;

/**
 * Runs one probe in a child process (this script, same Node flags, `--memory-probe SPEC`) and
 * returns its report; a probe that would not fit is reported as skipped without running.
 */
export function measureMemory(spec: MemoryProbeSpec, script: string): MemoryProbeResult {
  const base = { ...spec, models: spec.cells * armCount, boundBytesPerModel: boundBytesPerModel(spec.d) };
  const empty = { bytesPerModel: NaN, heldBytes: NaN, rssGrowthBytes: NaN, peakRssBytes: NaN };
  const estimate = estimatedBytes(spec);
  if (estimate > probeLimitBytes) {
    return {
      ...base,
      ...empty,
      skipped: `would need about ${(estimate / 2 ** 30).toFixed(1)} GiB (limit ${probeLimitBytes / 2 ** 30} GiB; wasm32 stops at 4 GiB)`,
    };
  }
  const child = spawnSync(process.execPath, [...process.execArgv, script, "--memory-probe", JSON.stringify(spec)], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  const line = child.stdout.trim().split("\n").at(-1) ?? "";
  if (child.status !== 0 || !line.startsWith("{")) {
    return {
      ...base,
      ...empty,
      skipped: `probe process failed (status ${child.status}): ${child.stderr.trim().split("\n").slice(-3).join(" | ")}`,
    };
  }
  return JSON.parse(line) as MemoryProbeResult;
}

/**
 * The probes of a run: at each dimension the engine with and without statistics and careful JS
 * at 10,000 cells, and (unless `includeMlMatrix` is false) ml-matrix at 1,000 cells.
 */
export function memorySpecs(dimensions: readonly number[], includeMlMatrix: boolean): MemoryProbeSpec[] {
  return dimensions.flatMap((d) => [
    { implementation: "engine" as const, d, statistics: false, cells: memoryCells },
    { implementation: "engine" as const, d, statistics: true, cells: memoryCells },
    { implementation: "careful-js" as const, d, statistics: false, cells: memoryCells },
    ...(includeMlMatrix
      ? [{ implementation: "ml-matrix" as const, d, statistics: false, cells: mlMatrixMemoryCells }]
      : []),
  ]);
}
