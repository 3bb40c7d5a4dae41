/**
 * The sharded training read and the set-based judge together: rows judged by a watermark (migration
 * 010, no reward stored in the row) reach every worker thread's read with the rewards the
 * in-process read computes, so the sharded read still equals the single one (PostgreSQL; the
 * threads run the build: `npm run build` first).
 */
import { beforeAll, expect, it } from "vitest";
import { CoverageCollector } from "../../src/cadence/coverage.js";
import { IntegrityCollector } from "../../src/cadence/integrity.js";
import { outcomeRewardJudge } from "../../src/cadence/judge.js";
import { createLinUCB } from "../../src/engine/linucb.js";
import { threadTrainingReader } from "../../src/scale/sharded-training.js";
import { judgeUnlabelledInSql, migrateUp } from "../../src/store/index.js";
import { describeOnBackends, useFreshDatabase } from "../store/backends.js";
import { ARMS, ENGINE, expectSameRead, insertCorpus, singleRead, trainingSlice } from "./fixtures.js";

describeOnBackends("sharded read of watermark-judged rows", (backend) => {
  const database = useFreshDatabase(backend);

  beforeAll(async () => {
    await migrateUp(database.db);
    await insertCorpus(database.db);
  });

  if (backend.name === "postgres") {
    it("gives every shard the watermark's rewards: 2 threads equal the in-process read", async () => {
      const { db } = database;
      const before = await singleRead(db, await trainingSlice(db));
      expect(before.totals.unjudged).toBeGreaterThan(0);
      const judge = outcomeRewardJudge();
      const judged = await judgeUnlabelledInSql(db, {
        table: "routing_outcomes",
        judgeModel: judge.name,
        reward: judge.sqlReward!,
      });
      expect(judged.judged).toBeGreaterThan(0);
      const slice = await trainingSlice(db);
      const single = await singleRead(db, slice);
      // The rows unjudged before are read now, with the watermark's rewards.
      expect(single.totals.unjudged).toBe(0);
      expect(single.totals.accepted).toBe(before.totals.accepted + before.totals.unjudged);

      const engine = await createLinUCB(ENGINE);
      const integrity = new IntegrityCollector();
      const coverage = new CoverageCollector(ARMS);
      const fallbacks: string[] = [];
      const read = threadTrainingReader(2, database.fresh.options.databaseUrl, (reason) => fallbacks.push(reason));
      const totals = await read(db, engine, slice, { integrity, coverage, onProgress: () => undefined });
      engine.finalize();
      expect(fallbacks).toEqual([]);
      expectSameRead({ engine, totals, integrity, coverage }, single);
    });
  } else {
    it("judges the embedded database's rows in SQL too (its reads stay in-process)", async () => {
      const judge = outcomeRewardJudge();
      const options = { table: "routing_outcomes", judgeModel: judge.name, reward: judge.sqlReward! } as const;
      expect((await judgeUnlabelledInSql(database.db, options)).judged).toBeGreaterThan(0);
      expect((await singleRead(database.db, await trainingSlice(database.db))).totals.unjudged).toBe(0);
    });
  }
});
