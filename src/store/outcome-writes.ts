/**
 * Writing routing outcomes in bulk, idempotently: one `INSERT … SELECT FROM json_to_recordset(…)` per batch
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

/**
 * `values` as something JSON.stringify writes as an array of numbers: a typed array would become an
 * object keyed by index. Used by the JSON-array statements of the outcome and decision writes.
 */
export function plainArray(values: ArrayLike<number>): ArrayLike<number> {
  return Array.isArray(values) ? values : Array.from(values);
}

// The rows travel as one JSON array (one parameter; JSON.stringify is native and cheap, where pg's
// escaping of fifteen array parameters cost several µs per row on the server's event loop).
const INSERT =
  `
INSERT INTO routing_outcomes (created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused,
                              judge_score, judge_model, reward, policy_version, source, dedupe_key)
SELECT coalesce(to_timestamp(t.t / 1000.0), now()), t.a, t.c, t.m, t.f, t.p, t.co, t.h, t.re, ` +
  `t.j, t.jm, t.rw, t.v, t.s, t.k
FROM json_to_recordset($1::json) AS t(t float8, a text, c text, m text, f float8[], p float8, co bool, h bool, re bool,
                                      j float8, jm text, rw float8, v text, s text, k text)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id, dedupe_key`;

/**
 * Inserts `rows` in one statement; rows whose key is already stored (or repeated earlier in
 * `rows`) are skipped. Returns the new ids by key: a key missing from the map was not written.
 */
export async function insertOutcomeRows(q: Queryable, rows: readonly OutcomeRowInput[]): Promise<Map<string, number>> {
  const written = new Map<string, number>();
  if (rows.length === 0) return written;
  const json = JSON.stringify(
    rows.map((r) => ({
      t: r.createdAt === null ? null : r.createdAt.getTime(),
      a: r.agentId,
      c: r.cell,
      m: r.model,
      f: plainArray(r.features),
      p: r.propensity,
      co: r.completed,
      h: r.hallucinated,
      re: r.refused,
      j: r.judgeScore,
      jm: r.judgeModel,
      rw: r.reward,
      v: r.policyVersion,
      s: r.source,
      k: r.dedupeKey,
    })),
  );
  const result = await q.query<{ id: number; dedupe_key: string }>(INSERT, [json]);
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
    "SELECT id, dedupe_key, completed, hallucinated, refused, judge_score FROM routing_outcomes " +
      "WHERE dedupe_key = ANY($1::text[])",
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
