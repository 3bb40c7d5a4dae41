/**
 * The split of a corpus into a training slice and a held-out evaluation slice, and what the corpus
 * is made of (its models and feature dimension). One statement, with the same WHERE clause as the
 * corpus reader (CORPUS_FILTER), so the counts are those of what a refit reads: for
 * routing_outcomes, production rows only.
 *
 * Rows are ordered by (created_at, id) — a total order, so ties in created_at (a bulk backfill
 * written with one timestamp) are broken by id and the held-out share is exact to one row whatever
 * the timestamps. The held-out slice is the newest `round(share × eligible)` rows (at least one) of
 * the rows eligible for evaluation: those with id > `newerThanId` (the high-water id the incumbent
 * was trained on, so that neither policy has seen them; 0: every row). Its first row, the cutoff, is
 * a (created_at, id) pair; the held-out side is `id > newerThanId AND (created_at, id) ≥ cutoff`,
 * the training side everything else — exactly the reader's `split` option.
 *
 * The models come only from rows the reader will accept (the reader's checks in SQL, with the read's
 * bounds): a bad row adds no arm. The dimension is the commonest length among rows that pass every
 * check but the feature magnitude bound (checking every value of every row costs seconds per
 * million rows; the models need it on one row per model only). The counts are of every row, as
 * the reader scans them.
 */
import { CORPUS_FILTER, type CorpusPosition, type CorpusTable } from "./corpus-reader.js";
import type { Queryable } from "./db.js";
import { describeValue } from "./errors.js";
import { cheapValidRowSql, featureMagnitudeSql, resolveRowBounds, type RowBounds } from "./row-bounds.js";

/** Options of {@link splitCorpusByTime}. */
export interface CorpusSplitOptions {
  readonly table: CorpusTable;
  /** Share of the eligible rows to hold out (the newest), in (0, 1). */
  readonly heldOutShare: number;
  /** Only rows with id above this are eligible for the held-out slice (the incumbent's training high-water id). @default 0 */
  readonly newerThanId?: number;
  /** The reader's row bounds: only rows inside them give models and the dimension. @default DEFAULT_ROW_BOUNDS */
  readonly bounds?: Partial<RowBounds>;
}

/** Where a corpus splits and what it holds. */
export interface CorpusSplit {
  /** Rows of the corpus (judged or not, valid or not: what a read will scan). */
  readonly total: number;
  /** Rows eligible for the held-out slice: id > newerThanId. */
  readonly eligible: number;
  /** The high-water id below which rows are never held out (0: none). */
  readonly newerThanId: number;
  /** The first row of the held-out slice in (created_at, id) order; null when no row is eligible. */
  readonly cutoff: CorpusPosition | null;
  /** Rows of the training slice. */
  readonly training: number;
  /** Rows of the held-out slice. */
  readonly heldOut: number;
  /** Distinct models (arms) of the corpus's valid rows, sorted. */
  readonly models: readonly string[];
  /** The most common feature length of valid rows (the corpus's dimension); null when there is none. */
  readonly dimension: number | null;
  /**
   * The newest created_at of the corpus, in milliseconds since the epoch (the reader's own
   * conversion, so equal to a chunk's createdAtMs); null when it is empty. A refit with a daily
   * discount weighs each row by its age relative to this instant.
   */
  readonly newestAtMs: number | null;
}

function checkTable(table: unknown): asserts table is CorpusTable {
  if (table !== "routing_outcomes" && table !== "routing_outcomes_synthetic") {
    throw new RangeError(
      `table must be 'routing_outcomes' or 'routing_outcomes_synthetic'; received ${describeValue(table)}`,
    );
  }
}

interface SplitRow {
  total: number;
  eligible: number;
  cutoff_at: string | null;
  cutoff_id: number | null;
  held_out: number;
  models: string[] | null;
  dimension: number | null;
  newest_at_ms: number | null;
}

/** Computes the split of `options.table`'s corpus; see the module comment. */
export async function splitCorpusByTime(q: Queryable, options: CorpusSplitOptions): Promise<CorpusSplit> {
  if (typeof options !== "object" || options === null)
    throw new TypeError(`options must be an object; received ${describeValue(options)}`);
  const { table, heldOutShare, newerThanId = 0 } = options;
  checkTable(table);
  if (typeof heldOutShare !== "number" || !(heldOutShare > 0 && heldOutShare < 1)) {
    throw new RangeError(`heldOutShare must be a number in (0, 1); received ${describeValue(heldOutShare)}`);
  }
  if (!Number.isSafeInteger(newerThanId) || newerThanId < 0) {
    throw new RangeError(`newerThanId must be a non-negative integer; received ${describeValue(newerThanId)}`);
  }
  const where = CORPUS_FILTER[table];
  const bounds = resolveRowBounds(options.bounds, "bounds");
  // The cheap checks once per row (the CTE is read several times, so it is materialised); the
  // magnitude bound, which reads every value, only until one row of each candidate model passes
  // (a LIMIT 1 probe of the table per model). The cutoff is the k-th newest eligible row,
  // k = max(1, round(share × eligible)): an OFFSET of k − 1.
  const cheap = cheapValidRowSql(bounds);
  const bounded = featureMagnitudeSql(bounds, "r.features");
  const result = await q.query<SplitRow>(
    `WITH corpus AS (SELECT id, created_at, model, cardinality(features) AS length, coalesce(${cheap}, false) AS valid
                     FROM ${table} WHERE ${where}),
          eligible AS (SELECT count(*)::int8 AS n FROM corpus WHERE id > $2::int8),
          cut AS (SELECT created_at, id FROM corpus WHERE id > $2::int8
                  ORDER BY created_at DESC, id DESC
                  OFFSET (SELECT greatest(round(n * $1::float8), 1)::int8 - 1 FROM eligible) LIMIT 1),
          shape AS (SELECT mode() WITHIN GROUP (ORDER BY length) AS dimension FROM corpus WHERE valid),
          candidates AS (SELECT DISTINCT model FROM corpus, shape WHERE valid AND length = shape.dimension)
     SELECT (SELECT count(*) FROM corpus)::int8 AS total,
            (SELECT (extract(epoch FROM max(created_at)) * 1000)::float8 FROM corpus) AS newest_at_ms,
            (SELECT n FROM eligible) AS eligible,
            to_char(cut.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cutoff_at,
            cut.id AS cutoff_id,
            (SELECT count(*) FROM corpus c WHERE c.id > $2::int8 AND (c.created_at, c.id) >= (cut.created_at, cut.id))::int8 AS held_out,
            (SELECT array_agg(c.model ORDER BY c.model) FROM candidates c
              CROSS JOIN LATERAL (SELECT 1 FROM ${table} r
                                  WHERE ${where} AND r.model = c.model AND ${cheap}
                                    AND cardinality(r.features) = shape.dimension AND ${bounded}
                                  LIMIT 1) AS one) AS models,
            shape.dimension
     FROM shape LEFT JOIN cut ON true`,
    [heldOutShare, newerThanId],
  );
  const row = result.rows[0];
  const total = Number(row?.total ?? 0);
  const hasCut = row?.cutoff_id != null && row.cutoff_at != null;
  const heldOut = hasCut ? Number(row.held_out) : 0;
  return {
    total,
    eligible: Number(row?.eligible ?? 0),
    newerThanId,
    cutoff: hasCut ? { createdAt: row.cutoff_at!, id: Number(row.cutoff_id) } : null,
    training: total - heldOut,
    heldOut,
    models: row?.models ?? [],
    dimension: row?.dimension ?? null,
    newestAtMs: row?.newest_at_ms == null ? null : Number(row.newest_at_ms),
  };
}
