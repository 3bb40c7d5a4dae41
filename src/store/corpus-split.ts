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
 *
 * With a known prefix (an incremental refit: the rows at or below `prefix.throughId` ≤ newerThanId
 * are those its base was fitted on), only the rows above it are scanned — the held-out slice is
 * drawn from them anyway — and the prefix's figures are added: the total, the models (a union), the newest instant (a
 * maximum). The dimension stays the prefix's when it is also strictly the commonest valid length
 * of the new rows (or they have none): then it is the commonest of all rows, since it was of the
 * prefix. Otherwise the whole corpus is split as without a prefix.
 */
import { CORPUS_FILTER, type CorpusPosition, type CorpusTable } from "./corpus-reader.js";
import type { Queryable } from "./db.js";
import { describeValue } from "./errors.js";
import { judgedRewardSql, readJudgeWatermarks } from "./judge-watermarks.js";
import { cheapValidRowSql, featureMagnitudeSql, resolveRowBounds, type RowBounds } from "./row-bounds.js";

/** Options of {@link splitCorpusByTime}. */
export interface CorpusSplitOptions {
  readonly table: CorpusTable;
  /** Share of the eligible rows to hold out (the newest), in (0, 1). */
  readonly heldOutShare: number;
  /**
   * Only rows with id above this are eligible for the held-out slice (the incumbent's training high-water id).
   * @default 0
   */
  readonly newerThanId?: number;
  /** The reader's row bounds: only rows inside them give models and the dimension. @default DEFAULT_ROW_BOUNDS */
  readonly bounds?: Partial<RowBounds>;
  /**
   * What is already known of the rows with id ≤ prefix.throughId (at most newerThanId; an incremental
   * refit's base, checked against the corpus by its fingerprint): then only the rows above are
   * scanned. @default none: every row
   */
  readonly prefix?: CorpusPrefix;
}

/**
 * The rows at or below a high-water mark, as a split needs them: how many, their dimension (the
 * commonest valid length), the models of their valid rows (a superset is fine: the refit adds the
 * incumbent's arms anyway) and their newest created_at.
 */
export interface CorpusPrefix {
  /** The rows known are those with id ≤ throughId. */
  readonly throughId: number;
  readonly rows: number;
  readonly dimension: number;
  readonly models: readonly string[];
  readonly newestAtMs: number | null;
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
  const bounds = resolveRowBounds(options.bounds, "bounds");
  const prefix = options.prefix;
  if (prefix !== undefined && !(Number.isSafeInteger(prefix.throughId) && prefix.throughId <= newerThanId)) {
    throw new RangeError(
      `prefix.throughId must be an integer no larger than newerThanId (${newerThanId}); ` +
        `received ${describeValue(prefix.throughId)}`,
    );
  }
  if (prefix !== undefined) {
    const known = await querySplit(q, table, heldOutShare, newerThanId, bounds, prefix);
    if (known !== undefined && known.dimension !== null) return splitOf(known, newerThanId, prefix);
  }
  return splitOf(await querySplit(q, table, heldOutShare, newerThanId, bounds, undefined), newerThanId, undefined);
}

/**
 * The split's one statement (one snapshot, so its figures agree with each other). Without a prefix over every row;
 * with one over the rows above `prefix.throughId` only (a checked integer, so a literal), its dimension null when the
 * prefix's is not strictly the new rows' commonest.
 *
 * Its cost is one scan of the rows into a hash aggregate by (feature length, model) — a handful of groups — and an
 * index scan for the cutoff; nothing is materialised or sorted per row:
 * - `corpus`: the rows grouped by (length, model); per group the rows, the rows passing the cheap checks, the
 *   eligible rows and the newest created_at. The totals, the dimension (the commonest valid length; ties to the
 *   shortest, as mode() breaks them) and the candidate models all come from these few groups. (The OFFSET 0 keeps
 *   the planner from estimating the groups from the features column's statistics — a million distinct arrays —
 *   which made it sort every row instead of hashing: 2.2 s against 0.6 s on 10⁶ rows.)
 * - `cut`: the k-th newest eligible row, k = max(1, round(share × eligible)) (an OFFSET of k − 1), walked from the
 *   newest end of the created_at index (0.13 s for k = 200,000).
 * - The held-out side is the rows at or after the cutoff among the eligible ones: exactly k rows, since
 *   (created_at, id) is a total order and the cutoff is the k-th of them (k ≤ eligible for a share below 1).
 * - The models: a candidate (a model of the cheap-valid rows of the dimension) is kept when a LIMIT 1 probe of the
 *   table finds one row of it that also passes the magnitude bound, which reads every value.
 */
async function querySplit(
  q: Queryable,
  table: CorpusTable,
  heldOutShare: number,
  newerThanId: number,
  bounds: RowBounds,
  prefix: CorpusPrefix | undefined,
): Promise<SplitRow | undefined> {
  const where = CORPUS_FILTER[table];
  const above = prefix === undefined ? "" : ` AND id > ${prefix.throughId}`;
  const probeAbove = prefix === undefined ? "" : ` AND r.id > ${prefix.throughId}`;
  // Rewards as the reader sees them: stored, or given by a judge watermark.
  const cheap = cheapValidRowSql(bounds, judgedRewardSql(await readJudgeWatermarks(q, table)));
  const bounded = featureMagnitudeSql(bounds, "r.features");
  const commonest = "(SELECT length FROM lengths ORDER BY n DESC, length LIMIT 1)";
  const shape =
    prefix === undefined
      ? `shape AS (SELECT ${commonest} AS dimension)`
      : `shape AS (SELECT CASE WHEN coalesce((SELECT n FROM lengths WHERE length = $3::int), 0)
                                     > coalesce((SELECT max(n) FROM lengths WHERE length <> $3::int), 0)
                                  OR NOT EXISTS (SELECT 1 FROM lengths)
                             THEN $3::int END AS dimension)`;
  const result = await q.query<SplitRow>(
    `WITH corpus AS (SELECT length, model, count(*) AS n, count(*) FILTER (WHERE valid) AS valid,
                            count(*) FILTER (WHERE id > $2::int8) AS eligible, max(created_at) AS newest
                     FROM (SELECT cardinality(features) AS length, model, ${cheap} AS valid, id, created_at
                           FROM ${table} WHERE ${where}${above} OFFSET 0) AS scanned
                     GROUP BY length, model),
          totals AS (SELECT coalesce(sum(n), 0)::int8 AS total, coalesce(sum(eligible), 0)::int8 AS eligible,
                            max(newest) AS newest
                     FROM corpus),
          held AS (SELECT greatest(round(eligible * $1::float8), 1)::int8 AS k FROM totals),
          cut AS (SELECT created_at, id FROM ${table} WHERE ${where}${above} AND id > $2::int8
                  ORDER BY created_at DESC, id DESC
                  OFFSET (SELECT k - 1 FROM held) LIMIT 1),
          lengths AS (SELECT length, sum(valid) AS n FROM corpus WHERE valid > 0 GROUP BY length),
          ${shape},
          candidates AS (SELECT model FROM corpus, shape WHERE valid > 0 AND length = shape.dimension)
     SELECT totals.total, totals.eligible,
            (extract(epoch FROM totals.newest) * 1000)::float8 AS newest_at_ms,
            to_char(cut.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cutoff_at,
            cut.id AS cutoff_id,
            CASE WHEN cut.id IS NULL THEN 0 ELSE (SELECT k FROM held) END AS held_out,
            (SELECT array_agg(c.model ORDER BY c.model) FROM candidates c
              CROSS JOIN LATERAL (SELECT 1 FROM ${table} r
                                  WHERE ${where}${probeAbove} AND r.model = c.model AND ${cheap}
                                    AND cardinality(r.features) = shape.dimension AND ${bounded}
                                  LIMIT 1) AS one) AS models,
            shape.dimension
     FROM totals CROSS JOIN shape LEFT JOIN cut ON true`,
    prefix === undefined ? [heldOutShare, newerThanId] : [heldOutShare, newerThanId, prefix.dimension],
  );
  return result.rows[0];
}

/** The split from the statement's row, with the prefix's figures added when it was used. */
function splitOf(row: SplitRow | undefined, newerThanId: number, prefix: CorpusPrefix | undefined): CorpusSplit {
  const total = Number(row?.total ?? 0) + (prefix?.rows ?? 0);
  const hasCut = row?.cutoff_id != null && row.cutoff_at != null;
  const heldOut = hasCut ? Number(row.held_out) : 0;
  return {
    total,
    eligible: Number(row?.eligible ?? 0),
    newerThanId,
    cutoff: hasCut ? { createdAt: row.cutoff_at!, id: Number(row.cutoff_id) } : null,
    training: total - heldOut,
    heldOut,
    models:
      prefix === undefined ? (row?.models ?? []) : [...new Set([...prefix.models, ...(row?.models ?? [])])].sort(),
    dimension: row?.dimension ?? null,
    newestAtMs: newest(row?.newest_at_ms == null ? null : Number(row.newest_at_ms), prefix?.newestAtMs ?? null),
  };
}

function newest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}
