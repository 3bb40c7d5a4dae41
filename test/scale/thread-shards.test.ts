/**
 * The training read split by id range over worker threads (src/scale): the shard plan cuts equal
 * row counts that partition the read; the sharded read equals the single-threaded one — the
 * statistics and the finalized models to 1e-12, the totals (rejections by reason, unjudged rows),
 * the integrity record and the coverage table — on PostgreSQL; on PGlite the reader says why it
 * reads in-process and gives the single read's result; a failing shard fails the whole read with
 * the engine untouched. The threads run the build (dist/): `npm run build` first (npm test does).
 */
import { beforeAll, expect, it } from "vitest";
import { accumulateSlice, type SliceRead } from "../../src/cadence/corpus-refit.js";
import { CoverageCollector } from "../../src/cadence/coverage.js";
import { IntegrityCollector } from "../../src/cadence/integrity.js";
import { createLinUCB } from "../../src/engine/linucb.js";
import type { LinUCBEngine, LinUCBOptions } from "../../src/engine/types.js";
import { planShardRequests, threadTrainingReader } from "../../src/scale/sharded-training.js";
import { runShardsOnThreads } from "../../src/scale/thread-shards.js";
import type { CorpusReadTotals, Db } from "../../src/store/index.js";
import { migrateUp } from "../../src/store/migrator.js";
import { planCorpusShards } from "../../src/store/corpus-shards.js";
import { splitCorpusByTime } from "../../src/store/corpus-split.js";
import { describeOnBackends, useFreshDatabase } from "../store/backends.js";

const D = 4;
const ROWS = 6_000;
const ARMS = ["model-0", "model-1", "model-2", "model-3"];
const ENGINE: LinUCBOptions = { dimension: D, arms: ARMS, lambda: 3, pooling: { ridge: 1, shrinkage: "auto" } };

/**
 * `ROWS` rows, one a minute: prod rows of 5 cells, every 10th a shadow row (never read), every
 * 13th unjudged, every 97th with a feature of the wrong length and every 89th with a propensity
 * of 1e-9 (both rejected by reason).
 */
async function insertCorpus(db: Db): Promise<void> {
  await db.query(
    `INSERT INTO routing_outcomes (created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused, judge_score, judge_model, reward, source)
     SELECT timestamptz '2024-01-01 00:00:00+00' + i * interval '1 minute', 'agent-' || (i % 2), 'cell-' || (i * 7 % 5),
            'model-' || (i % 4),
            CASE WHEN i % 97 = 0 THEN ARRAY[1, 2]::float8[] ELSE ARRAY[1, sin(i), cos(i * 0.3), (i % 11) / 11.0]::float8[] END,
            CASE WHEN i % 89 = 0 THEN 1e-9 ELSE 1.0 / (1 + i % 4) END, true, false, false, 0.5, 'judge',
            CASE WHEN i % 13 = 0 THEN NULL ELSE sin(i * 0.7) + (i % 4) * 0.1 END,
            CASE WHEN i % 10 = 0 THEN 'shadow' ELSE 'prod' END
     FROM generate_series(1, $1) AS i`,
    [ROWS],
  );
}

/** The training side of a 20% time split, as the refit reads it. */
async function trainingSlice(db: Db): Promise<SliceRead> {
  const split = await splitCorpusByTime(db, { table: "routing_outcomes", heldOutShare: 0.2 });
  if (split.cutoff === null) throw new Error("the test corpus should split");
  return {
    table: "routing_outcomes",
    dimension: D,
    chunkSize: 500,
    split: { side: "training", cutoff: split.cutoff, newerThanId: 0 },
    bounds: { reward: null, minPropensity: 1e-6, maxFeatureMagnitude: 1e6 },
  };
}

interface ReadOutcome {
  readonly engine: LinUCBEngine;
  readonly totals: CorpusReadTotals;
  readonly integrity: IntegrityCollector;
  readonly coverage: CoverageCollector;
}

async function singleRead(db: Db, slice: SliceRead): Promise<ReadOutcome> {
  const engine = await createLinUCB(ENGINE);
  const integrity = new IntegrityCollector();
  const coverage = new CoverageCollector(ARMS);
  const totals = await accumulateSlice(db, engine, slice, (chunk) => {
    integrity.add(chunk);
    coverage.add(chunk);
  });
  engine.finalize();
  return { engine, totals, integrity, coverage };
}

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

/** |a − b| ≤ 1e-12 · max(1, |a|), element by element. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = 1e-12 * Math.max(1, Math.abs(expected[i]!));
    if (!(Math.abs(actual[i]! - expected[i]!) <= tolerance)) {
      throw new Error(`${what}[${i}]: ${actual[i]} differs from ${expected[i]} by more than ${tolerance}`);
    }
  }
}

/** The sharded read equals the single one: statistics, models, totals, integrity, coverage. */
function expectSameRead(sharded: ReadOutcome, single: ReadOutcome): void {
  const a = sharded.engine.exportStatistics();
  const b = single.engine.exportStatistics();
  expect(a.cells).toEqual(b.cells);
  expectClose(a.xx, b.xx, "Σxxᵀ");
  expectClose(a.xr, b.xr, "Σrx");
  expectClose(a.yy!, b.yy!, "Σr²");
  expect(Array.from(a.counts)).toEqual(Array.from(b.counts));
  for (const cell of b.cells) {
    for (const arm of ARMS) {
      const got = sharded.engine.model(cell, arm);
      const want = single.engine.model(cell, arm);
      expectClose(got.theta, want.theta, `θ ${cell}/${arm}`);
      expectClose(got.covariance, want.covariance, `A⁻¹ ${cell}/${arm}`);
    }
  }
  const { rejectedExamples: _x, ...shardedTotals } = sharded.totals;
  const { rejectedExamples: _y, ...singleTotals } = single.totals;
  expect({ ...shardedTotals, chunks: 0 }).toEqual({ ...singleTotals, chunks: 0 });
  const rejectedIds = (r: IntegrityCollector["read"]) => ({
    ...r,
    rejectedIds: [...r.rejectedIds].sort((x, y) => x - y),
  });
  expect(rejectedIds(sharded.integrity.read)).toEqual(rejectedIds(single.integrity.read));
  const coverage = sharded.coverage.finish();
  const expected = single.coverage.finish();
  expect(coverage.cells.map((c) => c.cell)).toEqual(expected.cells.map((c) => c.cell));
  expect(coverage.rows).toBe(expected.rows);
  coverage.cells.forEach((cell, i) => {
    for (const arm of ARMS) {
      expect(cell.models[arm]!.rows).toBe(expected.cells[i]!.models[arm]!.rows);
      expectClose([cell.models[arm]!.ess], [expected.cells[i]!.models[arm]!.ess], `ESS ${cell.cell}/${arm}`);
    }
  });
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
