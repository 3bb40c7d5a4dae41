// The production gate at the cadence level, on both back ends: the incumbent is judged only on rows
// it was not trained on (above its recorded high-water id), a rerun with no new rows is a normal
// "not promoted", a candidate identical to the incumbent is never promoted, and a promoted version
// records the exploration it is to be served with.
import { beforeAll, beforeEach, expect, it } from "vitest";
import { runCli as linucb } from "../cli-run.js";
import { formatCadenceReport, renderHtmlReport } from "../../src/report/index.js";
import { runCadence, type CadenceOptions } from "../../src/cadence/index.js";
import { restoreLinUCB } from "../../src/engine/linucb.js";
import { getTrainingRun, migrateUp, readActivePolicy } from "../../src/store/index.js";
import { describeOnBackends, useFreshDatabase } from "../store/backends.js";
import { activeVersion, insertOutcomes, resetTables, scalar } from "./fixtures.js";

const PROD = { mode: "prod", resamples: 200 } as const satisfies CadenceOptions;

describeOnBackends("prod gate: a fair incumbent", (backend) => {
  const database = useFreshDatabase(backend);

  beforeAll(async () => {
    await migrateUp(database.db);
  });
  beforeEach(async () => {
    const { db } = database;
    await db.exec(
      "DELETE FROM active_policy; UPDATE training_runs SET policy_version_id = NULL; " +
        "DELETE FROM policy_versions; DELETE FROM training_runs",
    );
    await resetTables(db);
    await insertOutcomes(db, { n: 3000, source: "prod" });
  });

  it("records the training high-water id and the serving exploration; a rerun with no new rows neither fails nor promotes", async () => {
    const { db } = database;
    const first = await runCadence(db, PROD);
    expect(first.promoted).toBe(true);
    const active = await readActivePolicy(db);
    const maxId = await scalar(db, "SELECT max(id)::int8 AS value FROM routing_outcomes WHERE source = 'prod'");
    expect(active?.parameters.corpus).toMatchObject({
      highWaterId: maxId,
      basis: { fingerprint: { highWaterId: maxId } },
    });
    expect(active?.parameters.exploration).toEqual({ epsilon: 0.1 });
    expect((await restoreLinUCB(active!.snapshot)).options.exploration).toEqual({ epsilon: 0.1 });

    const second = await runCadence(db, PROD);
    expect(second.promoted).toBe(false);
    expect(second.gate.passed).toBe(false);
    expect(second.gate.reason).toMatch(
      /^nothing to evaluate on: no production rows newer than the incumbent's training/,
    );
    expect(second.evaluation).toBeNull();
    expect(second.corpus.split).toMatchObject({
      newerThanId: maxId,
      eligible: 0,
      heldOut: 0,
      cutoff: null,
      training: 3000,
    });
    expect(second.corpus.rowsRead).toBe(3000);
    expect(await getTrainingRun(db, second.runId)).toMatchObject({ status: "succeeded", promoted: false });
    expect(await activeVersion(db)).toBe(first.policyVersionId);
    // The report says why, and shows the first run's support diagnostics.
    expect(formatCadenceReport(second)).toMatch(
      /Held-out evaluation: none \(no rows newer than the incumbent's training\)/,
    );
    const firstReport = formatCadenceReport(first);
    expect(firstReport).toMatch(/support {7}candidate mean weight \d\.\d{4} ± \d\.\d{4}, zero weights \d+\.\d{4}% /);
    expect(firstReport).toMatch(/\(propensities predict \d+\.\d{4}%\)/);
    expect(renderHtmlReport(first)).toMatch(/<h2>Gate figures<\/h2>[\s\S]*<th>candidate<\/th><td>\d\.\d{3} ± /);
    expect(renderHtmlReport(second)).not.toMatch(/<h2>Gate figures<\/h2>/);
    expect(firstReport).toMatch(/support {7}evidence {2}\d+ events where the weights differ/);
    // The JSON of the result (what --json prints) keeps the contract fields.
    type Contract = { gate: { passed: boolean; reason: string }; corpus: { rowsRead: number; rowsRejected: number } };
    const json = JSON.parse(JSON.stringify(second)) as Contract;
    expect(json.gate.passed).toBe(false);
    expect(json.corpus).toMatchObject({ rowsRead: 3000, rowsRejected: 0 });
  });

  it("judges the incumbent only on rows above its mark, and never promotes a candidate identical to it", async () => {
    const { db } = database;
    const first = await runCadence(db, PROD);
    const mark = await scalar(db, "SELECT max(id)::int8 AS value FROM routing_outcomes WHERE source = 'prod'");
    // 40 new rows, all held out (share 0.99): the candidate is trained on exactly the incumbent's rows.
    await insertOutcomes(db, { n: 40, source: "prod", offsetDays: 20 });
    const second = await runCadence(db, { ...PROD, heldOutShare: 0.99, minEffectiveSampleSize: 0 });
    expect(second.corpus.split).toMatchObject({ newerThanId: mark, eligible: 40, heldOut: 40, training: 3000 });
    expect(second.corpus.split.cutoff!.id).toBeGreaterThan(mark!);
    expect(second.evaluation?.incumbent).toEqual({ kind: "active", policyVersionId: first.policyVersionId });
    expect(second.gate.difference).toBe(0);
    expect(second.gate.lowerBound).toBeLessThanOrEqual(0);
    expect(second.gate.passed).toBe(false);
    expect(second.promoted).toBe(false);
    expect(await activeVersion(db)).toBe(first.policyVersionId);
  });

  it("serves a promoted policy with the exploration asked for", async () => {
    const { db } = database;
    const result = await runCadence(db, { ...PROD, serveExploration: { softmax: 0.2 } });
    expect(result.promoted).toBe(true);
    expect((await readActivePolicy(db))?.parameters.exploration).toEqual({ softmax: 0.2 });
    await expect(runCadence(db, { ...PROD, serveExploration: { epsilon: 2 } })).rejects.toThrow(/serveExploration/);
  });
});

it("linucb cadence: --gate-margin and --serve-exploration are checked as usage errors (exit 2)", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["cadence", "--mode", "prod", "--serve-exploration", "greedy"],
      /--serve-exploration must be ucb, epsilon:E or softmax:T; received "gr/,
    ],
    [["cadence", "--mode", "prod", "--serve-exploration", "epsilon:1.5"], /--serve-exploration/],
    [["cadence", "--mode", "prod", "--gate-margin", "x"], /--gate-margin/],
  ];
  for (const [argv, message] of cases) {
    const run = await linucb(argv);
    expect(run.code, argv.join(" ")).toBe(2);
    expect(run.stderr).toMatch(message);
  }
  expect((await linucb(["cadence", "--help"])).stdout).toMatch(/--serve-exploration X .*default: epsilon:0\.1/);
});
