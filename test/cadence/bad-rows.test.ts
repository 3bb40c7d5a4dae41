/**
 * A prod cadence over a corpus holding every kind of bad row: each is rejected by id with its
 * reason, the run goes on with the rest, and nothing of a bad row reaches the engine — shown by a
 * twin corpus where each bad row is replaced by a row the reader has always rejected (reward NaN) at
 * the same place: the two runs must produce the same split, the same evaluation and byte-identical
 * policy snapshots.
 *
 * The rows with empty ids are written at schema version 5, before migration 006 refused them; the
 * cadence's own schema step then applies 006 (its checks are NOT VALID, so those rows do not make it
 * fail) and its reader rejects them.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runCadence, type ProdCadenceResult } from "../../src/cadence/index.js";
import { decodeSnapshot } from "../../src/engine/snapshot.js";
import { getTrainingRun, migrateUp, openDatabase, readPolicyVersion, type Db } from "../../src/store/index.js";
import { runCli as linucb } from "../cli-run.js";
import { describeOnBackends, type FreshDatabase } from "../store/backends.js";
import { insertOutcomes } from "./fixtures.js";

/** One bad row: what it breaks (a SET clause over a copy of a good row) and the reason the reader gives. */
interface BadRow {
  readonly kind: string;
  readonly set: string;
  readonly reason: RegExp;
}

const BAD_ROWS: readonly BadRow[] = [
  { kind: "reward", set: "reward = 1e300", reason: /^reward: 1e\+300 is outside the declared range \[-0\.75, 1\]$/ },
  { kind: "reward", set: "reward = -1e300", reason: /^reward: -1e\+300 is outside the declared range \[-0\.75, 1\]$/ },
  { kind: "reward", set: "reward = 2", reason: /^reward: 2 is outside the declared range \[-0\.75, 1\]$/ },
  { kind: "reward", set: "reward = -0.8", reason: /^reward: -0\.8 is outside the declared range \[-0\.75, 1\]$/ },
  { kind: "propensity", set: "propensity = 1e-300", reason: /^propensity: 1e-300 is not in \[0\.000001, 1\]$/ },
  {
    kind: "features",
    set: "features[3] = 1e9",
    reason: /^features: element 2 is 1000000000, beyond the magnitude bound 1000000$/,
  },
  { kind: "model", set: "model = ''", reason: /^model: empty$/ },
  { kind: "cell", set: "cell = ''", reason: /^cell: empty$/ },
  { kind: "agent_id", set: "agent_id = ''", reason: /^agent_id: empty$/ },
];

const OPTIONS = { mode: "prod", resamples: 200 } as const;

/**
 * Fills a database at schema version 5 with 3,000 good prod rows and, for each bad row, a copy of a
 * good row (spread over the two weeks, so in both slices) changed by `set` — or, in the twin, by a
 * NaN reward. Returns the ids of the copies, in BAD_ROWS order.
 */
async function fill(db: Db, twin: boolean): Promise<number[]> {
  await migrateUp(db, { to: 5 });
  await insertOutcomes(db, { n: 3000, source: "prod" });
  const ids: number[] = [];
  for (const [i, bad] of BAD_ROWS.entries()) {
    const copied = await db.query<{ id: number }>(
      `INSERT INTO routing_outcomes (created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused, judge_score, judge_model, reward, source)
       SELECT created_at + interval '1 second', agent_id, cell, model, features, propensity, completed, hallucinated, refused, judge_score, judge_model, reward, source
       FROM routing_outcomes WHERE id = $1 RETURNING id`,
      [150 + i * 300],
    );
    const id = (copied.rows[0] as { id: number }).id;
    await db.query(`UPDATE routing_outcomes SET ${twin ? "reward = 'NaN'" : bad.set} WHERE id = $1`, [id]);
    ids.push(id);
  }
  return ids;
}

describeOnBackends("prod cadence over bad rows", (backend) => {
  let bad: FreshDatabase;
  let twin: FreshDatabase;
  let badIds: number[];
  let result: ProdCadenceResult;
  let twinResult: ProdCadenceResult;

  beforeAll(async () => {
    bad = await backend.fresh();
    twin = await backend.fresh();
    badIds = await fill(bad.db, false);
    await fill(twin.db, true);
    result = await runCadence(bad.db, OPTIONS);
    twinResult = await runCadence(twin.db, OPTIONS);
  });
  afterAll(async () => {
    await bad?.dispose();
    await twin?.dispose();
  });

  it("rejects every bad row by id with its reason, counted by reason, and goes on with the rest", async () => {
    const { corpus } = result;
    expect(corpus.rowsRejected).toBe(BAD_ROWS.length);
    expect(corpus.rowsRead).toBe(3000);
    expect(corpus.rejectedByReason).toEqual({ reward: 4, propensity: 1, features: 1, model: 1, cell: 1, agent_id: 1 });
    const examples = [...corpus.rejectedExamples].sort((a, b) => a.id - b.id);
    expect(examples.map((row) => row.id)).toEqual(badIds);
    examples.forEach((row, i) => expect(row.reason).toMatch(BAD_ROWS[i]!.reason));
    expect(corpus.bounds).toEqual({ reward: { min: -0.75, max: 1 }, minPropensity: 1e-6, maxFeatureMagnitude: 1e6 });
    // Both slices met bad rows, and the run was not failed by them.
    expect(corpus.training.rejected).toBeGreaterThan(0);
    expect(corpus.heldOut.rejected).toBeGreaterThan(0);
    expect(await getTrainingRun(bad.db, result.runId)).toMatchObject({
      status: "succeeded",
      rowsRead: 3000,
      rowsRejected: BAD_ROWS.length,
    });
  });

  it("keeps a bad row out of the arm list and the dimension", () => {
    expect(result.corpus.split.models).not.toContain("");
    expect(result.corpus.split.dimension).toBe(10);
    expect(result.engine.arms).toEqual(twinResult.engine.arms);
    expect(result.engine.arms).not.toContain("");
  });

  it("lets nothing of a bad row reach the engine or the evaluation: the same run as on the twin, byte for byte", async () => {
    expect(result.corpus.split).toEqual(twinResult.corpus.split);
    expect(result.evaluation).toEqual(twinResult.evaluation);
    expect(result.gate).toEqual(twinResult.gate);
    expect(result.promoted).toBe(true);
    expect(twinResult.promoted).toBe(true);
    const ours = await readPolicyVersion(bad.db, result.policyVersionId!);
    const theirs = await readPolicyVersion(twin.db, twinResult.policyVersionId!);
    expect(ours?.sha256).toBe(theirs?.sha256);
    // And, directly: every statistic of the promoted policy is finite and of the size 3,000 rows make
    // (b = λθ₀ + Σrx is left out: it scales with the per-cell ridge the data chose, up to 10⁸).
    const decoded = decodeSnapshot(ours!.snapshot);
    for (let cell = 0; cell < decoded.cells.length; cell++) {
      for (let arm = 0; arm < decoded.options.arms.length; arm++) {
        const record = decoded.record(cell, arm);
        expect(record.b.every(Number.isFinite)).toBe(true);
        for (const values of [record.theta, record.xr ?? new Float64Array(0), record.xx ?? new Float64Array(0)]) {
          for (const value of values) expect(Math.abs(value)).toBeLessThan(1e5);
        }
      }
    }
    for (const estimate of [result.evaluation!.candidate.snips, result.evaluation!.incumbentEstimates.snips]) {
      expect(estimate.value).toBeGreaterThanOrEqual(-0.75);
      expect(estimate.value).toBeLessThanOrEqual(1);
    }
  });

  it("lists the rejected rows in --json, the text report and the HTML report", async () => {
    await bad.db.close(); // the command opens the database itself (PGlite: one opener per folder)
    const target =
      bad.options.databaseUrl !== undefined
        ? ["--database-url", bad.options.databaseUrl]
        : ["--data-dir", bad.options.dataDir as string];
    const reports = mkdtempSync(join(tmpdir(), "linucb-bad-rows-"));
    const json = await linucb([
      "cadence",
      "--mode",
      "prod",
      "--json",
      "--report-dir",
      reports,
      "--resamples",
      "100",
      // The twin's earlier runs may have promoted a base: --full reads (and rejects) every row again.
      "--full",
      ...target,
    ]);
    expect([0, 3], json.stderr).toContain(json.code);
    const printed = JSON.parse(json.stdout) as {
      mode: string;
      gate: { passed: boolean; reason: string };
      promoted: boolean;
      corpus: ProdCadenceResult["corpus"];
      refit: ProdCadenceResult["refit"];
    };
    expect(printed.mode).toBe("prod");
    expect(printed.refit).toMatchObject({ kind: "full", reason: "--full: a refit from scratch was asked for" });
    expect(printed.refit.rowsRead).toBe(3000 + BAD_ROWS.length);
    expect(typeof printed.gate.reason).toBe("string");
    expect(printed.corpus).toMatchObject({
      rowsRead: 3000,
      rowsRejected: BAD_ROWS.length,
      rejectedByReason: { reward: 4, propensity: 1, features: 1, model: 1, cell: 1, agent_id: 1 },
    });
    expect(printed.corpus.rejectedExamples.map((row) => row.id).sort((a, b) => a - b)).toEqual(badIds);
    const html = readFileSync((JSON.parse(json.stdout) as { reportFiles: { html: string } }).reportFiles.html, "utf8");
    for (const id of badIds) expect(html).toMatch(new RegExp(`<li>row ${id}: `));
    rmSync(reports, { recursive: true, force: true });

    const text = await linucb([
      "cadence",
      "--mode",
      "prod",
      "--no-report",
      "--resamples",
      "100",
      "--min-propensity",
      "1e-9",
      ...target,
    ]);
    expect([0, 3], text.stderr).toContain(text.code);
    expect(text.stdout).toMatch(
      /rejected {6}9 rows \(.*reward 4.*\); bounds: reward in \[-0\.75, 1\], propensity ≥ 1e-9, \|feature\| ≤ 1000000/,
    );
    for (const id of badIds) expect(text.stdout).toMatch(new RegExp(`\\n  row ${id}: `));
    // Reopened for dispose.
    bad = { ...bad, db: await openDatabase(bad.options) } as FreshDatabase;
  });
});
