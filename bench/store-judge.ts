/**
 * Judge throughput (issue 14 item 1): the built-in judge labelling unjudged prod rows in SQL
 * (judgeUnlabelledInSql, one UPDATE per batch) next to the batch path every pluggable judge takes
 * (judgeUnlabelled: rows to JavaScript and verdicts back), on PostgreSQL (DATABASE_URL or
 * --database-url) and PGlite. A plain script, runnable after the build:
 *
 *   node dist/bench/store-judge.js [--rows N] [--batch-size B] [--backend pglite|postgres|both] [--quick] [--json]
 *
 * For each back end it builds `rows` unjudged prod rows at d = 16 (plus 10% shadow and synthetic
 * rows the judge must skip) in a scratch database, judges them in SQL, then through the batch path,
 * and last times one plain `UPDATE … SET reward = 1` of the same rows (each pass after the same
 * reset of the rewards and a VACUUM) — the floor of any judge that writes its verdicts into the table (each update writes
 * a new heap tuple and an entry in each of the table's indexes). Target: ≥ 200k rows/s in SQL on PostgreSQL.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { outcomeRewardJudge } from "../src/cadence/judge.js";
import type { Db } from "../src/store/db.js";
import { judgeUnlabelled } from "../src/store/judge-queue.js";
import { migrateUp } from "../src/store/migrator.js";
import { openDatabase } from "../src/store/open-database.js";
import { judgeUnlabelledInSql } from "../src/store/sql-judge.js";

/** One judging pass. */
export interface JudgeMeasurement {
  readonly judged: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
}

/** What one back end measured. */
export interface StoreJudgeResult {
  readonly backend: "pglite" | "postgres";
  readonly rows: number;
  readonly sqlBatchSize: number;
  readonly sql: JudgeMeasurement;
  readonly batches: JudgeMeasurement;
  /** One plain `UPDATE … SET reward = 1` of the same rows: the floor of any judge that writes the table. */
  readonly plainUpdate: JudgeMeasurement;
  readonly targetRowsPerSecond: number | null;
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

/** A scratch database on the back end, and how to get rid of it. */
async function scratchDatabase(databaseUrl: string | undefined): Promise<{ db: Db; cleanup: () => Promise<void> }> {
  if (databaseUrl === undefined) {
    const folder = mkdtempSync(join(tmpdir(), "linucb-bench-judge-"));
    const db = await openDatabase({ dataDir: join(folder, "db") });
    return { db, cleanup: async () => (await db.close(), rmSync(folder, { recursive: true, force: true })) };
  }
  const name = `linucb_bench_judge_${process.pid}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: url.toString() });
  const cleanup = async (): Promise<void> => {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  };
  return { db, cleanup };
}

/** Runs the benchmark on one back end (PostgreSQL if `databaseUrl` is given, else PGlite). */
export async function benchmarkStoreJudge(options: {
  rows: number;
  sqlBatchSize: number;
  databaseUrl?: string;
}): Promise<StoreJudgeResult> {
  const backend = options.databaseUrl === undefined ? "pglite" : "postgres";
  const { db, cleanup } = await scratchDatabase(options.databaseUrl);
  const judge = outcomeRewardJudge();
  const table = "routing_outcomes";
  try {
    await migrateUp(db);
    await buildUnjudgedCorpus(db, options.rows);
    const reset = async (): Promise<void> => {
      await db.exec("UPDATE routing_outcomes SET reward = NULL, judge_score = NULL, judge_model = NULL");
      await db.exec("VACUUM ANALYZE routing_outcomes");
    };
    // Every pass starts from the same state: all rewards null after one reset, dead tuples vacuumed.
    await reset();
    const sql = await timed(() =>
      judgeUnlabelledInSql(db, {
        table,
        judgeModel: judge.name,
        reward: judge.sqlReward!,
        batchSize: options.sqlBatchSize,
      }),
    );
    await reset();
    const batches = await timed(() =>
      judgeUnlabelled(db, { table, judgeModel: judge.name, judge: (rows) => judge.judge(rows) }),
    );
    await reset();
    const plainUpdate = await timed(async () => ({
      judged: (await db.query("UPDATE routing_outcomes SET reward = 1 WHERE source = 'prod' AND reward IS NULL"))
        .rowCount,
    }));
    return {
      backend,
      rows: sql.judged,
      sqlBatchSize: options.sqlBatchSize,
      sql,
      batches,
      plainUpdate,
      targetRowsPerSecond: backend === "postgres" ? 200_000 : null,
    };
  } finally {
    await cleanup();
  }
}

function describe(result: StoreJudgeResult): string {
  const line = (label: string, m: JudgeMeasurement): string =>
    `  ${label.padEnd(28)} ${String(m.judged).padStart(8)} rows  ${m.seconds.toFixed(2).padStart(6)} s  ${Math.round(m.rowsPerSecond).toLocaleString("en").padStart(9)} rows/s`;
  const target = result.targetRowsPerSecond;
  const verdict =
    target === null
      ? []
      : [
          `  ${result.sql.rowsPerSecond >= target ? "meets" : "MISSES"} the target of ${target.toLocaleString("en")} rows/s in SQL`,
        ];
  return [
    `${result.backend}: judge ${result.rows} unjudged prod rows, d = ${DIMENSION}`,
    line(`SQL (batches of ${result.sqlBatchSize})`, result.sql),
    line("JS batches of 1000", result.batches),
    line("floor: one plain UPDATE", result.plainUpdate),
    ...verdict,
  ].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      rows: { type: "string" },
      "batch-size": { type: "string", default: "50000" },
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
  const sqlBatchSize = Number(values["batch-size"]);
  const results: StoreJudgeResult[] = [];
  if (wanted !== "postgres") results.push(await benchmarkStoreJudge({ rows: Math.min(rows, 50_000), sqlBatchSize }));
  if (wanted !== "pglite") {
    if (databaseUrl === undefined || databaseUrl === "") {
      if (wanted === "postgres") throw new Error("--backend postgres needs --database-url or DATABASE_URL");
      process.stderr.write("store-judge: no DATABASE_URL: PostgreSQL skipped\n");
    } else {
      results.push(await benchmarkStoreJudge({ rows, sqlBatchSize, databaseUrl }));
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
