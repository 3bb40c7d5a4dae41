/**
 * A folder of demonstration reports, for the browser test and the screenshots: on a fresh embedded
 * database, a warm-up, then two production runs on production-like traffic drawn from a planted
 * synthetic world (seed 7, inserted as source 'prod' — a stand-in for real traffic, never used
 * outside demos and tests): the first is compared with the uniform policy and promoted, the second,
 * then, with no new traffic, has nothing to compare on; the third, with two more weeks of traffic, is
 * compared with the policy the first promoted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCadence, type CadenceResult } from "../src/cadence/index.js";
import { writeReportFiles, type ReportFiles } from "../src/report/index.js";
import { openDatabase, type Db } from "../src/store/index.js";
import { generateOutcomes, generateWorld } from "../src/synthetic/index.js";

/** The world that plays production traffic. */
const PROD_WORLD_SEED = 7;

/** One run of the demo: its result and its report files. */
export interface DemoRun {
  readonly result: CadenceResult;
  readonly files: ReportFiles;
}

/** Inserts `n` outcomes of the production world into routing_outcomes as source 'prod', `offsetDays` later. */
export async function insertProdTraffic(
  db: Db,
  options: { n: number; seed: number; offsetDays: number },
): Promise<void> {
  const world = generateWorld({ seed: PROD_WORLD_SEED });
  const rows = generateOutcomes(world, { n: options.n, seed: options.seed });
  const shift = options.offsetDays * 86_400_000;
  for (let start = 0; start < rows.length; start += 2000) {
    const batch = rows.slice(start, start + 2000);
    await db.query(
      `INSERT INTO routing_outcomes (created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused,
                                     judge_score, judge_model, reward, source)
       SELECT created_at, agent_id, cell, model, features::float8[], propensity, completed, hallucinated, refused,
              reward, 'demo', reward, 'prod'
       FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::bool[], $8::bool[], $9::bool[],
                    $10::float8[])
         AS input(created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused, reward)`,
      [
        batch.map((r) => new Date(r.createdAt.getTime() + shift).toISOString()),
        batch.map((r) => r.agentId),
        batch.map((r) => r.cell),
        batch.map((r) => r.model),
        batch.map((r) => `{${Array.from(r.features).join(",")}}`),
        batch.map((r) => r.propensity),
        batch.map((r) => r.completed),
        batch.map((r) => r.hallucinated),
        batch.map((r) => r.refused),
        batch.map((r) => r.reward),
      ],
    );
  }
}

/**
 * Runs the demo into `reportDir` on a fresh embedded database (in a temporary folder, removed
 * afterwards) and returns the four runs: warm-up, then three prod runs.
 */
export async function writeDemoReports(reportDir: string): Promise<DemoRun[]> {
  const dataDir = mkdtempSync(join(tmpdir(), "linucb-report-demo-"));
  const db = await openDatabase({ dataDir: join(dataDir, "db") });
  try {
    const runs: DemoRun[] = [];
    const run = async (mode: "warmup" | "prod"): Promise<void> => {
      const result = await runCadence(db, { mode, seed: 42, resamples: 300 });
      runs.push({ result, files: writeReportFiles(result, reportDir) });
    };
    await run("warmup");
    await insertProdTraffic(db, { n: 6000, seed: PROD_WORLD_SEED, offsetDays: 0 });
    await run("prod");
    // No traffic since the promotion: nothing to compare a candidate on.
    await run("prod");
    await insertProdTraffic(db, { n: 6000, seed: PROD_WORLD_SEED + 1, offsetDays: 14 });
    await run("prod");
    return runs;
  } finally {
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
