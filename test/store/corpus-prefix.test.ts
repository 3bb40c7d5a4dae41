// The corpus prefix fingerprint (what an incremental refit checks before it reuses statistics) and
// the Σr² stored beside a policy version (migration 011), on both back ends.
import { beforeAll, beforeEach, expect, it } from "vitest";
import {
  activatePolicyVersion,
  corpusPrefixFingerprint,
  describePrefixChange,
  insertPolicyVersion,
  judgeUnlabelledInSql,
  migrateUp,
  readActivePolicy,
  splitCorpusByTime,
  startTrainingRun,
  finishTrainingRun,
} from "../../src/store/index.js";
import { insertOutcomes, resetTables } from "../cadence/fixtures.js";
import { describeOnBackends, useFreshDatabase } from "./backends.js";

describeOnBackends("corpus prefix fingerprint", (backend) => {
  const database = useFreshDatabase(backend);

  beforeAll(async () => {
    await migrateUp(database.db);
  });
  beforeEach(async () => {
    await resetTables(database.db);
  });

  it("counts the rows and judged rows at or below the mark, prod rows only, with exact id sums", async () => {
    const { db } = database;
    await insertOutcomes(db, { n: 30, source: "prod" });
    await insertOutcomes(db, { n: 10, source: "prod", judged: false });
    await insertOutcomes(db, { n: 5, source: "shadow" });
    const all = await corpusPrefixFingerprint(db, "routing_outcomes", 45);
    // ids 1..40 are prod (1..30 judged), 41..45 shadow: never counted.
    expect(all).toMatchObject({ highWaterId: 45, rows: 40, idSum: "820", judged: 30, judgedIdSum: "465" });
    expect(all.newestAtMs).toBeGreaterThan(Date.UTC(2025, 0, 1));
    expect(await corpusPrefixFingerprint(db, "routing_outcomes", 10)).toMatchObject({ rows: 10, idSum: "55" });
    expect(await corpusPrefixFingerprint(db, "routing_outcomes", 0)).toMatchObject({ rows: 0, idSum: "0" });
    await expect(corpusPrefixFingerprint(db, "routing_outcomes", -1)).rejects.toThrow(
      /highWaterId must be a non-negative integer; received -1/,
    );
    await expect(corpusPrefixFingerprint(db, "outcomes" as never, 1)).rejects.toThrow(/table must be/);
  });

  it("changes, and says how, when a row at or below the mark is judged, deleted, or committed late", async () => {
    const { db } = database;
    await insertOutcomes(db, { n: 20, source: "prod" });
    await insertOutcomes(db, { n: 5, source: "prod", judged: false });
    const then = await corpusPrefixFingerprint(db, "routing_outcomes", 25);
    expect(describePrefixChange(then, await corpusPrefixFingerprint(db, "routing_outcomes", 25))).toBeNull();

    // Judged by the set-based judge: a watermark over ids up to 25, no row written.
    await judgeUnlabelledInSql(db, {
      table: "routing_outcomes",
      judgeModel: "test",
      reward: { kind: "linear-outcome", hallucinationPenalty: 0.5, refusalPenalty: 0.25 },
    });
    const marked = await corpusPrefixFingerprint(db, "routing_outcomes", 25);
    expect(marked).toMatchObject({ rows: 25, judged: 25 });
    expect(describePrefixChange(then, marked)).toBe(
      "5 row(s) at or below id 25 were judged after the statistics were fitted (they were skipped then, unjudged)",
    );
    // Back to no watermark; one row judged by a stored reward instead.
    await db.query("DELETE FROM judge_watermarks");
    await db.query("UPDATE routing_outcomes SET reward = 0.5 WHERE id = 22");
    const judged = await corpusPrefixFingerprint(db, "routing_outcomes", 25);
    expect(describePrefixChange(then, judged)).toBe(
      "1 row(s) at or below id 25 were judged after the statistics were fitted (they were skipped then, unjudged)",
    );
    await db.query("UPDATE routing_outcomes SET source = 'shadow' WHERE id = 3");
    expect(describePrefixChange(judged, await corpusPrefixFingerprint(db, "routing_outcomes", 25))).toMatch(
      /1 fewer row\(s\) than when they were fitted \(deleted or moved out of the corpus\)/,
    );
    // Rows above the mark change nothing.
    await insertOutcomes(db, { n: 3, source: "prod" });
    const moved = await corpusPrefixFingerprint(db, "routing_outcomes", 25);
    expect(describePrefixChange(moved, await corpusPrefixFingerprint(db, "routing_outcomes", 25))).toBeNull();
    expect(describePrefixChange(moved, await corpusPrefixFingerprint(db, "routing_outcomes", 26))).toMatch(
      /different marks/,
    );
  });

  it("splits with a known prefix as it splits the whole corpus, and splits whole when the dimension may have moved", async () => {
    const { db } = database;
    await insertOutcomes(db, { n: 300, source: "prod" });
    await insertOutcomes(db, { n: 80, seed: 3, source: "prod", offsetDays: 20 });
    const options = { table: "routing_outcomes", heldOutShare: 0.25, newerThanId: 300 } as const;
    const whole = await splitCorpusByTime(db, options);
    const before = await splitCorpusByTime(db, { ...options, newerThanId: 0 });
    const now = await corpusPrefixFingerprint(db, "routing_outcomes", 300);
    const prefix = {
      throughId: 300,
      rows: now.rows,
      dimension: before.dimension!,
      models: ["model-a"],
      newestAtMs: now.newestAtMs,
    };
    expect(await splitCorpusByTime(db, { ...options, prefix })).toEqual(whole);
    // New rows of another length, more of them than of the prefix's among the new rows: split whole.
    await db.query("UPDATE routing_outcomes SET features = features || 1.0::float8 WHERE id > 330");
    const moved = await splitCorpusByTime(db, { ...options, prefix: { ...prefix, models: ["nothing"] } });
    expect(moved).toEqual(await splitCorpusByTime(db, options));
    expect(moved.models).not.toContain("nothing");
  });

  it("stores Σr² beside a version exactly, and refuses non-finite or negative values", async () => {
    const { db } = database;
    const run = await startTrainingRun(db, { cadence: "prod", seed: 1, parameters: {} });
    await finishTrainingRun(db, run.id, { rowsRead: 1, rowsRejected: 0, cells: 1, metrics: {} });
    const values = new Float64Array([0, 1 / 3, 1e-300, 123456.789, Number.MAX_VALUE]);
    const snapshot = new Uint8Array([1, 2, 3]);
    await expect(
      insertPolicyVersion(db, { trainingRunId: run.id, snapshot, rewardSquares: new Float64Array([1, -1]) }),
    ).rejects.toThrow(/rewardSquares\[1\] must be finite and ≥ 0; received -1/);
    await expect(
      insertPolicyVersion(db, { trainingRunId: run.id, snapshot, rewardSquares: [1] as never }),
    ).rejects.toThrow(/rewardSquares must be a Float64Array/);
    const version = await insertPolicyVersion(db, { trainingRunId: run.id, snapshot, rewardSquares: values });
    await activatePolicyVersion(db, version.id, () => undefined);
    expect((await readActivePolicy(db))?.rewardSquares).toEqual(values);
    const without = await insertPolicyVersion(db, { trainingRunId: run.id, snapshot });
    await activatePolicyVersion(db, without.id, () => undefined);
    expect((await readActivePolicy(db))?.rewardSquares).toBeNull();
  });
});
