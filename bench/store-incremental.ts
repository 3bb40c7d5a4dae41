/**
 * A full refit against an incremental one after 1% new rows: the whole prod cadence (judge, split,
 * refit, evaluate, gate) both ways on the same database state, on PGlite and (with DATABASE_URL or
 * --database-url) on a real PostgreSQL. A plain script, runnable after the build:
 *
 *   node dist/bench/store-incremental.js [--rows N] [--new-share S] [--dimension D] [--repeats R]
 *                                        [--backend pglite|postgres|both] [--json] [--quick]
 *
 * It builds a corpus of judged prod rows in a scratch database (generated in SQL on the server),
 * promotes a policy fitted on it (the base), appends `newShare` of the corpus as newer rows, and
 * then runs the cadence `repeats` times each way, alternating — incremental (the default) and
 * `full: true` — with a gate margin no candidate can pass, so neither promotes and every run sees the
 * same state. It reports each way's median wall time, the CPU time of this process (the database
 * server's is not in it), the rows each read, and the per-step times of the median run. Target
 * (issue 14): the incremental run ≤ 10% of the full run.
 *
 * {@link measureIncrementalRefit} is the measurement alone, on a database that already holds a
 * corpus: the whole-cadence benchmark (bench/cadence-scale.ts) can call it on its own corpus.
 */
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { runCadence, type CadenceOptions, type ProdCadenceResult } from "../src/cadence/index.js";
import type { Db } from "../src/store/db.js";
import { migrateUp } from "../src/store/migrator.js";
import { scratchDb } from "./scratch-database.js";

/** Options of {@link measureIncrementalRefit}. */
export interface IncrementalRefitMeasureOptions {
  /** Rows to append, as a share of the judged prod rows already there. @default 0.01 */
  readonly newShare?: number;
  /** Runs each way (alternating). @default 3 */
  readonly repeats?: number;
  /** Feature dimension of the corpus (the appended rows get it too). @default 16 */
  readonly dimension?: number;
  /** Cadence options for every run (resamples, chunk size, …). */
  readonly cadence?: Omit<Partial<CadenceOptions>, "mode" | "full" | "gateMargin">;
  /** Appends `count` newer judged prod rows; @default {@link appendRows} (random rows like {@link buildCorpus}'s). */
  readonly append?: (db: Db, count: number, dimension: number) => Promise<void>;
}

/** One way of refitting, measured. */
export interface RefitWayMeasurement {
  readonly kind: "incremental" | "full";
  /** Wall time of each run, seconds. */
  readonly seconds: readonly number[];
  readonly medianSeconds: number;
  /** CPU time (user + system) of this process in the median run, seconds. */
  readonly cpuSeconds: number;
  /** Rows the median run read from the corpus (`refit.rowsRead`). */
  readonly rowsRead: number;
  /** Rows the policy is fitted on (`corpus.rowsRead`). */
  readonly rowsFitted: number;
  /** Per-step seconds of the median run. */
  readonly steps: Readonly<Record<string, number>>;
}

/** What {@link measureIncrementalRefit} measured. */
export interface IncrementalRefitMeasurement {
  readonly corpusRows: number;
  readonly appendedRows: number;
  readonly incremental: RefitWayMeasurement;
  readonly full: RefitWayMeasurement;
  /** incremental median / full median. */
  readonly ratio: number;
  /** Load average (1 min) before and after. */
  readonly load: readonly [number, number];
}

/** Builds a corpus of `rows` judged prod rows in SQL (12 cells, 5 models, uniform logging), newest last. */
export async function buildCorpus(db: Db, rows: number, dimension: number, firstSecond = 0): Promise<void> {
  const slice = 100_000;
  for (let start = 0; start < rows; start += slice) {
    const end = Math.min(rows, start + slice);
    // `+ i * 0` ties the inner random() to the outer row, so every row gets its own features.
    await db.query(
      `INSERT INTO routing_outcomes (created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused, judge_score, judge_model, reward, source)
       SELECT timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second', 'agent-' || (i % 7), 'cell-' || (i % 12),
              'model-' || (i % 5), ARRAY(SELECT random() + i * 0 FROM generate_series(1, $3)), 0.2, true, false, false,
              0.5, 'judge', random(), 'prod'
       FROM generate_series($1::int, $2::int) AS i`,
      [firstSecond + start + 1, firstSecond + end, dimension],
    );
  }
}

/** Appends `count` rows newer than every row there (one second apart after the newest). */
export async function appendRows(db: Db, count: number, dimension: number): Promise<void> {
  const newest = await db.query<{ s: number | null }>(
    "SELECT extract(epoch FROM max(created_at) - timestamptz '2024-01-01 00:00:00+00')::int8 AS s FROM routing_outcomes",
  );
  await buildCorpus(db, count, dimension, Number(newest.rows[0]?.s ?? 0));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

async function timedRun(db: Db, options: CadenceOptions & { mode: "prod" }) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result: ProdCadenceResult = await runCadence(db, options);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { result, seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

function summarise(kind: "incremental" | "full", runs: Awaited<ReturnType<typeof timedRun>>[]): RefitWayMeasurement {
  const seconds = runs.map((r) => r.seconds);
  const middle = runs.find((r) => r.seconds === median(seconds))!;
  const steps: Record<string, number> = {};
  for (const timing of middle.result.timings) steps[timing.step] = (steps[timing.step] ?? 0) + timing.seconds;
  for (const run of runs) {
    if (run.result.refit.kind !== kind)
      throw new Error(`a ${kind} run refitted ${run.result.refit.kind}: ${run.result.refit.reason}`);
  }
  return {
    kind,
    seconds,
    medianSeconds: median(seconds),
    cpuSeconds: middle.cpuSeconds,
    rowsRead: middle.result.refit.rowsRead,
    rowsFitted: middle.result.corpus.rowsRead,
    steps,
  };
}

/**
 * On a database holding a corpus of judged prod rows: promotes a base fitted on it, appends
 * `newShare` of it, and times incremental and full cadences on that state (see the module comment).
 */
export async function measureIncrementalRefit(
  db: Db,
  options: IncrementalRefitMeasureOptions = {},
): Promise<IncrementalRefitMeasurement> {
  const { newShare = 0.01, repeats = 3, dimension = 16, append = appendRows } = options;
  const common = { ...options.cadence, mode: "prod" } as const;
  const loadBefore = loadavg()[0]!;
  // The base: a full refit promoted whatever its lower bound (a margin nothing misses).
  const base = await runCadence(db, { ...common, full: true, gateMargin: -1e300, minEffectiveSampleSize: 0 });
  if (!base.promoted) throw new Error(`the base was not promoted: ${base.gate.reason}`);
  const corpusRows = base.corpus.rowsRead;
  const appendedRows = Math.max(1, Math.round(corpusRows * newShare));
  await append(db, appendedRows, dimension);
  // Neither way promotes (a margin nothing passes), so every run starts from the same state.
  const never = { ...common, gateMargin: 1e300 };
  const incremental: Awaited<ReturnType<typeof timedRun>>[] = [];
  const full: Awaited<ReturnType<typeof timedRun>>[] = [];
  for (let i = 0; i < repeats; i++) {
    incremental.push(await timedRun(db, never));
    full.push(await timedRun(db, { ...never, full: true }));
  }
  const a = summarise("incremental", incremental);
  const b = summarise("full", full);
  return {
    corpusRows,
    appendedRows,
    incremental: a,
    full: b,
    ratio: a.medianSeconds / b.medianSeconds,
    load: [loadBefore, loadavg()[0]!],
  };
}

/** Builds a scratch corpus of `rows` rows and measures on it. */
export async function benchmarkIncrementalRefit(
  options: { rows: number; databaseUrl?: string } & IncrementalRefitMeasureOptions,
): Promise<IncrementalRefitMeasurement & { backend: "pglite" | "postgres"; loadSeconds: number }> {
  const { db, cleanup } = await scratchDb(options.databaseUrl, `linucb_bench_incremental_${process.pid}`);
  try {
    await migrateUp(db);
    const started = performance.now();
    await buildCorpus(db, options.rows, options.dimension ?? 16);
    await db.exec("ANALYZE routing_outcomes");
    const loadSeconds = (performance.now() - started) / 1000;
    const measured = await measureIncrementalRefit(db, options);
    return { backend: options.databaseUrl === undefined ? "pglite" : "postgres", loadSeconds, ...measured };
  } finally {
    await cleanup();
  }
}

function describe(r: Awaited<ReturnType<typeof benchmarkIncrementalRefit>>): string {
  const way = (m: RefitWayMeasurement): string => {
    const steps = Object.entries(m.steps)
      .filter(([, s]) => s >= 0.005)
      .map(([step, s]) => `${step} ${s.toFixed(2)}`)
      .join(", ");
    return (
      `  ${m.kind.padEnd(11)} ${m.medianSeconds.toFixed(2).padStart(7)} s (runs ${m.seconds.map((s) => s.toFixed(2)).join(", ")}), ` +
      `CPU ${m.cpuSeconds.toFixed(2)} s, read ${m.rowsRead} rows, fitted ${m.rowsFitted}\n              steps: ${steps}`
    );
  };
  const verdict = r.ratio <= 0.1 ? "meets" : "MISSES";
  return [
    `${r.backend}: ${r.corpusRows} rows + ${r.appendedRows} new (corpus built in ${r.loadSeconds.toFixed(1)} s), ` +
      `load ${r.load[0].toFixed(2)} → ${r.load[1].toFixed(2)}`,
    way(r.incremental),
    way(r.full),
    `  incremental / full = ${(r.ratio * 100).toFixed(1)}%: ${verdict} the target of ≤ 10%`,
  ].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      rows: { type: "string" },
      "new-share": { type: "string" },
      dimension: { type: "string" },
      repeats: { type: "string" },
      backend: { type: "string", default: "both" },
      "database-url": { type: "string" },
      json: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
    },
  });
  const databaseUrl = values["database-url"] ?? process.env.DATABASE_URL;
  const wanted = values.backend;
  if (wanted !== "both" && wanted !== "pglite" && wanted !== "postgres")
    throw new Error(`--backend must be pglite, postgres or both; received ${JSON.stringify(wanted)}`);
  const number = (text: string | undefined, name: string): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!(value > 0)) throw new Error(`--${name} must be a positive number; received ${JSON.stringify(text)}`);
    return value;
  };
  // --quick (npm run bench -- --quick --store: the CI smoke test): small corpora, one run each way.
  const quick = values.quick ? { repeats: 1 } : {};
  const common = {
    ...(values["new-share"] === undefined ? {} : { newShare: number(values["new-share"], "new-share")! }),
    ...(values.dimension === undefined ? {} : { dimension: number(values.dimension, "dimension")! }),
    ...(values.repeats === undefined ? quick : { repeats: number(values.repeats, "repeats")! }),
  };
  const rows = number(values.rows, "rows") ?? (values.quick ? 20_000 : undefined);
  const results: Awaited<ReturnType<typeof benchmarkIncrementalRefit>>[] = [];
  if (wanted !== "postgres") results.push(await benchmarkIncrementalRefit({ rows: rows ?? 100_000, ...common }));
  if (wanted !== "pglite") {
    if (databaseUrl === undefined || databaseUrl === "") {
      if (wanted === "postgres") throw new Error("--backend postgres needs --database-url or DATABASE_URL");
      process.stderr.write("store-incremental: no DATABASE_URL: PostgreSQL skipped\n");
    } else {
      results.push(await benchmarkIncrementalRefit({ rows: rows ?? 1_000_000, databaseUrl, ...common }));
    }
  }
  process.stdout.write(
    values.json ? `${JSON.stringify(results, null, 2)}\n` : `${results.map(describe).join("\n\n")}\n`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `store-incremental: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  });
}
