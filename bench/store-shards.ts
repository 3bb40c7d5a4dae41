/**
 * Read + accumulate of a prod training read: one in-process reader against the same read split by
 * id range over 1 and 2 worker threads (src/scale), on PostgreSQL. A plain script, after the build:
 *
 *   DATABASE_URL=postgres://… node --experimental-wasm-relaxed-simd dist/bench/store-shards.js \
 *     [--rows N] [--dimension D] [--repeats R] [--quick] [--json]
 *
 * It builds a corpus of judged prod rows (plus 10% shadow rows the read skips) in a scratch
 * database, then runs the three variants interleaved `repeats` times (so machine drift hits them
 * alike) and reports the median wall time, rows/s, the CPU time of this process (all threads) and
 * that of the scratch database's PostgreSQL backends when the server runs on this machine
 * (./server-cpu.ts), with the load
 * average before and after. Target (issue 14): 2 workers ≥ 1.6× one.
 *
 * The ceiling this machine puts on that ratio: however the work is split, 2 workers cannot finish
 * before the machine has run their CPU time — client and server together — on its cores, so
 * wall(1 worker) / ((client + server CPU of 2 workers) / cores) bounds the ratio from above. When it
 * is below the target, the target cannot be shown on this machine, whatever the code does. Also run by `npm run bench -- --store` (`--quick`: 100k rows, once; skipped
 * without DATABASE_URL). Exported for the whole-cadence benchmark (bench/cadence-scale.ts).
 */
import { availableParallelism, loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { accumulateSlice } from "../src/cadence/corpus-refit.js";
import { CoverageCollector } from "../src/cadence/coverage.js";
import { IntegrityCollector } from "../src/cadence/integrity.js";
import { createLinUCB } from "../src/engine/linucb.js";
import type { LinUCBEngine } from "../src/engine/types.js";
import { threadTrainingReader } from "../src/scale/sharded-training.js";
import type { Db } from "../src/store/db.js";
import { migrateUp } from "../src/store/migrator.js";
import { openDatabase } from "../src/store/open-database.js";
import { scratchPostgres } from "./scratch-database.js";
import { serverCpuMeter, type ServerCpuMeter } from "./server-cpu.js";

/** One variant's median run. */
export interface ShardVariant {
  readonly name: string;
  readonly workers: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  /** CPU seconds of the PostgreSQL server (NaN when it is not on this machine). */
  readonly serverCpuSeconds: number;
  readonly rowsPerSecond: number;
}

/** The benchmark's result. */
export interface ShardBenchmarkResult {
  readonly rows: number;
  readonly dimension: number;
  readonly repeats: number;
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  readonly variants: readonly ShardVariant[];
  /** Wall time of 1 worker thread / wall time of 2. Target ≥ 1.6. */
  readonly speedupTwoOverOne: number;
  /** Cores of this machine. */
  readonly cores: number;
  /**
   * The most `speedupTwoOverOne` could be on this machine: wall(1 thread) / ((client + server CPU of
   * 2 threads) / cores). NaN when the server's CPU is unknown.
   */
  readonly speedupCeiling: number;
}

const ARMS = ["model-0", "model-1", "model-2", "model-3", "model-4"];

/** `rows` judged prod rows of 12 cells and 5 models at dimension d, and 10% shadow rows, in SQL. */
async function buildCorpus(db: Db, rows: number, dimension: number): Promise<void> {
  const slice = 100_000;
  const total = Math.ceil(rows / 0.9);
  for (let start = 0; start < total; start += slice) {
    const end = Math.min(total, start + slice);
    await db.query(
      `INSERT INTO routing_outcomes (created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused, judge_score, judge_model, reward, source)
       SELECT timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second', 'agent-' || (i % 7), 'cell-' || (i % 12), 'model-' || (i % 5),
              ARRAY(SELECT random() + i * 0 FROM generate_series(1, $3)), 0.2, true, false, false, 0.5, 'judge', random(),
              CASE WHEN i % 10 = 0 THEN 'shadow' ELSE 'prod' END
       FROM generate_series($1::int, $2::int) AS i`,
      [start + 1, end, dimension],
    );
  }
  await db.exec("ANALYZE routing_outcomes");
}

/** One timed read + accumulate into a fresh engine. */
interface TimedRun {
  readonly wall: number;
  readonly cpu: number;
  readonly serverCpu: number;
  readonly rows: number;
}

async function timed(
  dimension: number,
  serverCpu: ServerCpuMeter,
  read: (engine: LinUCBEngine) => Promise<number>,
): Promise<TimedRun> {
  const engine = await createLinUCB({ dimension, arms: ARMS });
  serverCpu.start();
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const rows = await read(engine);
  const wall = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { wall, cpu: (cpu.user + cpu.system) / 1e6, serverCpu: serverCpu.stop(), rows };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs the benchmark on a scratch database of the server at `databaseUrl` (dropped afterwards). */
export async function benchmarkShards(options: {
  readonly databaseUrl: string;
  readonly rows?: number;
  readonly dimension?: number;
  readonly repeats?: number;
}): Promise<ShardBenchmarkResult> {
  const { databaseUrl, rows = 1_000_000, dimension = 16, repeats = 3 } = options;
  const name = `linucb_bench_shards_${process.pid}`;
  const scratch = await scratchPostgres(databaseUrl, name);
  const db = await openDatabase({ databaseUrl: scratch.url });
  try {
    await migrateUp(db);
    await buildCorpus(db, rows, dimension);
    const slice = { table: "routing_outcomes" as const, dimension, chunkSize: 10_000 };
    const observers = () => ({
      integrity: new IntegrityCollector(),
      coverage: new CoverageCollector(ARMS),
      onProgress: () => undefined,
    });
    const variants: { name: string; workers: number; read: (engine: LinUCBEngine) => Promise<number> }[] = [
      {
        name: "in-process reader",
        workers: 0,
        read: async (engine) => (await accumulateSlice(db, engine, slice)).accepted,
      },
      ...[1, 2].map((workers) => ({
        name: `${workers} worker thread${workers > 1 ? "s" : ""}`,
        workers,
        read: async (engine: LinUCBEngine) =>
          (await threadTrainingReader(workers, scratch.url)(db, engine, slice, observers())).accepted,
      })),
    ];
    const serverCpu = await serverCpuMeter(db, name);
    const loadBefore = loadavg();
    const runs = variants.map(() => [] as TimedRun[]);
    for (let r = 0; r < repeats; r++) {
      for (const [i, variant] of variants.entries()) runs[i]!.push(await timed(dimension, serverCpu, variant.read));
    }
    const loadAfter = loadavg();
    const measured = variants.map((variant, i): ShardVariant => {
      const wall = median(runs[i]!.map((run) => run.wall));
      return {
        name: variant.name,
        workers: variant.workers,
        wallSeconds: wall,
        cpuSeconds: median(runs[i]!.map((run) => run.cpu)),
        serverCpuSeconds: median(runs[i]!.map((run) => run.serverCpu)),
        rowsPerSecond: runs[i]![0]!.rows / wall,
      };
    });
    const [, one, two] = measured as [ShardVariant, ShardVariant, ShardVariant];
    const cores = availableParallelism();
    return {
      rows,
      dimension,
      repeats,
      loadBefore,
      loadAfter,
      variants: measured,
      speedupTwoOverOne: one.wallSeconds / two.wallSeconds,
      cores,
      speedupCeiling: one.wallSeconds / ((two.cpuSeconds + two.serverCpuSeconds) / cores),
    };
  } finally {
    await db.close();
    await scratch.drop();
  }
}

function describe(result: ShardBenchmarkResult): string {
  const load = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(" ");
  const seconds = (x: number) => x.toFixed(2).padStart(7);
  const line = (v: ShardVariant) =>
    `  ${v.name.padEnd(20)} ${seconds(v.wallSeconds)} s wall ${seconds(v.cpuSeconds)} s CPU ` +
    `${seconds(v.serverCpuSeconds)} s server CPU ${Math.round(v.rowsPerSecond).toLocaleString("en-US").padStart(10)} rows/s`;
  return [
    `read + accumulate, ${result.rows} prod rows, d = ${result.dimension}, median of ${result.repeats} ` +
      `(load ${load(result.loadBefore)} → ${load(result.loadAfter)})`,
    ...result.variants.map(line),
    `  2 workers / 1 worker: ${result.speedupTwoOverOne.toFixed(2)}× (target ≥ 1.6×)`,
    `  the most it could be on ${result.cores} cores (wall of 1 / CPU of 2 over the cores): ` +
      `${result.speedupCeiling.toFixed(2)}×`,
  ].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      rows: { type: "string" },
      dimension: { type: "string" },
      repeats: { type: "string" },
      "database-url": { type: "string" },
      json: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
    },
  });
  const databaseUrl = values["database-url"] ?? process.env.DATABASE_URL;
  if (databaseUrl === undefined || databaseUrl === "") {
    process.stderr.write("store-shards: no DATABASE_URL: the sharded read needs PostgreSQL; skipped\n");
    return;
  }
  const rows = values.rows ?? (values.quick ? "100000" : undefined);
  const repeats = values.repeats ?? (values.quick ? "1" : undefined);
  const result = await benchmarkShards({
    databaseUrl,
    ...(rows === undefined ? {} : { rows: Number(rows) }),
    ...(values.dimension === undefined ? {} : { dimension: Number(values.dimension) }),
    ...(repeats === undefined ? {} : { repeats: Number(repeats) }),
  });
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${describe(result)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`store-shards: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
