/**
 * The training read split by id range over worker threads (src/scale): the shard plan cuts equal
 * row counts that partition the read; the sharded read equals the single-threaded one — the
 * statistics and the finalized models to 1e-12, the totals (rejections by reason, unjudged rows),
 * the integrity record and the coverage table — on PostgreSQL; on PGlite the reader says why it
 * reads in-process and gives the single read's result; a failing shard fails the whole read with
 * the engine untouched. The threads run the build (dist/): `npm run build` first (npm test does).
 */
import { beforeAll, expect, it } from "vitest";
import type { SliceRead } from "../../src/cadence/corpus-refit.js";
import { CoverageCollector } from "../../src/cadence/coverage.js";
import { IntegrityCollector } from "../../src/cadence/integrity.js";
import { createLinUCB } from "../../src/engine/linucb.js";
import { planShardRequests, threadTrainingReader } from "../../src/scale/sharded-training.js";
import { runShardsOnThreads } from "../../src/scale/thread-shards.js";
import type { Db } from "../../src/store/index.js";
import { migrateUp } from "../../src/store/migrator.js";
import { planCorpusShards } from "../../src/store/corpus-shards.js";
import { describeOnBackends, useFreshDatabase } from "../store/backends.js";
import {
  ARMS,
  D,
  ENGINE,
  expectSameRead,
  insertCorpus,
  type ReadOutcome,
  singleRead,
  trainingSlice,
} from "./fixtures.js";

async function threadRead(
  db: Db,
  slice: SliceRead,
  workers: number,
  databaseUrl: string | undefined,
  onFallback?: (reason: string) => void,
): Promise<ReadOutcome & { progress: number[] }> {
  const engine = await createLinUCB(ENGINE);
  const integrity = new IntegrityCollector();
  const coverage = new CoverageCollector(ARMS);
  const progress: number[] = [];
  const read = threadTrainingReader(workers, databaseUrl, onFallback);
  const totals = await read(db, engine, slice, { integrity, coverage, onProgress: (n) => progress.push(n) });
  engine.finalize();
  return { engine, totals, integrity, coverage, progress };
}

describeOnBackends("training read sharded over worker threads", (backend) => {
  const database = useFreshDatabase(backend);
  let slice: SliceRead;
  let single: ReadOutcome;

  beforeAll(async () => {
    await migrateUp(database.db);
    await insertCorpus(database.db);
    slice = await trainingSlice(database.db);
    single = await singleRead(database.db, slice);
  });

  it("plans id ranges with equal row counts that partition the read", async () => {
    const plan = await planCorpusShards(
      database.db,
      { table: "routing_outcomes", dimension: D, split: slice.split! },
      3,
    );
    expect(plan.shards).toHaveLength(3);
    expect(plan.shards[0]!.afterId).toBe(0);
    expect(plan.shards[2]!.throughId).toBe(plan.highWaterId);
    for (let k = 1; k < 3; k++) expect(plan.shards[k]!.afterId).toBe(plan.shards[k - 1]!.throughId);
    const counts = await Promise.all(
      plan.shards.map(async ({ afterId, throughId }) => {
        const { rows } = await database.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM routing_outcomes WHERE source = 'prod' AND id > $1 AND id <= $2
             AND (created_at, id) < ($3::timestamptz, $4)`,
          [afterId, throughId, slice.split!.cutoff.createdAt, slice.split!.cutoff.id],
        );
        return rows[0]!.n;
      }),
    );
    expect(counts.reduce((a, b) => a + b, 0)).toBe(plan.rows);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    // More shards than rows: no empty range.
    const tiny = await planCorpusShards(
      database.db,
      { table: "routing_outcomes", dimension: D, afterId: plan.highWaterId! - 3, throughId: plan.highWaterId! },
      10,
    );
    expect(tiny.shards.length).toBeLessThanOrEqual(3);
    for (const shard of tiny.shards) expect(shard.throughId).toBeGreaterThan(shard.afterId);
  });

  if (backend.name === "postgres") {
    it("equals the single-threaded read with 2 and 3 worker threads (1e-12), rejections and unjudged rows merged", async () => {
      expect(single.totals.rejectedByReason).toEqual({ features: expect.any(Number), propensity: expect.any(Number) });
      expect(single.totals.unjudged).toBeGreaterThan(0);
      for (const workers of [2, 3]) {
        const fallbacks: string[] = [];
        const url = database.fresh.options.databaseUrl;
        const sharded = await threadRead(database.db, slice, workers, url, (reason) => fallbacks.push(reason));
        expect(fallbacks).toEqual([]);
        expectSameRead(sharded, single);
        expect(sharded.progress.at(-1)).toBe(single.totals.scanned);
      }
    });

    it("starts the shards after an incremental refit's high-water mark (idAfter)", async () => {
      const engine = await createLinUCB(ENGINE);
      const { requests, afterId } = await planShardRequests(
        database.db,
        engine,
        { ...slice, idAfter: 3000 } as SliceRead,
        2,
      );
      expect(afterId).toBe(3000);
      expect(requests[0]!.shard.afterId).toBe(3000);
      expect(requests[1]!.shard.afterId).toBeGreaterThan(3000);
      const reasons: string[] = [];
      const forgetting = { dailyDiscount: 0.99, asOfMs: 0 };
      const sharded = await threadRead(database.db, { ...slice, forgetting } as SliceRead, 2, undefined, (r) =>
        reasons.push(r),
      );
      expect(reasons).toEqual([expect.stringContaining("daily discount 0.99")]);
      expect(sharded.totals.accepted).toBe(single.totals.accepted);
    });

    it("fails the whole read when one shard fails, leaving the engine untouched and no thread running", async () => {
      const engine = await createLinUCB(ENGINE);
      const { requests } = await planShardRequests(database.db, engine, slice, 2);
      const broken = [requests[0]!, { ...requests[1]!, chunkSize: 0 }];
      await expect(runShardsOnThreads(broken, database.fresh.options.databaseUrl!)).rejects.toThrow(
        /shard 1 \(ids \d+–\d+\) failed: chunkSize must be an integer/,
      );
      // A database that refuses the connection: every shard fails, the read rejects, nothing merged.
      const integrity = new IntegrityCollector();
      const coverage = new CoverageCollector(ARMS);
      const unreachable = "postgres://postgres@127.0.0.1:1/nowhere";
      const read = threadTrainingReader(2, unreachable);
      await expect(
        read(database.db, engine, slice, { integrity, coverage, onProgress: () => undefined }),
      ).rejects.toThrow(/shard \d \(ids \d+–\d+\) failed/);
      expect(engine.cells()).toEqual([]);
      expect(integrity.read.accepted).toBe(0);
      expect(coverage.finish().rows).toBe(0);
    });
  } else {
    it("reads in-process on the embedded database, says why, and gives the single read's result", async () => {
      const reasons: string[] = [];
      const sharded = await threadRead(database.db, slice, 2, undefined, (reason) => reasons.push(reason));
      expect(reasons).toEqual([expect.stringContaining("embedded database")]);
      expectSameRead(sharded, single);
    });
  }
});
