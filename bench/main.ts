/**
 * `npm run bench`: every task of issue 3 on every problem shape (each shape in its own process, the
 * implementations interleaved in it), then the terminal tables, the target checks and the JSON file.
 *
 *   npm run bench                          full run (≤ 10 minutes)
 *   npm run bench -- --quick               CI smoke test (≤ 60 s)
 *   npm run bench -- --filter select/d16 --d 16 --cells 60 --no-memory     an optimisation loop
 *
 * The exit status is non-zero only when something did not run or produced a non-finite number —
 * never because a speed target was missed.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createLinUCB, detectBuild, isBuildSupported, type ConcreteBuild } from "../src/index.js";
import { baselineId, contendersFor, taskNames, type TimedBody } from "./contenders.js";
import { checksumSink, measureGroup } from "./measure.js";
import {
  boundBytesPerModel,
  measureMemory,
  memorySpecs,
  runMemoryProbe,
  type MemoryProbeResult,
  type MemoryProbeSpec,
} from "./memory.js";
import { matchesFilter, parseOptions, usage, type BenchOptions } from "./options.js";
import { buildProblem, type Problem } from "./problem.js";
import { BenchRandom } from "./random.js";
import { renderMarkdown, renderTerminal, replaceFigures } from "./report.js";
import type { BenchReport, FailedMeasurement, MachineInfo, MeasurementRecord, ModelBytes } from "./results.js";
import { checkTargets } from "./targets.js";
import { alpha, armCount, armIds, lambda } from "./workload.js";

const scriptPath = fileURLToPath(import.meta.url);
/** bench/README.md, found from dist/bench/main.js. */
const readmePath = fileURLToPath(new URL("../../bench/README.md", import.meta.url));

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function machineInfo(builds: readonly ConcreteBuild[]): MachineInfo {
  return {
    node: process.version,
    v8: process.versions.v8,
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    cpus: os.availableParallelism(),
    platform: process.platform,
    arch: process.arch,
    totalMemoryBytes: os.totalmem(),
    autoBuild: detectBuild(),
    builds,
  };
}

/** The kernel builds this host runs, fastest first (the main process and every shape worker agree). */
function supportedBuilds(): ConcreteBuild[] {
  return (["relaxed", "simd", "scalar"] as const).filter((build) => isBuildSupported(build));
}

/** Bytes per model of the engine at each dimension, with and without statistics. */
async function engineModelBytes(dimensions: readonly number[]): Promise<ModelBytes[]> {
  const result: ModelBytes[] = [];
  for (const d of dimensions) {
    for (const statistics of [false, true]) {
      const engine = await createLinUCB({
        dimension: d,
        arms: [...armIds],
        alpha,
        lambda,
        statistics,
        cells: ["probe"],
      });
      result.push({ d, statistics, bytesPerModel: engine.bytesPerModel, boundBytesPerModel: boundBytesPerModel(d) });
    }
  }
  return result;
}

/** What one problem shape's suite produced. */
interface ShapeResult {
  readonly measurements: MeasurementRecord[];
  readonly failures: FailedMeasurement[];
  /** Peak resident set of the process(es) that timed them, bytes. */
  readonly peakRssBytes: number;
}

/** What a shape worker is asked to run (passed as JSON on its command line). */
interface ShapeWorkerSpec {
  readonly argv: readonly string[];
  readonly d: number;
  readonly cells: number;
}

/** The contenders of `task` at shape (d, cells) that the filter selects, with the baseline; empty when none but the baseline would run. */
function chosenContenders(
  task: (typeof taskNames)[number],
  d: number,
  cells: number,
  options: BenchOptions,
  builds: readonly ConcreteBuild[],
  autoBuild: ConcreteBuild,
) {
  const prefix = `${task}/d${d}/c${cells}/`;
  const chosen = contendersFor(task, builds, autoBuild).filter(
    (c) => c.id === baselineId || matchesFilter(prefix + c.id, options.filter),
  );
  return chosen.some((c) => c.id !== baselineId && matchesFilter(prefix + c.id, options.filter)) ? chosen : [];
}

/**
 * Times every selected group, one problem shape (d, cells) per child process. The JavaScript
 * contenders are JIT-compiled, and what V8 learned from one shape changes the code it runs for the
 * next: in one process, careful JS selected 0.51M events/s at d = 16 after running d = 8 against
 * 0.62M in a fresh process, and 0.34M after the whole sequence of shapes. A user's program runs one
 * shape, so each shape starts from a fresh JIT — every contender at its best, no ratio inflated by
 * a baseline slowed down by another shape's history.
 */
function runSuite(
  options: BenchOptions,
  argv: readonly string[],
  builds: readonly ConcreteBuild[],
  autoBuild: ConcreteBuild,
): ShapeResult {
  const measurements: MeasurementRecord[] = [];
  const failures: FailedMeasurement[] = [];
  let peakRssBytes = 0;
  for (const d of options.dimensions) {
    for (const cells of options.cells) {
      if (taskNames.every((task) => chosenContenders(task, d, cells, options, builds, autoBuild).length === 0))
        continue;
      const spec: ShapeWorkerSpec = { argv, d, cells };
      const child = spawnSync(
        process.execPath,
        [...process.execArgv, scriptPath, "--shape-worker", JSON.stringify(spec)],
        {
          stdio: ["ignore", "pipe", "inherit"],
          maxBuffer: 64 * 1024 * 1024,
          encoding: "utf8",
        },
      );
      if (child.status !== 0 || child.error !== undefined) {
        failures.push({
          name: `d${d}/c${cells}`,
          error: `shape worker failed: status ${child.status}${child.error ? `, ${child.error.message}` : ""}`,
        });
        continue;
      }
      const result = JSON.parse(child.stdout) as ShapeResult;
      measurements.push(...result.measurements);
      failures.push(...result.failures);
      peakRssBytes = Math.max(peakRssBytes, result.peakRssBytes);
    }
  }
  return { measurements, failures, peakRssBytes };
}

/** Times every selected group of one problem shape in this process (a shape worker's job). */
async function runShape(
  options: BenchOptions,
  d: number,
  cells: number,
  builds: readonly ConcreteBuild[],
  autoBuild: ConcreteBuild,
): Promise<ShapeResult> {
  const measurements: MeasurementRecord[] = [];
  const failures: FailedMeasurement[] = [];
  const order = new BenchRandom((options.seed ^ 0x0bade) + 1000 * d + cells);
  const settings = {
    roundTime: options.time / options.rounds,
    rounds: options.rounds,
    minIterations: options.minIterations,
    iterationTime: options.iterationTime,
  };
  let problem: Problem | undefined;
  for (const task of taskNames) {
    const prefix = `${task}/d${d}/c${cells}/`;
    const chosen = chosenContenders(task, d, cells, options, builds, autoBuild);
    if (chosen.length === 0) continue;
    const started = performance.now();
    problem ??= buildProblem({ d, cells }, options.sizes, options.seed + 1000 * d + cells);
    const bodies = new Map<string, TimedBody>();
    for (const contender of chosen) {
      try {
        bodies.set(contender.id, await contender.prepare(problem));
      } catch (cause) {
        failures.push({
          name: prefix + contender.id,
          error: `prepare failed: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`,
        });
      }
    }
    const outcomes = measureGroup(bodies, settings, order);
    const baseline = outcomes.get(baselineId);
    const baselineRate = baseline?.ok === true ? baseline.timing.opsPerSecond : null;
    for (const contender of chosen) {
      const outcome = outcomes.get(contender.id);
      if (outcome === undefined) continue; // prepare failed, already recorded
      const name = prefix + contender.id;
      if (!outcome.ok) {
        failures.push({ name, error: outcome.error });
        continue;
      }
      const t = outcome.timing;
      if (![t.opsPerSecond, t.nsPerOp, t.probe].every(Number.isFinite)) {
        failures.push({
          name,
          error: `non-finite figure: ops/s ${t.opsPerSecond}, ns/op ${t.nsPerOp}, state probe ${t.probe}`,
        });
        continue;
      }
      measurements.push({
        name,
        task,
        d,
        cells,
        contender: contender.id,
        label: contender.label,
        family: contender.family,
        build: contender.build ?? null,
        path: contender.path,
        statistics: contender.statistics ?? null,
        eventsPerIteration: t.eventsPerIteration,
        iterations: t.iterations,
        opsPerSecond: t.opsPerSecond,
        nsPerOp: t.nsPerOp,
        bestOpsPerSecond: t.bestOpsPerSecond,
        medianMs: t.medianMs,
        meanMs: t.meanMs,
        spreadPercent: t.spreadPercent,
        ratioToCarefulJs: baselineRate === null ? null : t.opsPerSecond / baselineRate,
      });
    }
    log(
      `  ${task} d=${d} cells=${cells}: ${bodies.size} contenders, ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  return { measurements, failures, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
}

/**
 * The memory probes of this run: every dimension of a full run; in a quick one d = 16 (or the
 * first dimension) without ml-matrix, whose probe alone takes seconds.
 */
function runMemoryCase(options: BenchOptions): MemoryProbeResult[] {
  const dimensions = options.quick
    ? [options.dimensions.includes(16) ? 16 : options.dimensions[0]!]
    : options.dimensions;
  const specs = memorySpecs(dimensions, !options.quick).filter((spec) =>
    matchesFilter(`memory/d${spec.d}/${spec.implementation}`, options.filter),
  );
  return specs.map((spec) => {
    const started = performance.now();
    const result = measureMemory(spec, scriptPath);
    log(
      `  memory d=${spec.d} ${spec.implementation}${spec.implementation === "engine" ? ` statistics=${spec.statistics}` : ""}: ${((performance.now() - started) / 1000).toFixed(1)} s${result.skipped === undefined ? "" : ` (${result.skipped})`}`,
    );
    return result;
  });
}

/** Runs every compiled `store-*.js` beside this script as its own process (the Postgres bench). */
function runStoreBenches(options: BenchOptions): boolean {
  const dir = path.dirname(scriptPath);
  const scripts = readdirSync(dir)
    .filter((file) => /^store-.*\.js$/.test(file))
    .sort();
  if (scripts.length === 0) {
    log("--store: no bench/store-*.ts found; nothing to run");
    return true;
  }
  let ok = true;
  for (const script of scripts) {
    log(`--store: running ${script}`);
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, path.join(dir, script), ...(options.quick ? ["--quick"] : [])],
      { stdio: "inherit" },
    );
    if (child.status !== 0) {
      log(`--store: ${script} exited with status ${child.status}`);
      ok = false;
    }
  }
  return ok;
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === "--memory-probe") {
    const result = await runMemoryProbe(JSON.parse(argv[1] ?? "") as MemoryProbeSpec);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  if (argv[0] === "--shape-worker") {
    const spec = JSON.parse(argv[1] ?? "") as ShapeWorkerSpec;
    const result = await runShape(
      parseOptions(spec.argv),
      spec.d,
      spec.cells,
      supportedBuilds(),
      detectBuild() as ConcreteBuild,
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
    // Reading the sink keeps every checksum observable to the optimiser.
    if (Number.isNaN(checksumSink())) log("note: a checksum was NaN");
    return 0;
  }
  if (argv.includes("--serve")) {
    // The serving benchmark (bench/serve-load.ts) is its own script: a server process and a load generator.
    const rest = argv.filter((arg) => arg !== "--serve");
    return (
      spawnSync(process.execPath, [path.join(path.dirname(scriptPath), "serve-load.js"), ...rest], { stdio: "inherit" })
        .status ?? 1
    );
  }
  const options = parseOptions(argv);
  if (options.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const started = new Date();
  const loadAtStart = os.loadavg()[0]!;
  const builds = supportedBuilds();
  const machine = machineInfo(builds);
  const autoBuild = machine.autoBuild as ConcreteBuild;
  log(
    `linucb bench${options.quick ? " --quick" : ""}: ${machine.cpuModel}, ${machine.cpus} CPUs, Node ${machine.node}, builds ${builds.join("/")} (auto = ${autoBuild})`,
  );

  const { measurements, failures, peakRssBytes: suitePeakRssBytes } = runSuite(options, argv, builds, autoBuild);
  const modelBytes = await engineModelBytes(options.dimensions);
  const memory = options.memory ? runMemoryCase(options) : [];
  for (const probe of memory) {
    if (probe.skipped?.startsWith("probe process failed"))
      failures.push({ name: `memory/d${probe.d}/${probe.implementation}`, error: probe.skipped });
  }

  const report: BenchReport = {
    version: 1,
    date: started.toISOString(),
    durationSeconds: (Date.now() - started.getTime()) / 1000,
    machine,
    run: {
      quick: options.quick,
      filter: options.filter,
      seed: options.seed,
      timeMsPerMeasurement: options.time,
      rounds: options.rounds,
      blockSizes: { ...options.sizes },
      iterationTimeMs: options.iterationTime,
      loadAverage: { start: loadAtStart, end: os.loadavg()[0]! },
    },
    workload: {
      description: "disjoint LinUCB, unit-norm random contexts, uniform random arms and cells, Bernoulli rewards",
      arms: armCount,
      alpha,
      lambda,
      dimensions: options.dimensions,
      cells: options.cells,
      statistics:
        "engine serving tasks (update, select, batched select, replay) with statistics: false; refit with statistics: true; update also with statistics: true for the auto build",
    },
    measurements,
    failures,
    modelBytes,
    memory,
    targets: checkTargets(measurements, modelBytes, autoBuild),
    peakRssBytes: Math.max(suitePeakRssBytes, process.resourceUsage().maxRSS * 1024),
  };

  process.stdout.write(`${renderTerminal(report)}\n`);
  mkdirSync(path.dirname(path.resolve(options.json)), { recursive: true });
  writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
  log(`results: ${options.json}`);
  if (options.readme) {
    writeFileSync(readmePath, replaceFigures(readFileSync(readmePath, "utf8"), renderMarkdown(report)));
    log(`figures written to ${readmePath}`);
  }
  let ok = failures.length === 0;
  if (measurements.length === 0 && memory.length === 0) {
    log(
      `nothing matched the filter ${JSON.stringify(options.filter)} (names look like update/d16/c60/engine-relaxed/updateMany or memory/d16/engine)`,
    );
    ok = false;
  }
  if (options.store) ok = runStoreBenches(options) && ok;
  if (failures.length > 0) log(`${failures.length} measurement(s) did not produce a finite figure`);
  // Reading the sink keeps every checksum observable to the optimiser.
  if (Number.isNaN(checksumSink())) log("note: a checksum was NaN");
  return ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 2;
  },
);
