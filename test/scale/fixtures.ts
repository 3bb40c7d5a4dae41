/**
 * The corpus and the comparisons shared by the sharded-read tests (threads and queue): a corpus
 * with rows of every kind the reader filters, its training slice, the single-threaded read of it,
 * and "equal to the single read" (statistics and models to 1e-12, totals, integrity, coverage).
 */
import { expect } from "vitest";
import { accumulateSlice, type SliceRead } from "../../src/cadence/corpus-refit.js";
import { CoverageCollector } from "../../src/cadence/coverage.js";
import { IntegrityCollector } from "../../src/cadence/integrity.js";
import { createLinUCB } from "../../src/engine/linucb.js";
import type { LinUCBEngine, LinUCBOptions } from "../../src/engine/types.js";
import type { CorpusReadTotals, Db } from "../../src/store/index.js";
import { splitCorpusByTime } from "../../src/store/corpus-split.js";

export const D = 4;
export const ROWS = 6_000;
export const ARMS = ["model-0", "model-1", "model-2", "model-3"];
export const ENGINE: LinUCBOptions = { dimension: D, arms: ARMS, lambda: 3, pooling: { ridge: 1, shrinkage: "auto" } };

/**
 * `ROWS` rows, one a minute: prod rows of 5 cells, every 10th a shadow row (never read), every
 * 13th unjudged, every 97th with a feature of the wrong length and every 89th with a propensity
 * of 1e-9 (both rejected by reason).
 */
export async function insertCorpus(db: Db): Promise<void> {
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
export async function trainingSlice(db: Db): Promise<SliceRead> {
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

export interface ReadOutcome {
  readonly engine: LinUCBEngine;
  readonly totals: CorpusReadTotals;
  readonly integrity: IntegrityCollector;
  readonly coverage: CoverageCollector;
}

export async function singleRead(db: Db, slice: SliceRead): Promise<ReadOutcome> {
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

/** |a − b| ≤ 1e-12 · max(1, |a|), element by element. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = 1e-12 * Math.max(1, Math.abs(expected[i]!));
    if (!(Math.abs(actual[i]! - expected[i]!) <= tolerance)) {
      throw new Error(`${what}[${i}]: ${actual[i]} differs from ${expected[i]} by more than ${tolerance}`);
    }
  }
}

/** The sharded read equals the single one: statistics, models, totals, integrity, coverage. */
export function expectSameRead(sharded: ReadOutcome, single: ReadOutcome): void {
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
