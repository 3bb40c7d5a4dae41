/**
 * Read throughput of the streaming corpus reader, on PGlite and (with DATABASE_URL or
 * --database-url) on a real PostgreSQL. A plain script, runnable after the build:
 *
 *   node dist/bench/store-read.js [--rows N] [--dimension D] [--chunk-size C] [--backend pglite|postgres|both] [--json]
 *
 * For each back end it builds a corpus of judged prod rows in a scratch database (generated in SQL
 * on the server, plus 10% synthetic and shadow rows the prod read must not see), then reads it
 * with `readCorpus` twice — a quarter of the rows and all of them — and reports rows/s and the
 * peak growth of the JS heap and of the process RSS during each read, to show memory staying flat
 * as the corpus grows. Targets (issue 5, d = 16): ≥ 150k rows/s from PostgreSQL, ≥ 40k rows/s from
 * PGlite.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { readCorpus } from "../src/store/corpus-reader.js";
import type { Db } from "../src/store/db.js";
import { migrateUp } from "../src/store/migrator.js";
import { scratchDb } from "./scratch-database.js";

/** Options of {@link benchmarkStoreRead}. */
export interface StoreReadBenchmarkOptions {
  /** Judged prod rows in the corpus. @default 200000 on PGlite, 1000000 on PostgreSQL */
  readonly rows?: number;
  /** Feature dimension. @default 16 */
  readonly dimension?: number;
  /** Rows per chunk. @default 10000 */
  readonly chunkSize?: number;
  /** A PostgreSQL server on which to create (and drop) a scratch database; omit for PGlite. */
  readonly databaseUrl?: string;
}

/** One read of the corpus. */
export interface ReadMeasurement {
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  /** Peak JS heap growth during the read, MB. */
  readonly peakHeapGrowthMb: number;
  /** Peak RSS growth during the read, MB. */
  readonly peakRssGrowthMb: number;
}

/** What one back end measured. */
export interface StoreReadResult {
  readonly backend: "pglite" | "postgres";
  readonly dimension: number;
  readonly chunkSize: number;
  readonly loadSeconds: number;
  readonly quarter: ReadMeasurement;
  readonly full: ReadMeasurement;
  readonly targetRowsPerSecond: number;
}

const MB = 1024 * 1024;

/** Builds a corpus of `rows` judged prod rows (plus 10% others) in SQL, in slices of 100k. */
async function buildCorpus(db: Db, rows: number, dimension: number): Promise<void> {
  const slice = 100_000;
  for (let start = 0; start < rows; start += slice) {
    const end = Math.min(rows, start + slice);
    // `+ i * 0` ties the inner random() to the outer row, so every row gets its own features.
    await db.query(
      `INSERT INTO routing_outcomes (created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused, judge_score, judge_model, reward, source)
       SELECT timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second', 'agent-' || (i % 7), 'cell-' || (i % 12), 'model-' || (i % 5),
              ARRAY(SELECT random() + i * 0 FROM generate_series(1, $3)), 0.2, true, false, false, 0.5, 'judge', random(),
              CASE WHEN i % 10 = 0 THEN (CASE WHEN i % 20 = 0 THEN 'synthetic' ELSE 'shadow' END) ELSE 'prod' END
       FROM generate_series($1::int, $2::int) AS i`,
      [start + 1, end, dimension],
    );
  }
}

async function measureRead(db: Db, dimension: number, chunkSize: number, createdFrom?: Date): Promise<ReadMeasurement> {
  globalThis.gc?.();
  const heapBase = process.memoryUsage().heapUsed;
  const rssBase = process.memoryUsage().rss;
  let peakHeap = 0;
  let peakRss = 0;
  let rows = 0;
  let checksum = 0;
  const started = performance.now();
  for await (const chunk of readCorpus(db, {
    table: "routing_outcomes",
    dimension,
    chunkSize,
    ...(createdFrom === undefined ? {} : { createdFrom }),
  })) {
    rows += chunk.length;
    // Touch the data the way a consumer would, so nothing is optimised away.
    checksum += chunk.contexts[0] ?? 0;
    const memory = process.memoryUsage();
    peakHeap = Math.max(peakHeap, memory.heapUsed - heapBase);
    peakRss = Math.max(peakRss, memory.rss - rssBase);
  }
  const seconds = (performance.now() - started) / 1000;
  if (Number.isNaN(checksum)) throw new Error("unreachable: features are finite");
  return {
    rows,
    seconds,
    rowsPerSecond: rows / seconds,
    peakHeapGrowthMb: peakHeap / MB,
    peakRssGrowthMb: peakRss / MB,
  };
}

/** Runs the benchmark on one back end (PostgreSQL if `databaseUrl` is given, else PGlite). */
export async function benchmarkStoreRead(options: StoreReadBenchmarkOptions = {}): Promise<StoreReadResult> {
  const backend = options.databaseUrl === undefined ? "pglite" : "postgres";
  const rows = options.rows ?? (backend === "pglite" ? 200_000 : 1_000_000);
  const dimension = options.dimension ?? 16;
  const chunkSize = options.chunkSize ?? 10_000;
  const { db, cleanup } = await scratchDb(options.databaseUrl, `linucb_bench_${process.pid}`);
  try {
    await migrateUp(db);
    const loadStarted = performance.now();
    await buildCorpus(db, Math.round(rows / 0.9), dimension);
    await db.exec("ANALYZE routing_outcomes");
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    // The newest quarter of the corpus, by time (the held-out slice shape): a quarter of the rows.
    const cut = await db.query<{ at: Date }>(
      "SELECT created_at AS at FROM routing_outcomes WHERE source = 'prod' ORDER BY created_at DESC OFFSET $1 LIMIT 1",
      [Math.floor(rows / 4)],
    );
    // Warm-up (JIT, connection, caches): the same quarter, not reported.
    await measureRead(db, dimension, chunkSize, cut.rows[0]?.at);
    const quarter = await measureRead(db, dimension, chunkSize, cut.rows[0]?.at);
    const full = await measureRead(db, dimension, chunkSize);
    return {
      backend,
      dimension,
      chunkSize,
      loadSeconds,
      quarter,
      full,
      targetRowsPerSecond: backend === "pglite" ? 40_000 : 150_000,
    };
  } finally {
    await cleanup();
  }
}

function describe(result: StoreReadResult): string {
  const line = (label: string, m: ReadMeasurement): string =>
    `  ${label.padEnd(8)} ${String(m.rows).padStart(9)} rows  ${m.seconds.toFixed(2).padStart(6)} s  ${Math.round(m.rowsPerSecond).toLocaleString("en").padStart(9)} rows/s  ` +
    `peak heap +${m.peakHeapGrowthMb.toFixed(1)} MB  peak RSS +${m.peakRssGrowthMb.toFixed(1)} MB`;
  const verdict = result.full.rowsPerSecond >= result.targetRowsPerSecond ? "meets" : "MISSES";
  return [
    `${result.backend}: d = ${result.dimension}, chunks of ${result.chunkSize} (corpus built in ${result.loadSeconds.toFixed(1)} s)`,
    line("quarter", result.quarter),
    line("full", result.full),
    `  ${verdict} the target of ${result.targetRowsPerSecond.toLocaleString("en")} rows/s`,
  ].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      rows: { type: "string" },
      dimension: { type: "string" },
      "chunk-size": { type: "string" },
      backend: { type: "string", default: "both" },
      "database-url": { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const databaseUrl = values["database-url"] ?? process.env.DATABASE_URL;
  const wanted = values.backend;
  if (wanted !== "both" && wanted !== "pglite" && wanted !== "postgres")
    throw new Error(`--backend must be pglite, postgres or both; received ${JSON.stringify(wanted)}`);
  const common = {
    ...(values.rows === undefined ? {} : { rows: Number(values.rows) }),
    ...(values.dimension === undefined ? {} : { dimension: Number(values.dimension) }),
    ...(values["chunk-size"] === undefined ? {} : { chunkSize: Number(values["chunk-size"]) }),
  };
  const results: StoreReadResult[] = [];
  if (wanted !== "postgres") results.push(await benchmarkStoreRead(common));
  if (wanted !== "pglite") {
    if (databaseUrl === undefined || databaseUrl === "") {
      if (wanted === "postgres") throw new Error("--backend postgres needs --database-url or DATABASE_URL");
      process.stderr.write("store-read: no DATABASE_URL: PostgreSQL skipped\n");
    } else {
      results.push(await benchmarkStoreRead({ ...common, databaseUrl }));
    }
  }
  process.stdout.write(
    values.json ? `${JSON.stringify(results, null, 2)}\n` : `${results.map(describe).join("\n\n")}\n`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`store-read: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
