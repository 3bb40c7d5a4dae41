/**
 * The reader and the split agree on what a valid row is: on a table of good rows and rows that break
 * each bound, the SQL condition (validRowSql) holds exactly for the rows the reader accepts, and the
 * split's models and dimension come from those rows only — a model seen only on bad rows is no arm.
 */
import { beforeAll, expect, it } from "vitest";
import { readCorpus } from "../../src/store/corpus-reader.js";
import { splitCorpusByTime } from "../../src/store/corpus-split.js";
import { migrateUp } from "../../src/store/migrator.js";
import { DEFAULT_ROW_BOUNDS, resolveRowBounds, validRowSql, type RowBounds } from "../../src/store/row-bounds.js";
import { describeOnBackends, useFreshDatabase } from "./backends.js";

const BOUNDS: RowBounds = { reward: { min: -0.75, max: 1 }, minPropensity: 1e-6, maxFeatureMagnitude: 1e6 };

/** Rows as (model, features, propensity, reward): good ones on models good-*, each bad kind on a model of its own. */
const ROWS: readonly [string, string, number, string][] = [
  ["good-a", "{1,2,3}", 0.5, "0.5"],
  ["good-a", "{0,-1,1e5}", 1, "-0.75"],
  ["good-b", "{1,1,1}", 1e-6, "1"],
  ["good-b", "{1,1,1}", 0.2, "NULL"], // unjudged: valid, not read
  ["huge-feature", "{1,1e9,1}", 0.5, "0.5"],
  ["nan-feature", "{1,NaN,1}", 0.5, "0.5"],
  ["infinite-feature", "{1,-Infinity,1}", 0.5, "0.5"],
  ["null-feature", "{1,NULL,1}", 0.5, "0.5"],
  ["short", "{1,1}", 0.5, "0.5"],
  ["tiny-propensity", "{1,1,1}", 1e-300, "0.5"],
  ["huge-reward", "{1,1,1}", 0.5, "1e300"],
  ["low-reward", "{1,1,1}", 0.5, "-1e300"],
  ["nan-reward", "{1,1,1}", 0.5, "'NaN'"],
  ["out-of-range-reward", "{1,1,1}", 0.5, "1.5"],
];

describeOnBackends("row bounds: reader and split agree", (backend) => {
  const database = useFreshDatabase(backend);

  beforeAll(async () => {
    const { db } = database;
    await migrateUp(db);
    for (const [i, [model, features, propensity, reward]] of ROWS.entries()) {
      await db.query(
        `INSERT INTO routing_outcomes (created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused, reward)
         VALUES (timestamptz '2025-01-01' + $1 * interval '1 hour', 'agent', 'cell', $2, '${features}'::float8[], $3, true, false, false, ${reward})`,
        [i, model, propensity],
      );
    }
  });

  it("validRowSql holds exactly for the rows the reader does not reject", async () => {
    const { db } = database;
    const reader = readCorpus(db, { table: "routing_outcomes", dimension: 3, bounds: BOUNDS });
    const accepted: number[] = [];
    for await (const chunk of reader) accepted.push(...chunk.ids);
    const rejected = new Set(reader.totals.rejectedExamples.map((row) => row.id));
    const sql = await db.query<{ id: number; valid: boolean }>(
      `SELECT id, coalesce(${validRowSql(BOUNDS, "3")}, false) AS valid FROM routing_outcomes ORDER BY id`,
    );
    for (const row of sql.rows) expect(row.valid, `row ${row.id}`).toBe(!rejected.has(row.id));
    expect(accepted).toHaveLength(3);
    expect(reader.totals.unjudged).toBe(1);
    expect(reader.totals.rejected).toBe(ROWS.length - 4);
  });

  it("takes the split's models and dimension from valid rows only", async () => {
    const split = await splitCorpusByTime(database.db, {
      table: "routing_outcomes",
      heldOutShare: 0.2,
      bounds: BOUNDS,
    });
    expect(split.models).toEqual(["good-a", "good-b"]);
    expect(split.dimension).toBe(3);
    expect(split.total).toBe(ROWS.length);
    // Without a reward range any finite reward is valid: those models are arms again.
    const loose = await splitCorpusByTime(database.db, {
      table: "routing_outcomes",
      heldOutShare: 0.2,
      bounds: { ...BOUNDS, reward: null },
    });
    expect(loose.models).toEqual(["good-a", "good-b", "huge-reward", "low-reward", "out-of-range-reward"]);
  });
});

it("resolveRowBounds applies the defaults and names a bad value", () => {
  expect(resolveRowBounds(undefined)).toBe(DEFAULT_ROW_BOUNDS);
  expect(resolveRowBounds({ minPropensity: 0.01 })).toEqual({
    reward: null,
    minPropensity: 0.01,
    maxFeatureMagnitude: 1e6,
  });
  expect(() => resolveRowBounds({ minPropensity: 0 })).toThrow(
    /bounds.minPropensity must be a number in \(0, 1\]; received 0/,
  );
  expect(() => resolveRowBounds({ maxFeatureMagnitude: Number.POSITIVE_INFINITY })).toThrow(
    /bounds.maxFeatureMagnitude must be a positive finite number; received Infinity/,
  );
  expect(() => resolveRowBounds({ reward: { min: 1, max: 0 } })).toThrow(
    /bounds.reward must be \{ min, max \} with finite min ≤ max, or null/,
  );
});
