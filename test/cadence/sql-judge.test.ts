import { beforeAll, beforeEach, expect, it } from "vitest";
import { outcomeRewardJudge, runCadence, type Judge } from "../../src/cadence/index.js";
import type { Db } from "../../src/store/db.js";
import {
  type CorpusTable,
  judgedRewardSql,
  judgeUnlabelledInSql,
  migrateDown,
  migrateUp,
  migrations,
  readCorpus,
  readJudgeWatermarks,
  type UnjudgedOutcome,
} from "../../src/store/index.js";
import { describeOnBackends, useFreshDatabase } from "../store/backends.js";
import { insertOutcomes, resetTables, scalar } from "./fixtures.js";

/** Unjudged prod rows with every combination of the three flags, `copies` of each, plus rows the judge must not touch. */
async function insertFlagCombinations(db: Db, copies: number): Promise<void> {
  const insert = `INSERT INTO routing_outcomes (agent_id, cell, model, features, propensity, completed, hallucinated, refused,
                    judge_score, judge_model, reward, source)
    SELECT 'agent', 'cell-' || (i % 3), 'model-' || (i % 2), '{1,0.5}', 0.5, (i & 1) = 1, (i & 2) = 2, (i & 4) = 4,
           $2::float8, $3::text, $2::float8, $4
    FROM generate_series(0, $1::int - 1) AS i`;
  await db.query(insert, [8 * copies, null, null, "prod"]);
  // Shadow and synthetic rows of routing_outcomes are outside the prod corpus; judged prod rows keep their verdict.
  await db.query(insert, [16, null, null, "shadow"]);
  await db.query(insert, [16, null, null, "synthetic"]);
  await db.query(insert, [8, 0.42, "earlier-judge", "prod"]);
}

interface StoredVerdict extends UnjudgedOutcome {
  /** The stored reward column. */
  readonly reward: number | null;
  /** The reward as every reader sees it: stored, or given by a judge watermark. */
  readonly judged: number | null;
  readonly judge_score: number | null;
  readonly judge_model: string | null;
}

async function prodRows(db: Db, where: string, params: unknown[] = []): Promise<StoredVerdict[]> {
  const judged = judgedRewardSql(await readJudgeWatermarks(db, "routing_outcomes"));
  const result = await db.query<StoredVerdict>(
    `SELECT id, cell, model, completed, hallucinated, refused, reward, ${judged} AS judged, judge_score, judge_model
     FROM routing_outcomes WHERE source = 'prod' AND ${where} ORDER BY id`,
    params,
  );
  return result.rows;
}

/** Every reward the corpus reader yields, by id. */
async function readerRewards(
  db: Db,
  table: CorpusTable = "routing_outcomes",
  dimension = 2,
): Promise<Map<number, number>> {
  const rewards = new Map<number, number>();
  for await (const chunk of readCorpus(db, { table, dimension, chunkSize: 9 })) {
    for (let i = 0; i < chunk.length; i++) rewards.set(chunk.ids[i]!, chunk.rewards[i]!);
  }
  return rewards;
}

const judgeOf = (judge: Judge) => ({ judgeModel: judge.name, reward: judge.sqlReward! }) as const;

/** The set-based judge: the built-in judge's rewards as a watermark, read back bit for bit the JS judge's. */
describeOnBackends("set-based judge", (backend) => {
  const database = useFreshDatabase(backend);

  beforeAll(async () => {
    await migrateUp(database.db);
  });
  beforeEach(async () => {
    await resetTables(database.db);
  });

  // The defaults, the README's example, penalties with no short decimal form, and the range's edges.
  const penalties = [
    {},
    { hallucinationPenalty: 1, refusalPenalty: 0.1 },
    { hallucinationPenalty: 1 / 3, refusalPenalty: 0.7000000000000001 },
    { hallucinationPenalty: 0, refusalPenalty: 2 },
  ];
  for (const weights of penalties) {
    it(`labels every unjudged prod row exactly as the JS judge does, penalties ${JSON.stringify(weights)}`, async () => {
      const { db } = database;
      const judge = outcomeRewardJudge(weights);
      await insertFlagCombinations(db, 5);
      const unjudged = await prodRows(db, "reward IS NULL");
      expect(unjudged).toHaveLength(40);
      expect(unjudged.every((row) => row.judged === null)).toBe(true);
      const progress: number[] = [];
      const options = { table: "routing_outcomes", ...judgeOf(judge) } as const;
      const result = await judgeUnlabelledInSql(db, { ...options, onProgress: (n) => progress.push(n) });
      expect(result).toEqual({ judged: 40, batches: 1 });
      expect(progress).toEqual([40]);

      const expected = await judge.judge(unjudged);
      const stored = await prodRows(db, "id = ANY($1::int8[])", [unjudged.map((row) => row.id)]);
      const read = await readerRewards(db);
      expect(stored.map((row) => row.id)).toEqual(unjudged.map((row) => row.id));
      stored.forEach((row, i) => {
        // Object.is: the same float8, not merely close (−0 and 0 would differ too).
        const want = expected[i].reward;
        expect(Object.is(row.judged, want), `row ${row.id} in SQL: ${row.judged} vs ${want}`).toBe(true);
        expect(Object.is(read.get(row.id), want), `row ${row.id} read: ${read.get(row.id)} vs ${want}`).toBe(true);
        // Nothing written into the row: the client's score and the empty judge_model stay.
        expect([row.reward, row.judge_score, row.judge_model]).toEqual([null, null, null]);
      });
      // All eight flag combinations were there, so every reward the function can give was compared.
      expect(new Set(stored.map((row) => `${row.completed}${row.hallucinated}${row.refused}`)).size).toBe(8);
      // Shadow and synthetic rows of routing_outcomes are not in the corpus: the reader never yields them.
      expect(read.size).toBe(48);
      const earlier = await prodRows(db, "judge_model = 'earlier-judge'");
      expect(earlier.map((row) => [row.judged, read.get(row.id)])).toEqual(Array(8).fill([0.42, 0.42]));
      expect(await readJudgeWatermarks(db, "routing_outcomes")).toEqual([
        {
          judgeModel: judge.name,
          hallucinationPenalty: judge.sqlReward!.hallucinationPenalty,
          refusalPenalty: judge.sqlReward!.refusalPenalty,
          fromId: 0,
          throughId: Math.max(...stored.map((row) => row.id), ...earlier.map((row) => row.id)),
          judgedRows: 40,
        },
      ]);
      // Nothing left: a second run does nothing.
      expect(await judgeUnlabelledInSql(db, options)).toEqual({ judged: 0, batches: 0 });
    });
  }

  it("keeps the verdicts of rows judged before, interleaved with unjudged ones, and counts only what it labels", async () => {
    const { db } = database;
    await insertFlagCombinations(db, 4);
    await db.query(
      "UPDATE routing_outcomes SET reward = -0.5, judge_score = 7, judge_model = 'other' WHERE source = 'prod' AND reward IS NULL AND id % 3 = 0",
    );
    const before = await scalar(db, "SELECT count(*)::int8 AS value FROM routing_outcomes WHERE judge_model = 'other'");
    const judge = outcomeRewardJudge();
    const result = await judgeUnlabelledInSql(db, { table: "routing_outcomes", ...judgeOf(judge) });
    expect(result).toEqual({ judged: 32 - before!, batches: 1 });
    const rows = await prodRows(db, "true");
    const read = await readerRewards(db);
    for (const row of rows) {
      const want =
        row.judge_model === "other" ? -0.5 : row.judge_model === null ? (await judge.judge([row]))[0]!.reward : 0.42;
      expect([row.judged, read.get(row.id)], `row ${row.id}`).toEqual([want, want]);
    }
  });

  it("extends its watermark on the next run, and a judge with other penalties starts a new one", async () => {
    const { db } = database;
    const first = outcomeRewardJudge();
    const second = outcomeRewardJudge({ hallucinationPenalty: 1, refusalPenalty: 1 });
    const table = "routing_outcomes";
    await insertFlagCombinations(db, 1);
    const firstIds = (await prodRows(db, "reward IS NULL")).map((row) => row.id);
    expect(await judgeUnlabelledInSql(db, { table, ...judgeOf(first) })).toEqual({ judged: 8, batches: 1 });
    await insertFlagCombinations(db, 1);
    expect(await judgeUnlabelledInSql(db, { table, ...judgeOf(first) })).toEqual({ judged: 8, batches: 1 });
    expect((await readJudgeWatermarks(db, table)).map((m) => [m.fromId, m.judgedRows])).toEqual([[0, 16]]);
    await insertFlagCombinations(db, 1);
    const thirdIds = (await prodRows(db, "reward IS NULL")).filter((row) => row.judged === null).map((row) => row.id);
    expect(thirdIds).toHaveLength(8);
    expect(await judgeUnlabelledInSql(db, { table, ...judgeOf(second) })).toEqual({ judged: 8, batches: 1 });
    const marks = await readJudgeWatermarks(db, table);
    expect(marks.map((m) => [m.judgeModel, m.judgedRows])).toEqual([
      [first.name, 16],
      [second.name, 8],
    ]);
    expect(marks[1].fromId).toBe(marks[0].throughId);
    // Each row keeps the verdict of the judge whose watermark covers it.
    const read = await readerRewards(db);
    for (const row of await prodRows(db, "reward IS NULL")) {
      const judge = thirdIds.includes(row.id) ? second : first;
      expect(Object.is(read.get(row.id), (await judge.judge([row]))[0]!.reward), `row ${row.id}`).toBe(true);
    }
    expect(firstIds.every((id) => read.has(id))).toBe(true);
  });

  it("judges only the synthetic corpus of routing_outcomes_synthetic", async () => {
    const { db } = database;
    await db.query(
      `INSERT INTO routing_outcomes_synthetic (agent_id, cell, model, features, propensity, completed, hallucinated, refused,
                                               source, seed, seq, affinity_version, difficulty)
       SELECT 'a', 'c', 'm', '{1}', 1, i % 2 = 0, false, i % 3 = 0, 'synthetic_test', 1, i, 'v1', 0.5 FROM generate_series(1, 30) AS i`,
    );
    const judge = outcomeRewardJudge();
    const table = "routing_outcomes_synthetic";
    expect(await judgeUnlabelledInSql(db, { table, ...judgeOf(judge) })).toEqual({ judged: 30, batches: 1 });
    const read = await readerRewards(db, table, 1);
    expect(read.size).toBe(30);
    const judged = judgedRewardSql(await readJudgeWatermarks(db, table));
    expect(
      await scalar(
        db,
        `SELECT count(*)::int8 AS value FROM routing_outcomes_synthetic WHERE ${judged} IS DISTINCT FROM completed::int - 0.25 * refused::int`,
      ),
    ).toBe(0);
    expect(await readJudgeWatermarks(db, "routing_outcomes")).toEqual([]);
  });

  it("rejects bad options by name and value, changing nothing", async () => {
    const { db } = database;
    await insertFlagCombinations(db, 1);
    const reward = outcomeRewardJudge().sqlReward!;
    const call = (options: object) =>
      judgeUnlabelledInSql(db, { table: "routing_outcomes", judgeModel: "j", reward, ...options } as never);
    await expect(call({ reward: { ...reward, refusalPenalty: Number.NaN } })).rejects.toThrow(
      /reward.refusalPenalty must be a finite number; received NaN/,
    );
    await expect(call({ reward: { ...reward, hallucinationPenalty: "0.5" } })).rejects.toThrow(
      /reward.hallucinationPenalty must be a finite number; received "0.5"/,
    );
    await expect(call({ reward: { kind: "llm" } })).rejects.toThrow(
      /reward must be \{ kind: 'linear-outcome'.*received/,
    );
    await expect(call({ table: "outcomes" })).rejects.toThrow(/table must be .*; received "outcomes"/);
    await expect(call({ judgeModel: "" })).rejects.toThrow(/judgeModel must be a non-empty string; received ""/);
    expect(await scalar(db, "SELECT count(*)::int8 AS value FROM judge_watermarks")).toBe(0);
  });

  it("a forced migration down writes the watermarks' verdicts into the rows, as the judge did before", async () => {
    const { db } = database;
    const judge = outcomeRewardJudge({ hallucinationPenalty: 1 / 3, refusalPenalty: 0.7000000000000001 });
    await insertFlagCombinations(db, 2);
    await judgeUnlabelledInSql(db, { table: "routing_outcomes", ...judgeOf(judge) });
    const before = await readerRewards(db);
    const target = migrations.findIndex((m) => m.name === "judge_watermarks");
    await expect(migrateDown(db, { to: target })).rejects.toThrow(/judge_watermarks: 1 row/);
    try {
      await migrateDown(db, { to: target, force: true });
      // The rewards now stored in the rows are, bit for bit, the ones the reader computed.
      const stored = await db.query<{ id: number; reward: number }>(
        "SELECT id, reward FROM routing_outcomes WHERE source = 'prod' ORDER BY id",
      );
      expect(new Map(stored.rows.map((row) => [row.id, row.reward]))).toEqual(before);
      const wrong = await scalar(
        db,
        `SELECT count(*)::int8 AS value FROM routing_outcomes WHERE source = 'prod' AND judge_model IS DISTINCT FROM 'earlier-judge'
           AND (judge_model IS DISTINCT FROM $1 OR judge_score IS DISTINCT FROM reward)`,
        [judge.name],
      );
      expect(wrong).toBe(0);
    } finally {
      await migrateUp(db);
    }
  });
});

/** The cadence's judge step: the built-in judge runs in SQL, a pluggable judge still receives batches. */
describeOnBackends("cadence judge step dispatch", (backend) => {
  const database = useFreshDatabase(backend);
  const PROD = { mode: "prod", resamples: 50, minEffectiveSampleSize: 0 } as const;

  beforeAll(async () => {
    await migrateUp(database.db);
  });
  beforeEach(async () => {
    await resetTables(database.db);
    await insertOutcomes(database.db, { n: 1200, source: "prod", judged: false });
  });

  it("labels rows in SQL when the judge declares sqlReward, never calling judge(rows)", async () => {
    const { db } = database;
    const builtIn = outcomeRewardJudge({ hallucinationPenalty: 1, refusalPenalty: 0.1 });
    let calls = 0;
    const judge: Judge = { ...builtIn, judge: (rows) => (calls++, builtIn.judge(rows)) };
    const result = await runCadence(db, { ...PROD, judge });
    expect(result.judge).toEqual({ judge: builtIn.name, judged: 1200 });
    expect(calls).toBe(0);
    // The refit read every row with the watermark's rewards, and the integrity check agreed in SQL.
    expect(result.corpus.rowsRead).toBe(1200);
    expect(result.learned.integrity).toMatchObject({ ok: true, engineRows: 1200, sqlRows: 1200, sumsCompared: true });
    const judged = judgedRewardSql(await readJudgeWatermarks(db, "routing_outcomes"));
    const wrong = await scalar(
      db,
      `SELECT count(*)::int8 AS value FROM routing_outcomes
       WHERE ${judged} IS DISTINCT FROM (completed::int - 1.0 * hallucinated::int - 0.1 * refused::int) OR reward IS NOT NULL`,
    );
    expect(wrong).toBe(0);
  });

  it("hands a pluggable judge only the rows above the built-in judge's watermark", async () => {
    const { db } = database;
    await runCadence(db, { ...PROD, judge: outcomeRewardJudge() });
    await insertOutcomes(db, { n: 300, source: "prod", judged: false, offsetDays: 14 });
    const seen: number[] = [];
    const judge: Judge = {
      name: "custom-judge-v1",
      rewardRange: { min: 0, max: 1 },
      judge: (rows) => rows.map((row) => (seen.push(row.id), { reward: row.completed ? 1 : 0, score: null })),
    };
    const result = await runCadence(db, { ...PROD, judge });
    expect(result.judge).toEqual({ judge: "custom-judge-v1", judged: 300 });
    expect(Math.min(...seen)).toBe(1201);
  });

  it("hands a pluggable judge (no sqlReward) its rows in batches, as before", async () => {
    const { db } = database;
    const sizes: number[] = [];
    const judge: Judge = {
      name: "custom-judge-v1",
      rewardRange: { min: 0, max: 1 },
      judge: (rows) => (sizes.push(rows.length), rows.map((row) => ({ reward: row.completed ? 1 : 0, score: null }))),
    };
    const result = await runCadence(db, { ...PROD, judge });
    expect(result.judge).toEqual({ judge: "custom-judge-v1", judged: 1200 });
    expect(sizes).toEqual([1000, 200]);
    const wrong = await scalar(
      db,
      "SELECT count(*)::int8 AS value FROM routing_outcomes WHERE judge_model IS DISTINCT FROM 'custom-judge-v1' OR reward <> completed::int OR judge_score IS NOT NULL",
    );
    expect(wrong).toBe(0);
  });
});
