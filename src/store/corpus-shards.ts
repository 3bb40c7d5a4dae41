/**
 * The shard plan of a corpus read: the read's id range cut into `count` consecutive ranges holding
 * (nearly) equal numbers of matching rows, so that parallel readers — worker threads or queue
 * workers on other machines — each get the same share of work, and together read exactly the rows
 * the single read would (same table filter, time bounds and split side; the id ranges partition
 * the ids up to the plan's high-water id, which is fixed when the plan is made, so rows appended
 * meanwhile wait for the next refit as they do for a single read).
 *
 * How it cuts: one aggregate, `percentile_disc(k / count) WITHIN GROUP (ORDER BY id)` for
 * k = 1 … count − 1 over the matching rows, which sorts only the matching ids (an index-only scan
 * on the (source, id) index when the read is not time-sliced). Shard k is `id ∈ (cut[k−1], cut[k]]`;
 * rows per shard differ by at most one from total / count (ids are unique).
 */
import { type CorpusReadOptions, corpusRowsCondition } from "./corpus-reader.js";
import type { Queryable } from "./db.js";
import { describeValue } from "./errors.js";

/** One id range of a sharded read: rows with afterId < id ≤ throughId. */
export interface CorpusShard {
  /** The shard's position in the plan, from 0: statistics are merged in this order. */
  readonly index: number;
  readonly afterId: number;
  readonly throughId: number;
}

/** A shard plan. */
export interface CorpusShardPlan {
  /** Matching rows of the whole read when the plan was made. */
  readonly rows: number;
  /** The highest matching id when the plan was made (the read's high-water id); null if no row matched. */
  readonly highWaterId: number | null;
  /** Consecutive id ranges, in id order, covering (afterId, highWaterId]; fewer than asked when rows are fewer. */
  readonly shards: readonly CorpusShard[];
}

/** Largest number of shards a plan makes: far beyond any worker count, small enough to catch a mix-up. */
export const MAX_SHARDS = 4096;

/**
 * Cuts the rows `read` would return into `count` id ranges of equal row counts. `read.afterId`
 * (default 0) is the first range's lower end; `read.throughId`, when given, bounds the plan.
 */
export async function planCorpusShards(
  db: Queryable,
  read: CorpusReadOptions,
  count: number,
): Promise<CorpusShardPlan> {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) {
    throw new RangeError(`count must be an integer from 1 to ${MAX_SHARDS}; received ${describeValue(count)}`);
  }
  const afterId = read.afterId ?? 0;
  const conditions = [corpusRowsCondition(read), `id > ${afterId}`];
  if (read.throughId !== undefined) conditions.push(`id <= ${read.throughId}`);
  const fractions = Array.from({ length: count - 1 }, (_, k) => (k + 1) / count);
  const cutsColumn =
    fractions.length === 0
      ? "NULL::float8[] AS cuts"
      : `(percentile_disc(ARRAY[${fractions.join(", ")}]::float8[]) WITHIN GROUP (ORDER BY id))::float8[] AS cuts`;
  const result = await db.query<{ rows: number; high: number | null; cuts: number[] | null }>(
    `SELECT count(*)::int8 AS rows, max(id) AS high, ${cutsColumn} ` +
      `FROM ${read.table} WHERE ${conditions.join(" AND ")}`,
  );
  const row = result.rows[0];
  const rows = Number(row?.rows ?? 0);
  const high = row?.high ?? null;
  if (high === null) return { rows: 0, highWaterId: null, shards: [] };
  // Duplicate cuts (fewer rows than shards) would make empty ranges: keep each boundary once.
  const ends = [...new Set([...(row?.cuts ?? []).map(Number), high])].filter((end) => end > afterId);
  const shards = ends.map((throughId, index) => ({
    index,
    afterId: index === 0 ? afterId : ends[index - 1]!,
    throughId,
  }));
  return { rows, highWaterId: high, shards };
}
