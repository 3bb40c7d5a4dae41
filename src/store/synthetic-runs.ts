/**
 * What routing_outcomes_synthetic holds, by generator run: (source, seed) and the row count. The
 * warm-up checks it before refitting, because its answer key is the planted optimum of one world:
 * rows of two worlds in one corpus would be graded against the wrong key.
 */
import type { Queryable } from "./db.js";

/** The rows of one generator run in routing_outcomes_synthetic. */
export interface SyntheticRunRows {
  /** Generator name and version, e.g. 'synthetic_coldstart_v1'. */
  readonly source: string;
  readonly seed: number;
  readonly rows: number;
}

/** The generator runs present in routing_outcomes_synthetic, by source then seed. */
export async function listSyntheticRuns(q: Queryable): Promise<SyntheticRunRows[]> {
  const result = await q.query<{ source: string; seed: number; rows: number }>(
    "SELECT source, seed, count(*)::int8 AS rows FROM routing_outcomes_synthetic GROUP BY source, seed ORDER BY " +
      "source, seed",
  );
  return result.rows.map((row) => ({ source: row.source, seed: row.seed, rows: row.rows }));
}
