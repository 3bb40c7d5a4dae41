/**
 * Judge throughput (issue 14 item 1): the built-in judge labelling unjudged prod rows with one
 * watermark (judgeUnlabelledInSql, migration 009) next to the batch path every pluggable judge takes
 * (judgeUnlabelled: rows to JavaScript and verdicts back), on PostgreSQL (DATABASE_URL or
 * --database-url) and PGlite; and what the watermark costs the corpus reader, which then computes
 * each reward from the row's flags. A plain script, runnable after the build:
 *
 *   node dist/bench/store-judge.js [--rows N] [--backend pglite|postgres|both] [--quick] [--json]
 *
 * For each back end it builds `rows` unjudged prod rows at d = 16 (plus 10% shadow and synthetic
 * rows the judge must skip) in a scratch database and then, in order: judges them with the
 * watermark; reads the corpus twice (a warm-up, then timed: rewards computed at read time); writes
 * the same rewards into the rows with one plain UPDATE (the floor of any judge that writes verdicts
 * into the wide rows — what the set-based judge did before migration 009) and drops the watermark;
 * compacts the table (VACUUM FULL) and reads it again (rewards stored); resets the rewards and judges
 * through the batch path.
 * Target: ≥ 200k rows/s for the judge on PostgreSQL, the read with computed rewards as fast as with
 * stored ones.
 */
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { outcomeRewardJudge } from "../src/cadence/judge.js";
import type { Db } from "../src/store/db.js";
import { readCorpus } from "../src/store/corpus-reader.js";
import { judgeUnlabelled } from "../src/store/judge-queue.js";
import { judgedRewardSql, readJudgeWatermarks } from "../src/store/judge-watermarks.js";
import { migrateUp } from "../src/store/migrator.js";
import { judgeUnlabelledInSql } from "../src/store/sql-judge.js";
import { scratchDb } from "./scratch-database.js";

/** One judging pass. */
export interface JudgeMeasurement {
  readonly judged: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

/** One full corpus read. */
export interface ReadMeasurement {
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  /** This process's CPU time (user + system) per row read, µs: the decoding side, load-independent. */
  readonly cpuMicrosPerRow: number;
}

/** What one back end measured. */
export interface StoreJudgeResult {
  readonly backend: "pglite" | "postgres";
  readonly rows: number;
  /** The built-in judge: one watermark. */
  readonly sql: JudgeMeasurement;
  readonly batches: JudgeMeasurement;
  /** One plain UPDATE writing the same rewards into the rows: the floor of any judge that writes the table. */
  readonly plainUpdate: JudgeMeasurement;
  /** The corpus read with rewards computed from the watermark. */
  readonly readComputed: ReadMeasurement;
  /** The same read with the rewards stored in the rows (after the plain UPDATE and VACUUM FULL). */
  readonly readStored: ReadMeasurement;
  readonly targetRowsPerSecond: number | null;
  /** 1-minute load average when the back end's run started and ended. */
  readonly load: readonly [number, number];
}

const DIMENSION = 16;

/** `rows` unjudged prod rows with varied flags, plus 10% shadow and synthetic ones, built in SQL in slices of 100k. */
async function buildUnjudgedCorpus(db: Db, rows: number): Promise<void> {
  const total = Math.round(rows / 0.9);
  const slice = 100_000;
  for (let start = 0; start < total; start += slice) {
    // Every tenth row is not prod: i % 10 = 0 for exactly ⌊total / 10⌋ rows, so total − that = rows (± 1).
    await db.query(
      `INSERT INTO routing_outcomes (created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused, source)
       SELECT timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second', 'agent-' || (i % 7), 'cell-' || (i % 12), 'model-' || (i % 5),
              ARRAY(SELECT random() + i * 0 FROM generate_series(1, $3)), 0.2, i % 3 <> 0, i % 7 = 0, i % 3 = 0,
              CASE WHEN i % 10 = 0 THEN (CASE WHEN i % 20 = 0 THEN 'synthetic' ELSE 'shadow' END) ELSE 'prod' END
       FROM generate_series($1::int, $2::int) AS i`,
      [start + 1, Math.min(total, start + slice), DIMENSION],
    );
  }
}

async function timed(run: () => Promise<{ judged: number }>): Promise<JudgeMeasurement> {
  const started = performance.now();
  const { judged } = await run();
  const seconds = (performance.now() - started) / 1000;
  return { judged, seconds, rowsPerSecond: judged / seconds };
}

/** Reads the whole prod corpus once; the rewards must all be there. */
async function timedRead(db: Db, expected: number): Promise<ReadMeasurement> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const reader = readCorpus(db, { table: "routing_outcomes", dimension: DIMENSION });
  for await (const _chunk of reader) {
    // Decoding is the work measured.
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const rows = reader.totals.accepted;
  if (rows !== expected) throw new Error(`the read yielded ${rows} judged rows, expected ${expected}`);
  return { rows, seconds, rowsPerSecond: rows / seconds, cpuMicrosPerRow: (used.user + used.system) / rows };
}

/** Runs the benchmark on one back end (PostgreSQL if `databaseUrl` is given, else PGlite). */
export async function benchmarkStoreJudge(options: { rows: number; databaseUrl?: string }): Promise<StoreJudgeResult> {
  const backend = options.databaseUrl === undefined ? "pglite" : "postgres";
  const { db, cleanup } = await scratchDb(options.databaseUrl, `linucb_bench_judge_${process.pid}`);
  const judge = outcomeRewardJudge();
  const table = "routing_outcomes";
  const loadBefore = loadavg()[0] as number;
  try {
    await migrateUp(db);
    await buildUnjudgedCorpus(db, options.rows);
    await db.exec("VACUUM ANALYZE routing_outcomes");
    const sql = await timed(() =>
      judgeUnlabelledInSql(db, { table, judgeModel: judge.name, reward: judge.sqlReward! }),
    );
    await timedRead(db, sql.judged); // warm-up: the decoder's JIT and the table's pages, for both reads alike
    const readComputed = await timedRead(db, sql.judged);
    // The old way: every verdict written into its row (the same rewards), the watermark dropped.
    const reward = judgedRewardSql(await readJudgeWatermarks(db, table));
    const plainUpdate = await timed(async () => ({
      judged: (
        await db.query(`UPDATE routing_outcomes SET reward = ${reward} WHERE source = 'prod' AND reward IS NULL`)
      ).rowCount,
    }));
    await db.exec("DELETE FROM judge_watermarks");
    await db.exec("VACUUM FULL ANALYZE routing_outcomes");
    const readStored = await timedRead(db, sql.judged);
    await db.exec("UPDATE routing_outcomes SET reward = NULL, judge_score = NULL, judge_model = NULL");
    await db.exec("VACUUM ANALYZE routing_outcomes");
    const batches = await timed(() =>
      judgeUnlabelled(db, { table, judgeModel: judge.name, judge: (rows) => judge.judge(rows) }),
    );
    return {
      backend,
      rows: sql.judged,
      sql,
      batches,
      plainUpdate,
      readComputed,
      readStored,
      targetRowsPerSecond: backend === "postgres" ? 200_000 : null,
      load: [loadBefore, loadavg()[0] as number],
    };
  } finally {
    await cleanup();
  }
}

function describe(result: StoreJudgeResult): string {
  const rate = (perSecond: number): string => Math.round(perSecond).toLocaleString("en").padStart(11);
  const line = (label: string, m: JudgeMeasurement): string =>
    `  ${label.padEnd(34)} ${String(m.judged).padStart(8)} rows  ${m.seconds.toFixed(3).padStart(7)} s  ${rate(m.rowsPerSecond)} rows/s`;
  const read = (label: string, m: ReadMeasurement): string =>
    `  ${label.padEnd(34)} ${String(m.rows).padStart(8)} rows  ${m.seconds.toFixed(3).padStart(7)} s  ${rate(m.rowsPerSecond)} rows/s  ${m.cpuMicrosPerRow.toFixed(2)} µs CPU/row`;
  const target = result.targetRowsPerSecond;
  const verdict =
    target === null
      ? []
      : [
          `  ${result.sql.rowsPerSecond >= target ? "meets" : "MISSES"} the target of ${target.toLocaleString("en")} rows/s`,
        ];
  return [
    `${result.backend}: judge ${result.rows} unjudged prod rows, d = ${DIMENSION} (load ${result.load[0].toFixed(2)} → ${result.load[1].toFixed(2)})`,
    line("built-in judge: one watermark", result.sql),
    line("pluggable: JS batches of 1000", result.batches),
    line("floor of row writes: plain UPDATE", result.plainUpdate),
    read("read, rewards computed (watermark)", result.readComputed),
    read("read, rewards stored", result.readStored),
    ...verdict,
  ].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      rows: { type: "string" },
      backend: { type: "string", default: "both" },
      "database-url": { type: "string" },
      quick: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  const databaseUrl = values["database-url"] ?? process.env.DATABASE_URL;
  const wanted = values.backend;
  if (wanted !== "both" && wanted !== "pglite" && wanted !== "postgres")
    throw new Error(`--backend must be pglite, postgres or both; received ${JSON.stringify(wanted)}`);
  const rows = values.rows === undefined ? (values.quick ? 20_000 : 200_000) : Number(values.rows);
  const results: StoreJudgeResult[] = [];
  if (wanted !== "postgres") results.push(await benchmarkStoreJudge({ rows: Math.min(rows, 50_000) }));
  if (wanted !== "pglite") {
    if (databaseUrl === undefined || databaseUrl === "") {
      if (wanted === "postgres") throw new Error("--backend postgres needs --database-url or DATABASE_URL");
      process.stderr.write("store-judge: no DATABASE_URL: PostgreSQL skipped\n");
    } else {
      results.push(await benchmarkStoreJudge({ rows, databaseUrl }));
    }
  }
  process.stdout.write(
    values.json ? `${JSON.stringify(results, null, 2)}\n` : `${results.map(describe).join("\n\n")}\n`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`store-judge: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
