import { beforeAll, beforeEach, expect, it } from "vitest";
import { outcomeRewardJudge, runCadence, type Judge } from "../../src/cadence/index.js";
import type { Db } from "../../src/store/db.js";
import { judgeUnlabelledInSql, migrateUp, type UnjudgedOutcome } from "../../src/store/index.js";
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
  readonly reward: number | null;
  readonly judge_score: number | null;
  readonly judge_model: string | null;
}

async function prodRows(db: Db, where: string, params: unknown[] = []): Promise<StoredVerdict[]> {
  const result = await db.query<StoredVerdict>(
    `SELECT id, cell, model, completed, hallucinated, refused, reward, judge_score, judge_model FROM routing_outcomes
     WHERE source = 'prod' AND ${where} ORDER BY id`,
    params,
  );
  return result.rows;
}

/** The set-based judge: the built-in judge's rewards computed in SQL, bit for bit the JS judge's. */
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
      const progress: number[] = [];
      const options = { table: "routing_outcomes", judgeModel: judge.name, reward: judge.sqlReward! } as const;
      const result = await judgeUnlabelledInSql(db, { ...options, batchSize: 7, onProgress: (n) => progress.push(n) });
      expect(result).toEqual({ judged: 40, batches: 6 });
      expect(progress).toEqual([7, 14, 21, 28, 35, 40]);

      const expected = await judge.judge(unjudged);
      const stored = await prodRows(db, "id = ANY($1::int8[])", [unjudged.map((row) => row.id)]);
      expect(stored.map((row) => row.id)).toEqual(unjudged.map((row) => row.id));
      stored.forEach((row, i) => {
        // Object.is: the same float8, not merely close (−0 and 0 would differ too).
        expect(Object.is(row.reward, expected[i].reward), `row ${row.id}: ${row.reward} vs ${expected[i].reward}`).toBe(
          true,
        );
        expect(Object.is(row.judge_score, expected[i].score), `row ${row.id} score`).toBe(true);
        expect(row.judge_model).toBe(judge.name);
      });
      // All eight flag combinations were there, so every reward the function can give was compared.
      expect(new Set(stored.map((row) => `${row.completed}${row.hallucinated}${row.refused}`)).size).toBe(8);
      expect(
        await scalar(
          db,
          "SELECT count(*)::int8 AS value FROM routing_outcomes WHERE source <> 'prod' AND reward IS NULL",
        ),
      ).toBe(32);
      expect(
        await scalar(
          db,
          "SELECT count(*)::int8 AS value FROM routing_outcomes WHERE judge_model = 'earlier-judge' AND reward = 0.42",
        ),
      ).toBe(8);
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
    const result = await judgeUnlabelledInSql(db, {
      table: "routing_outcomes",
      judgeModel: judge.name,
      reward: judge.sqlReward!,
      batchSize: 5,
    });
    expect(result.judged).toBe(32 - before!);
    expect(result.batches).toBe(Math.ceil((32 - before!) / 5));
    expect(
      await scalar(
        db,
        "SELECT count(*)::int8 AS value FROM routing_outcomes WHERE judge_model = 'other' AND reward = -0.5 AND judge_score = 7",
      ),
    ).toBe(before);
    expect(
      await scalar(db, "SELECT count(*)::int8 AS value FROM routing_outcomes WHERE source = 'prod' AND reward IS NULL"),
    ).toBe(0);
  });

  it("judges only the synthetic corpus of routing_outcomes_synthetic, in one batch by default", async () => {
    const { db } = database;
    await db.query(
      `INSERT INTO routing_outcomes_synthetic (agent_id, cell, model, features, propensity, completed, hallucinated, refused,
                                               source, seed, seq, affinity_version, difficulty)
       SELECT 'a', 'c', 'm', '{1}', 1, i % 2 = 0, false, i % 3 = 0, 'synthetic_test', 1, i, 'v1', 0.5 FROM generate_series(1, 30) AS i`,
    );
    const judge = outcomeRewardJudge();
    expect(
      await judgeUnlabelledInSql(db, {
        table: "routing_outcomes_synthetic",
        judgeModel: judge.name,
        reward: judge.sqlReward!,
      }),
    ).toEqual({ judged: 30, batches: 1 });
    expect(
      await scalar(
        db,
        "SELECT count(*)::int8 AS value FROM routing_outcomes_synthetic WHERE reward IS DISTINCT FROM completed::int - 0.25 * refused::int",
      ),
    ).toBe(0);
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
    await expect(call({ batchSize: 0 })).rejects.toThrow(/batchSize must be an integer from 1 to 1000000; received 0/);
    await expect(call({ table: "outcomes" })).rejects.toThrow(/table must be .*; received "outcomes"/);
    await expect(call({ judgeModel: "" })).rejects.toThrow(/judgeModel must be a non-empty string; received ""/);
    expect(await scalar(db, "SELECT count(*)::int8 AS value FROM routing_outcomes WHERE reward IS NOT NULL")).toBe(8);
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
    const wrong = await scalar(
      db,
      `SELECT count(*)::int8 AS value FROM routing_outcomes WHERE judge_model IS DISTINCT FROM $1
         OR reward IS DISTINCT FROM (completed::int - 1.0 * hallucinated::int - 0.1 * refused::int) OR judge_score IS DISTINCT FROM reward`,
      [builtIn.name],
    );
    expect(wrong).toBe(0);
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
