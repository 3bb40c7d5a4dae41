/**
 * The whole prod cadence at scale (issue 14 item 6), on PostgreSQL. `npm run bench:scale -- [options]`
 * (builds first), or after the build:
 *
 *   node --expose-gc dist/bench/cadence-scale.js [--rows 1000000[,10000000]] [--database-url URL]
 *     [--seed S] [--resamples R] [--json]
 *
 * (DATABASE_URL is used when --database-url is not given.) For each corpus size, in a scratch
 * database it drops afterwards:
 *
 * 1. load: `rows` unjudged prod rows at d = 16 generated from a seeded world (12 cells, 4 models, a
 *    uniform logging policy, completion probabilities linear-logistic in the context) and written
 *    with one binary `COPY … FROM STDIN`, then `VACUUM ANALYZE`;
 * 2. the floor: one binary `COPY (…) TO STDOUT` of the columns the corpus reader reads, for the same
 *    rows, streamed and counted — what any refit has to move at least;
 * 3. the whole `runCadence({ mode: 'prod' })` (what `linucb cadence --mode prod` runs) with its
 *    per-step timings (judge, split, refit = read + accumulate + integrity check, evaluate, gate,
 *    promote, record), the peak RSS growth of this process during it, and the CPU seconds of this
 *    process and of the scratch database's PostgreSQL backends (bench/server-cpu.ts: load-independent
 *    proxies next to the wall times, for a machine the benchmark shares);
 * 4. the corpus reader alone over the same rows (the read part of the refit step), with the same CPU figures;
 * 5. 1% new rows, loaded the same way, and the cadence again: the run an incremental refit
 *    (issue 14 item 3) makes ≤ 10% of the full one — until incremental refits exist, a full re-run,
 *    labelled so;
 * 6. 1 vs 2 workers on read + accumulate (issue 14 items 4–5): the cadence again with its training
 *    slice read on 1, then 2 worker threads (src/scale's `threadTrainingReader`, the CLI's
 *    `--workers N`), the refit steps compared; reported "not available" in a build without it.
 * `--resamples` sets the cadence's bootstrap resamples (default: the cadence's own, 1,000).
 * Targets: the whole cadence over 10⁶ rows ≤ 3× the floor; the +1% run ≤ 10% of the full run;
 * 2 workers ≥ 1.6× one; peak RSS flat in the corpus size.
 */
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { runCadence } from "../src/cadence/run-cadence.js";
import type { CadenceProgress } from "../src/cadence/progress.js";
import { readCorpus } from "../src/store/corpus-reader.js";
import { judgedRewardSql, readJudgeWatermarks } from "../src/store/judge-watermarks.js";
import type { Db } from "../src/store/db.js";
import { migrateUp } from "../src/store/migrator.js";
import { openDatabase } from "../src/store/open-database.js";
import { BinaryCopyIn, BinaryCopyWriter, CountingCopyOut } from "./binary-copy-in.js";
import { BenchRandom } from "./random.js";
import { scratchPostgres } from "./scratch-database.js";
import { serverCpuMeter, type ServerCpuMeter } from "./server-cpu.js";

const DIMENSION = 16;
const CELLS = 12;
const MODELS = ["model-a", "model-b", "model-c", "model-d"];
const AGENTS = 7;
/** Rows per generated COPY chunk. */
const CHUNK_ROWS = 20_000;
const DAY_MS = 86_400_000;
const START_MS = Date.UTC(2026, 0, 1);
const MB = 1024 * 1024;

/** A seeded production world: one weight vector per (cell, model) for the completion probability. */
interface BenchWorld {
  readonly weights: Float64Array;
}

function benchWorld(seed: number): BenchWorld {
  const random = new BenchRandom(seed);
  const weights = new Float64Array(CELLS * MODELS.length * DIMENSION);
  for (let i = 0; i < weights.length; i++) weights[i] = 0.6 * random.gaussian();
  return { weights };
}

/**
 * Rows [first, first + count) of the world as binary COPY chunks: created_at spread evenly over
 * `days` from `startMs` (so ids and time agree), features (1, U(−1, 1)¹⁵), a uniform logging
 * policy (propensity 1/4), completion with probability σ(w·x), hallucination 8%, refusal 10% of
 * the rows not completed.
 */
function* generateRows(
  world: BenchWorld,
  seed: number,
  first: number,
  count: number,
  startMs: number,
  spanMs: number,
): Generator<Buffer> {
  const random = new BenchRandom(seed ^ (first * 2654435761));
  const writer = new BinaryCopyWriter(CHUNK_ROWS * 330);
  const x = new Float64Array(DIMENSION);
  const cells = Array.from({ length: CELLS }, (_, c) => `cell-${c}`);
  const agents = Array.from({ length: AGENTS }, (_, a) => `agent-${a}`);
  for (let i = 0; i < count; i++) {
    const cell = random.int(CELLS);
    const model = random.int(MODELS.length);
    x[0] = 1;
    for (let j = 1; j < DIMENSION; j++) x[j] = 2 * random.next() - 1;
    let score = 0;
    const base = (cell * MODELS.length + model) * DIMENSION;
    for (let j = 0; j < DIMENSION; j++) score += (world.weights[base + j] as number) * (x[j] as number);
    const completed = random.next() < 1 / (1 + Math.exp(-score));
    const hallucinated = random.next() < 0.08;
    const refused = !completed && random.next() < 0.1;
    writer.row(10);
    writer.timestamptz(startMs + (spanMs * i) / count);
    writer.text(agents[(first + i) % AGENTS] as string);
    writer.text(cells[cell] as string);
    writer.text(MODELS[model] as string);
    writer.float8Array(x, 0, DIMENSION);
    writer.float8(1 / MODELS.length);
    writer.bool(completed);
    writer.bool(hallucinated);
    writer.bool(refused);
    writer.text("prod");
    if ((i + 1) % CHUNK_ROWS === 0 || i === count - 1) yield writer.take();
  }
}

const COPY_TARGET =
  "routing_outcomes (created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused, " +
  "source)";
/** The columns the corpus reader reads, of the same rows: what the floor copies out. */
const READER_COLUMNS =
  "SELECT id, cell, model, features, propensity, reward, created_at, source, agent_id " +
  "FROM routing_outcomes WHERE source = 'prod'";

/** A timed step. */
export interface Timed {
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

/** One whole cadence run. */
export interface CadenceRun {
  readonly seconds: number;
  /** Per step, seconds (the run's own timings). */
  readonly steps: Readonly<Record<string, number>>;
  readonly judged: number;
  readonly rowsRead: number;
  readonly gatePassed: boolean;
  readonly promoted: boolean;
  /** Peak growth of this process's RSS during the run, MB. */
  readonly peakRssGrowthMb: number;
  /** This process's CPU seconds (user + system) during the run. */
  readonly cpuSeconds: number;
  /** The scratch database's PostgreSQL backends' CPU seconds during the run (NaN: server not on this machine). */
  readonly serverCpuSeconds: number;
  /** The run's `refit.kind` (incremental refits, issue 14 item 3), or null in a build without it. */
  readonly refitKind: string | null;
}

/** The refit step (read + accumulate + integrity check) with the training slice on 1 and 2 worker threads. */
export type WorkerComparison =
  | { readonly available: false; readonly note: string }
  | {
      readonly available: true;
      readonly one: CadenceRun;
      readonly two: CadenceRun;
      /** Refit step seconds with one worker over those with two. Target ≥ 1.6. */
      readonly refitSpeedup: number;
    };

/** What one corpus size measured. */
export interface CadenceScaleResult {
  readonly rows: number;
  readonly dimension: number;
  /** The cadence's bootstrap resamples (null: its default, 1,000). */
  readonly resamples: number | null;
  readonly load: Timed & { readonly vacuumSeconds: number };
  /** Binary COPY TO STDOUT of the reader's columns of the same rows: the floor (and its PostgreSQL CPU seconds). */
  readonly copyOut: Timed & { readonly megabytes: number; readonly serverCpuSeconds: number };
  readonly cadence: CadenceRun;
  /** The whole cadence over the floor. Target ≤ 3 at 10⁶ rows. */
  readonly cadenceOverCopy: number;
  /** The refit's integrity check's SQL alone (per-(cell, model) sums over the rows read; inside the refit step). */
  readonly integritySql: Timed;
  /** The corpus reader alone over the same rows, with this process's and PostgreSQL's CPU seconds. */
  readonly read: Timed & {
    readonly peakRssGrowthMb: number;
    readonly cpuSeconds: number;
    readonly serverCpuSeconds: number;
  };
  /** 1% new rows, then the cadence again. */
  readonly afterOnePercent: CadenceRun & { readonly addedRows: number; readonly incremental: boolean };
  readonly afterOnePercentOverFull: number;
  /** The same for the steps that scan the corpus (judge, split, refit): the runs evaluate different slices. */
  readonly afterOnePercentReadStepsOverFull: number;
  /** 1 vs 2 workers on read + accumulate: the cadence's refit step with the training slice read on N threads. */
  readonly workers: WorkerComparison;
  /** 1-minute load average at the start and the end. */
  readonly load1: readonly [number, number];
}

async function copyIn(client: pg.Client, chunks: Iterable<Buffer>): Promise<number> {
  const query = new BinaryCopyIn(COPY_TARGET, chunks);
  client.query(query);
  return query.done;
}

/** Samples this process's RSS while `body` runs: the peak growth over the RSS at the start, MB. */
async function withPeakRss<T>(body: () => Promise<T>): Promise<{ value: T; peakRssGrowthMb: number }> {
  globalThis.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 25);
  try {
    const value = await body();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, peakRssGrowthMb: (peak - base) / MB };
  } finally {
    clearInterval(timer);
  }
}

/** Builds the cadence's `readTraining` hook for N worker threads (src/scale, issue 14 item 4). */
type ThreadTrainingReader = (workers: number, databaseUrl: string, onFallback: (reason: string) => void) => unknown;

/** src/scale's thread reader, or null in a build without it (loaded by name: this bench predates it). */
async function loadThreadTrainingReader(): Promise<ThreadTrainingReader | null> {
  const specifier = "../src/scale/sharded-training.js";
  try {
    const module = (await import(specifier)) as { threadTrainingReader?: ThreadTrainingReader };
    return typeof module.threadTrainingReader === "function" ? module.threadTrainingReader : null;
  } catch {
    return null;
  }
}

/** What every cadence run of the benchmark is given. */
interface RunSettings {
  readonly seed: number;
  /** Bootstrap resamples; undefined: the cadence's default. */
  readonly resamples: number | undefined;
  /** The scratch database's PostgreSQL CPU. */
  readonly serverCpu: ServerCpuMeter;
}

async function timedCadence(db: Db, settings: RunSettings, readTraining?: unknown, full = false): Promise<CadenceRun> {
  const steps: Record<string, number> = {};
  const progress: CadenceProgress = {
    stepStarted() {},
    stepAdvanced() {},
    stepFinished(step, _summary, seconds) {
      steps[step] = (steps[step] ?? 0) + seconds;
    },
  };
  const cpu = process.cpuUsage();
  settings.serverCpu.start();
  const started = performance.now();
  const { value: result, peakRssGrowthMb } = await withPeakRss(() =>
    runCadence(db, {
      mode: "prod",
      seed: settings.seed,
      progress,
      ...(settings.resamples === undefined ? {} : { resamples: settings.resamples }),
      ...(readTraining === undefined ? {} : { readTraining }),
      ...(full ? { full: true } : {}),
    } as Parameters<typeof runCadence>[1] & { mode: "prod" }),
  );
  const seconds = (performance.now() - started) / 1000;
  const serverCpuSeconds = settings.serverCpu.stop();
  const used = process.cpuUsage(cpu);
  return {
    seconds,
    steps,
    judged: result.judge.judged,
    rowsRead: result.corpus.rowsRead,
    gatePassed: result.gate.passed,
    promoted: result.promoted,
    peakRssGrowthMb,
    cpuSeconds: (used.user + used.system) / 1e6,
    serverCpuSeconds,
    refitKind: (result as { refit?: { kind?: string } }).refit?.kind ?? null,
  };
}

async function timedRead(db: Db, rows: number, serverCpu: ServerCpuMeter): Promise<CadenceScaleResult["read"]> {
  const cpu = process.cpuUsage();
  serverCpu.start();
  const started = performance.now();
  const { value: accepted, peakRssGrowthMb } = await withPeakRss(async () => {
    const reader = readCorpus(db, { table: "routing_outcomes", dimension: DIMENSION });
    let n = 0;
    for await (const chunk of reader) n += chunk.length;
    return n;
  });
  const seconds = (performance.now() - started) / 1000;
  const serverCpuSeconds = serverCpu.stop();
  const used = process.cpuUsage(cpu);
  if (accepted !== rows) throw new Error(`the reader yielded ${accepted} rows, expected ${rows}`);
  return {
    seconds,
    rowsPerSecond: rows / seconds,
    peakRssGrowthMb,
    cpuSeconds: (used.user + used.system) / 1e6,
    serverCpuSeconds,
  };
}

/** The integrity check's aggregate (src/cadence/integrity.ts) over every prod row, as the refit step runs it. */
async function timedIntegritySql(db: Db, rows: number): Promise<Timed> {
  const reward = judgedRewardSql(await readJudgeWatermarks(db, "routing_outcomes"));
  const started = performance.now();
  const result = await db.query<{ rows: number }>(
    `SELECT sum(n)::float8 AS rows FROM (
       SELECT cell, model, count(*) AS n, sum(r * features[1]) AS reward_sum, sum(r * r) AS reward_squares
       FROM routing_outcomes, LATERAL (SELECT ${reward} AS r) AS judged
       WHERE id BETWEEN 1 AND ${rows} AND r IS NOT NULL AND NOT (id = ANY('{}'::int8[])) AND source = 'prod'
       GROUP BY cell, model) AS totals`,
  );
  const seconds = (performance.now() - started) / 1000;
  if (Number(result.rows[0]?.rows) !== rows) throw new Error(`the integrity SQL counted ${result.rows[0]?.rows} rows`);
  return { seconds, rowsPerSecond: rows / seconds };
}

/** The cadence with its training slice read on 1, then 2 worker threads (nothing new to judge). */
async function compareWorkers(
  db: Db,
  settings: RunSettings,
  databaseUrl: string,
  log: (line: string) => void,
): Promise<WorkerComparison> {
  const threadTrainingReader = await loadThreadTrainingReader();
  if (threadTrainingReader === null) {
    return {
      available: false,
      note: "not available: sharded read + accumulate (issue 14 item 4) is not in this build",
    };
  }
  const onFallback = (reason: string): void => log(`  workers: ${reason}`);
  // Full refits (--full): an incremental run would read only the rows added since the last promotion.
  log("  the cadence (--full) on 1 worker thread, then on 2");
  const one = await timedCadence(db, settings, threadTrainingReader(1, databaseUrl, onFallback), true);
  const two = await timedCadence(db, settings, threadTrainingReader(2, databaseUrl, onFallback), true);
  return { available: true, one, two, refitSpeedup: (one.steps.refit ?? Number.NaN) / (two.steps.refit ?? Number.NaN) };
}

/** Seconds of the steps that scan the corpus: judge, split and refit. */
function readSteps(run: CadenceRun): number {
  return (run.steps.judge ?? 0) + (run.steps.split ?? 0) + (run.steps.refit ?? 0);
}

/** Runs the benchmark for one corpus size. */
export async function benchmarkCadenceScale(options: {
  rows: number;
  databaseUrl: string;
  seed: number;
  resamples?: number;
  log?: (line: string) => void;
}): Promise<CadenceScaleResult> {
  const { rows, seed } = options;
  const log = options.log ?? (() => {});
  const load1Start = loadavg()[0] as number;
  const name = `linucb_bench_scale_${process.pid}`;
  const scratch = await scratchPostgres(options.databaseUrl, name);
  const client = new pg.Client({ connectionString: scratch.url });
  let db: Db | undefined;
  try {
    await client.connect();
    db = await openDatabase({ databaseUrl: scratch.url });
    await migrateUp(db);
    const serverCpu = await serverCpuMeter(db, name);
    const settings: RunSettings = { seed, resamples: options.resamples, serverCpu };
    const world = benchWorld(seed);

    log(`  loading ${rows} rows (binary COPY FROM STDIN)`);
    let started = performance.now();
    const loaded = await copyIn(client, generateRows(world, seed, 0, rows, START_MS, 28 * DAY_MS));
    const loadSeconds = (performance.now() - started) / 1000;
    if (loaded !== rows) throw new Error(`COPY loaded ${loaded} rows, expected ${rows}`);
    started = performance.now();
    await client.query("VACUUM ANALYZE routing_outcomes");
    const vacuumSeconds = (performance.now() - started) / 1000;

    log("  the floor: binary COPY TO STDOUT of the same rows");
    serverCpu.start();
    started = performance.now();
    const out = new CountingCopyOut(READER_COLUMNS);
    client.query(out);
    const copied = await out.done;
    const copySeconds = (performance.now() - started) / 1000;
    const copyServerCpu = serverCpu.stop();
    if (copied !== rows) throw new Error(`COPY TO copied ${copied} rows, expected ${rows}`);

    log("  the whole prod cadence");
    const cadence = await timedCadence(db, settings);
    log(`  ${cadence.seconds.toFixed(1)} s: ${JSON.stringify(cadence.steps)}`);
    log("  the corpus reader alone");
    const read = await timedRead(db, rows, serverCpu);
    log("  the integrity check's SQL alone");
    const integritySql = await timedIntegritySql(db, rows);

    const added = Math.max(1, Math.round(rows / 100));
    log(`  +${added} rows, then the cadence again`);
    await copyIn(client, generateRows(world, seed + 1, rows, added, START_MS + 28 * DAY_MS, DAY_MS));
    await client.query("ANALYZE routing_outcomes");
    const again = await timedCadence(db, settings);
    const workers = await compareWorkers(db, settings, scratch.url, log);
    return {
      rows,
      dimension: DIMENSION,
      resamples: options.resamples ?? null,
      load: { seconds: loadSeconds, rowsPerSecond: rows / loadSeconds, vacuumSeconds },
      copyOut: {
        seconds: copySeconds,
        rowsPerSecond: rows / copySeconds,
        megabytes: out.bytes / MB,
        serverCpuSeconds: copyServerCpu,
      },
      cadence,
      cadenceOverCopy: cadence.seconds / copySeconds,
      read,
      integritySql,
      afterOnePercent: { ...again, addedRows: added, incremental: again.refitKind === "incremental" },
      afterOnePercentOverFull: again.seconds / cadence.seconds,
      afterOnePercentReadStepsOverFull: readSteps(again) / readSteps(cadence),
      workers,
      load1: [load1Start, loadavg()[0] as number],
    };
  } finally {
    await db?.close();
    await client.end().catch(() => undefined);
    await scratch.drop();
  }
}

function describe(r: CadenceScaleResult): string {
  const s = (seconds: number): string => `${seconds.toFixed(2)} s`;
  const rate = (perSecond: number): string => `${Math.round(perSecond).toLocaleString("en")} rows/s`;
  const steps = (run: CadenceRun): string =>
    Object.entries(run.steps)
      .map(([step, seconds]) => `${step} ${seconds.toFixed(2)}`)
      .join(", ");
  const run = (label: string, c: CadenceRun): string =>
    `  ${label}: ${s(c.seconds)} (${steps(c)}); judged ${c.judged}, read ${c.rowsRead}, ` +
    `gate ${c.gatePassed ? "passed" : "failed"}, peak RSS +${c.peakRssGrowthMb.toFixed(0)} MB, ` +
    `CPU ${c.cpuSeconds.toFixed(1)} s (PostgreSQL ${c.serverCpuSeconds.toFixed(1)} s)`;
  const added = r.afterOnePercent;
  const addedKind = added.incremental
    ? "incremental"
    : `full re-run: incremental refit ${added.refitKind === null ? "not available in this build" : "not taken"}`;
  const percent = (ratio: number): string => `${(100 * ratio).toFixed(1)}%`;
  return [
    `${r.rows.toLocaleString("en")} prod rows, d = ${r.dimension}, ${r.resamples ?? 1000} resamples ` +
      `(load average ${r.load1[0].toFixed(2)} → ${r.load1[1].toFixed(2)})`,
    `  load (binary COPY FROM STDIN): ${s(r.load.seconds)}, ${rate(r.load.rowsPerSecond)}; ` +
      `VACUUM ANALYZE ${s(r.load.vacuumSeconds)}`,
    `  floor (binary COPY TO STDOUT, ${r.copyOut.megabytes.toFixed(0)} MB): ${s(r.copyOut.seconds)}, ` +
      `${rate(r.copyOut.rowsPerSecond)} (PostgreSQL CPU ${s(r.copyOut.serverCpuSeconds)})`,
    run("whole cadence", r.cadence),
    `  whole cadence / floor: ${r.cadenceOverCopy.toFixed(2)}× (target ≤ 3×)`,
    `  corpus reader alone: ${s(r.read.seconds)}, ${rate(r.read.rowsPerSecond)}, ` +
      `peak RSS +${r.read.peakRssGrowthMb.toFixed(0)} MB, CPU ${s(r.read.cpuSeconds)} ` +
      `(PostgreSQL ${s(r.read.serverCpuSeconds)})`,
    `  integrity check SQL alone: ${s(r.integritySql.seconds)}, ${rate(r.integritySql.rowsPerSecond)}`,
    run(`+${added.addedRows} rows (1%), ${addedKind}`, added),
    `  +1% run / full run: ${percent(r.afterOnePercentOverFull)} (target ≤ 10% when incremental); ` +
      `judge + split + refit: ${percent(r.afterOnePercentReadStepsOverFull)}`,
    ...(r.workers.available
      ? [
          run("1 worker thread", r.workers.one),
          run("2 worker threads", r.workers.two),
          `  refit step, 1 worker / 2 workers: ${r.workers.refitSpeedup.toFixed(2)}× (target ≥ 1.6×)`,
        ]
      : [`  1 vs 2 workers: ${r.workers.note}`]),
  ].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      rows: { type: "string", default: "1000000" },
      "database-url": { type: "string" },
      seed: { type: "string", default: "20261205" },
      resamples: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const databaseUrl = values["database-url"] ?? process.env.DATABASE_URL;
  if (databaseUrl === undefined || databaseUrl === "")
    throw new Error("cadence-scale needs PostgreSQL: --database-url or DATABASE_URL");
  const sizes = values.rows.split(",").map(Number);
  for (const n of sizes) {
    if (!Number.isSafeInteger(n) || n < 1000)
      throw new Error(`--rows must be integers ≥ 1000; received ${values.rows}`);
  }
  const seed = Number(values.seed);
  const resamples = values.resamples === undefined ? undefined : Number(values.resamples);
  const results: CadenceScaleResult[] = [];
  for (const rows of sizes) {
    const log = (line: string): void => void process.stderr.write(`${line}\n`);
    log(`cadence-scale: ${rows} rows`);
    const result = await benchmarkCadenceScale({ rows, databaseUrl, seed, resamples, log });
    results.push(result);
    if (!values.json) process.stdout.write(`${describe(result)}\n\n`);
  }
  if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`cadence-scale: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
