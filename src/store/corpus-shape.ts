/**
 * What the production corpus is made of — its models and its feature dimension — for serving the
 * uniform policy before anything is promoted (its K models and the feature length requests must
 * have). Same rule as the prod cadence: source 'prod' rows, the most common feature length.
 */
import type { Queryable } from "./db.js";

/** The prod corpus's models (sorted) and dimension (null when there are no rows). */
export interface CorpusShape {
  readonly models: readonly string[];
  readonly dimension: number | null;
}

/** Reads {@link CorpusShape} of routing_outcomes' prod rows (one scan; for start-up). */
export async function readProdCorpusShape(q: Queryable): Promise<CorpusShape> {
  const result = await q.query<{ models: string[] | null; dimension: number | null }>(
    `SELECT array_agg(DISTINCT model ORDER BY model) AS models,
            mode() WITHIN GROUP (ORDER BY cardinality(features)) AS dimension
     FROM routing_outcomes WHERE source = 'prod'`,
  );
  const row = result.rows[0];
  return { models: row?.models ?? [], dimension: row?.dimension ?? null };
}
