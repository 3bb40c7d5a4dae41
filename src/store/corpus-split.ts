/**
 * The time split of a corpus: where the held-out evaluation slice starts, how many rows fall on each
 * side, and what the corpus is made of (its models and feature dimension). One statement, with the
 * same WHERE clause as the corpus reader (CORPUS_FILTER), so the counts are those of what a refit
 * reads: for routing_outcomes, production rows only.
 *
 * The cutoff is a row quantile of created_at (percentile_disc), not a point in wall-clock time:
 * holding out the newest 20% of rows keeps the evaluation slice the same size whether traffic was
 * steady or bursty. Rows created at exactly the cutoff go to the held-out side (created_at ≥ cutoff),
 * as the reader's `createdFrom` / `createdBefore` bounds do.
 *
 * The models and the dimension come only from rows the reader will accept (validRowSql, the
 * reader's checks in SQL, with the read's bounds): a bad row adds no arm and does not choose the
 * dimension. The counts are of every row, as the reader scans them.
 */
import { CORPUS_FILTER, type CorpusTable } from "./corpus-reader.js";
import type { Queryable } from "./db.js";
import { describeValue } from "./errors.js";
import { resolveRowBounds, validRowSql, type RowBounds } from "./row-bounds.js";

/** Options of {@link splitCorpusByTime}. */
export interface CorpusSplitOptions {
  readonly table: CorpusTable;
  /** Share of the newest rows to hold out, in (0, 1). */
  readonly heldOutShare: number;
  /** The reader's row bounds: only rows inside them give models and the dimension. @default DEFAULT_ROW_BOUNDS */
  readonly bounds?: Partial<RowBounds>;
}

/** Where a corpus splits and what it holds. */
export interface CorpusSplit {
  /** Rows of the corpus (judged or not, valid or not: what a read will scan). */
  readonly total: number;
  /** First created_at of the held-out slice; null for an empty corpus. */
  readonly cutoff: Date | null;
  /** Rows created before the cutoff: the training slice. */
  readonly training: number;
  /** Rows created at or after the cutoff: the held-out slice. */
  readonly heldOut: number;
  /** Distinct models (arms) of the corpus's valid rows, sorted. */
  readonly models: readonly string[];
  /** The most common feature length of valid rows (the corpus's dimension); null when there is none. */
  readonly dimension: number | null;
}

function checkTable(table: unknown): asserts table is CorpusTable {
  if (table !== "routing_outcomes" && table !== "routing_outcomes_synthetic") {
    throw new RangeError(`table must be 'routing_outcomes' or 'routing_outcomes_synthetic'; received ${describeValue(table)}`);
  }
}

/** Computes the time split of `options.table`'s corpus; see the module comment. */
export async function splitCorpusByTime(q: Queryable, options: CorpusSplitOptions): Promise<CorpusSplit> {
  if (typeof options !== "object" || options === null) throw new TypeError(`options must be an object; received ${describeValue(options)}`);
  const { table, heldOutShare } = options;
  checkTable(table);
  if (typeof heldOutShare !== "number" || !(heldOutShare > 0 && heldOutShare < 1)) {
    throw new RangeError(`heldOutShare must be a number in (0, 1); received ${describeValue(heldOutShare)}`);
  }
  const where = CORPUS_FILTER[table];
  const bounds = resolveRowBounds(options.bounds, "bounds");
  // The dimension is the commonest length among rows valid whatever their length; the models are
  // those of rows valid at that dimension.
  const validAnyLength = validRowSql(bounds, "cardinality(features)");
  const validAtDimension = validRowSql(bounds, "shape.dimension");
  const result = await q.query<{ total: number; cutoff: Date | null; training: number; models: string[] | null; dimension: number | null }>(
    `WITH corpus AS (SELECT created_at, model, features, cell, agent_id, propensity, reward FROM ${table} WHERE ${where}),
          cut AS (SELECT percentile_disc($1::float8) WITHIN GROUP (ORDER BY created_at) AS cutoff FROM corpus),
          shape AS (SELECT mode() WITHIN GROUP (ORDER BY cardinality(features)) AS dimension FROM corpus WHERE ${validAnyLength})
     SELECT (SELECT count(*) FROM corpus)::int8 AS total,
            cut.cutoff,
            (SELECT count(*) FROM corpus WHERE created_at < cut.cutoff)::int8 AS training,
            (SELECT array_agg(DISTINCT model ORDER BY model) FROM corpus WHERE ${validAtDimension}) AS models,
            shape.dimension
     FROM cut, shape`,
    [1 - heldOutShare],
  );
  const row = result.rows[0];
  const total = row?.total ?? 0;
  const training = row?.cutoff == null ? total : row.training;
  return {
    total,
    cutoff: row?.cutoff ?? null,
    training,
    heldOut: total - training,
    models: row?.models ?? [],
    dimension: row?.dimension ?? null,
  };
}
