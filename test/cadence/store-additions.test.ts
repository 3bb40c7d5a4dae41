import { beforeAll, beforeEach, expect, it } from "vitest";
import {
  judgeUnlabelled,
  listSyntheticRuns,
  loadSyntheticOutcomes,
  migrateUp,
  splitCorpusByTime,
} from "../../src/store/index.js";
import { generateOutcomes, generateWorld } from "../../src/synthetic/index.js";
import { describeOnBackends, useFreshDatabase } from "../store/backends.js";
import { insertOutcomes, resetTables, scalar } from "./fixtures.js";

/** The store functions the cadence added: the time split, the judge queue, the synthetic runs. */
describeOnBackends("cadence store queries", (backend) => {
  const database = useFreshDatabase(backend);

  beforeAll(async () => {
    await migrateUp(database.db);
  });
  beforeEach(async () => {
    await resetTables(database.db);
  });

  it("splits the prod corpus by (created_at, id), counting prod rows only", async () => {
    const { db } = database;
    expect(await splitCorpusByTime(db, { table: "routing_outcomes", heldOutShare: 0.2 })).toEqual({
      total: 0,
      eligible: 0,
      newerThanId: 0,
      cutoff: null,
      training: 0,
      heldOut: 0,
      models: [],
      dimension: null,
      newestAtMs: null,
    });
    await insertOutcomes(db, { n: 1000, source: "prod" });
    await insertOutcomes(db, { n: 300, seed: 3, source: "shadow", model: "model-poison", offsetDays: 30 });
    const split = await splitCorpusByTime(db, { table: "routing_outcomes", heldOutShare: 0.25 });
    expect(split).toMatchObject({ total: 1000, eligible: 1000, training: 750, heldOut: 250 });
    expect(split.models).not.toContain("model-poison");
    expect(split.dimension).toBe(generateWorld({ seed: 7 }).dimension);
    // The cutoff is the (created_at, id) of the first held-out row: counts on both sides agree with SQL.
    const { createdAt, id } = split.cutoff!;
    expect(createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    const before =
      "SELECT count(*)::int8 AS value FROM routing_outcomes WHERE source = 'prod' AND (created_at, id) < ($1::timestamptz, $2::int8)";
    expect(await scalar(db, before, [createdAt, id])).toBe(750);
    await expect(splitCorpusByTime(db, { table: "routing_outcomes", heldOutShare: 1 })).rejects.toThrow(
      /heldOutShare must be a number in \(0, 1\); received 1/,
    );
    await expect(splitCorpusByTime(db, { table: "outcomes" as never, heldOutShare: 0.2 })).rejects.toThrow(
      /table must be .*; received "outcomes"/,
    );
    await expect(
      splitCorpusByTime(db, { table: "routing_outcomes", heldOutShare: 0.2, newerThanId: -1 }),
    ).rejects.toThrow(/newerThanId must be a non-negative integer; received -1/);
  });

  it("holds out 20% ± 1 row when every row shares one created_at, breaking the tie by id", async () => {
    const { db } = database;
    for (const n of [50, 101, 7]) {
      await resetTables(db);
      await insertOutcomes(db, { n, source: "prod" });
      await db.query("UPDATE routing_outcomes SET created_at = timestamptz '2025-02-01 00:00:00.123456+00'");
      const split = await splitCorpusByTime(db, { table: "routing_outcomes", heldOutShare: 0.2 });
      expect(split.total).toBe(n);
      expect(Math.abs(split.heldOut - 0.2 * n)).toBeLessThanOrEqual(1);
      expect(split.training + split.heldOut).toBe(n);
      expect(split.cutoff!.createdAt).toBe("2025-02-01T00:00:00.123456Z");
      // The held-out rows are the highest ids.
      const maxId = await scalar(db, "SELECT max(id)::int8 AS value FROM routing_outcomes");
      expect(split.cutoff!.id).toBe(maxId! - split.heldOut + 1);
    }
  });

  it("holds out only rows newer than the incumbent's high-water id", async () => {
    const { db } = database;
    await insertOutcomes(db, { n: 200, source: "prod" });
    const mark = await scalar(db, "SELECT max(id)::int8 AS value FROM routing_outcomes");
    // No new rows: nothing is eligible, nothing held out.
    expect(
      await splitCorpusByTime(db, { table: "routing_outcomes", heldOutShare: 0.2, newerThanId: mark! }),
    ).toMatchObject({
      total: 200,
      eligible: 0,
      cutoff: null,
      training: 200,
      heldOut: 0,
    });
    // 100 new rows, some of them timestamped before old ones: 20 of the new ones are held out.
    await insertOutcomes(db, { n: 100, seed: 5, source: "prod", offsetDays: -3 });
    const split = await splitCorpusByTime(db, { table: "routing_outcomes", heldOutShare: 0.2, newerThanId: mark! });
    expect(split).toMatchObject({ total: 300, eligible: 100, training: 280, heldOut: 20, newerThanId: mark });
    expect(split.cutoff!.id).toBeGreaterThan(mark!);
  });

  it("judges unjudged corpus rows in batches, validating verdicts and writing nothing of a bad batch", async () => {
    const { db } = database;
    await insertOutcomes(db, { n: 250, source: "prod", judged: false });
    await insertOutcomes(db, { n: 40, seed: 3, source: "shadow", judged: false });
    await expect(
      judgeUnlabelled(db, {
        table: "routing_outcomes",
        judgeModel: "j",
        judge: (rows) => rows.map(() => ({ reward: Number.NaN, score: null })),
      }),
    ).rejects.toThrow(/verdict for row \d+: reward must be a finite number; received NaN/);
    await expect(judgeUnlabelled(db, { table: "routing_outcomes", judgeModel: "j", judge: () => [] })).rejects.toThrow(
      /one verdict per row \(250\); received Array\(0\)/,
    );
    expect(await scalar(db, "SELECT count(*)::int8 AS value FROM routing_outcomes WHERE reward IS NOT NULL")).toBe(0);

    const sizes: number[] = [];
    const result = await judgeUnlabelled(db, {
      table: "routing_outcomes",
      judgeModel: "length-judge",
      batchSize: 100,
      judge: (rows) => (sizes.push(rows.length), rows.map((row) => ({ reward: row.completed ? 1 : 0, score: row.id }))),
    });
    expect(result).toEqual({ judged: 250, batches: 3 });
    expect(sizes).toEqual([100, 100, 50]);
    expect(
      await scalar(
        db,
        "SELECT count(*)::int8 AS value FROM routing_outcomes WHERE source = 'prod' AND (judge_model <> 'length-judge' OR judge_score <> id OR reward <> completed::int)",
      ),
    ).toBe(0);
    expect(
      await scalar(
        db,
        "SELECT count(*)::int8 AS value FROM routing_outcomes WHERE source = 'shadow' AND reward IS NULL",
      ),
    ).toBe(40);
    expect(await judgeUnlabelled(db, { table: "routing_outcomes", judgeModel: "j", judge: () => [] })).toEqual({
      judged: 0,
      batches: 0,
    });
  });

  it("lists the generator runs of routing_outcomes_synthetic", async () => {
    const { db } = database;
    expect(await listSyntheticRuns(db)).toEqual([]);
    await loadSyntheticOutcomes(db, generateOutcomes(generateWorld({ seed: 42 }), { n: 120, seed: 42 }));
    await loadSyntheticOutcomes(db, generateOutcomes(generateWorld({ seed: 5 }), { n: 30, seed: 5 }));
    const source = generateWorld({ seed: 42 }).source;
    expect(await listSyntheticRuns(db)).toEqual([
      { source, seed: 5, rows: 30 },
      { source, seed: 42, rows: 120 },
    ]);
  });
});
