/**
 * Writing routing outcomes in bulk, idempotently: one `INSERT … SELECT FROM unnest(…)` per batch
 * (one statement and one round trip for thousands of rows, on both back ends), `ON CONFLICT
 * (dedupe_key) DO NOTHING`, so that a row whose key is already in the table adds nothing. What
 * the caller does with a key that was already there (the same outcome again, or a conflicting
 * one) is its business: {@link readOutcomesByKey} gives it the stored values to compare.
 * Used by the server's group commit (src/serve) and by `linucb import`.
 */
import type { RoutingOutcome } from "../outcomes/outcome.js";
import type { Queryable } from "./db.js";

/** Sources a written outcome may carry (synthetic rows live in their own table). */
export type WritableSource = "prod" | "shadow";

/**
 * One routing_outcomes row to write: the domain row of src/outcomes without its id, with any
 * array-like features and a writable source. Values must already be validated (finite, in range).
 */
export interface OutcomeRowInput extends Omit<RoutingOutcome, "id" | "createdAt" | "features" | "source"> {
  /** The idempotency key (`decision:<uuid>` or `import:<sha256>`). */
  readonly dedupeKey: string;
  /** When the outcome happened; null: now (the time of the write). */
  readonly createdAt: Date | null;
  /** The context: any array-like of numbers (written as float8[]). */
  readonly features: ArrayLike<number>;
  readonly source: WritableSource;
}

/** The judged fields of a stored outcome, to compare a repeated write with. */
export interface StoredOutcome {
  readonly id: number;
  readonly dedupeKey: string;
  readonly completed: boolean;
  readonly hallucinated: boolean;
  readonly refused: boolean;
  readonly judgeScore: number | null;
}

/** Postgres array literal of finite numbers (`{1,0.5,-2e-7}`): JS's shortest round-trip form. */
function floatArrayLiteral(values: ArrayLike<number>): string {
  return `{${Array.prototype.join.call(values, ",")}}`;
}

const INSERT = `
INSERT INTO routing_outcomes (created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused,
                              judge_score, judge_model, reward, policy_version, source, dedupe_key)
SELECT coalesce(t.created_at, now()), t.agent_id, t.cell, t.model, t.features::float8[], t.propensity, t.completed, t.hallucinated,
       t.refused, t.judge_score, t.judge_model, t.reward, t.policy_version, t.source, t.dedupe_key
FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::bool[], $8::bool[], $9::bool[],
            $10::float8[], $11::text[], $12::float8[], $13::text[], $14::text[], $15::text[])
  AS t(created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused,
       judge_score, judge_model, reward, policy_version, source, dedupe_key)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id, dedupe_key`;

/**
 * Inserts `rows` in one statement; rows whose key is already stored (or repeated earlier in
 * `rows`) are skipped. Returns the new ids by key: a key missing from the map was not written.
 */
export async function insertOutcomeRows(q: Queryable, rows: readonly OutcomeRowInput[]): Promise<Map<string, number>> {
  const written = new Map<string, number>();
  if (rows.length === 0) return written;
  const column = <T>(pick: (row: OutcomeRowInput) => T): T[] => rows.map(pick);
  const result = await q.query<{ id: number; dedupe_key: string }>(INSERT, [
    column((r) => (r.createdAt === null ? null : r.createdAt.toISOString())),
    column((r) => r.agentId),
    column((r) => r.cell),
    column((r) => r.model),
    column((r) => floatArrayLiteral(r.features)),
    column((r) => r.propensity),
    column((r) => r.completed),
    column((r) => r.hallucinated),
    column((r) => r.refused),
    column((r) => r.judgeScore),
    column((r) => r.judgeModel),
    column((r) => r.reward),
    column((r) => r.policyVersion),
    column((r) => r.source),
    column((r) => r.dedupeKey),
  ]);
  for (const row of result.rows) written.set(row.dedupe_key, row.id);
  return written;
}

/** The stored outcomes with these keys (those that exist), by key. */
export async function readOutcomesByKey(q: Queryable, keys: readonly string[]): Promise<Map<string, StoredOutcome>> {
  const found = new Map<string, StoredOutcome>();
  if (keys.length === 0) return found;
  const result = await q.query<{
    id: number;
    dedupe_key: string;
    completed: boolean;
    hallucinated: boolean;
    refused: boolean;
    judge_score: number | null;
  }>(
    "SELECT id, dedupe_key, completed, hallucinated, refused, judge_score FROM routing_outcomes WHERE dedupe_key = ANY($1::text[])",
    [keys],
  );
  for (const row of result.rows) {
    found.set(row.dedupe_key, {
      id: row.id,
      dedupeKey: row.dedupe_key,
      completed: row.completed,
      hallucinated: row.hallucinated,
      refused: row.refused,
      judgeScore: row.judge_score,
    });
  }
  return found;
}
