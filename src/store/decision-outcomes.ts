/**
 * The outcome of a decision, written where the decision is: `POST /v1/outcomes` turns the server's
 * decision record and the client's judgement into a routing_outcomes row. A decision still in the
 * server's memory (not yet stored) travels with the outcome; one already in routing_decisions is
 * joined in the INSERT itself, so that its context (features, propensity, version) never makes the
 * round trip to the server and back — the read before the write only asks whether the decision
 * exists and what outcome it already has. One statement per group commit, idempotent by the
 * outcome's dedupe key (`decision:<uuid>`).
 */
import type { Queryable } from "./db.js";
import { type Decision, type DecisionOutcomeColumns, outcomeOfDecisionRow } from "./decisions.js";
import { plainArray, type StoredOutcome, type WritableSource } from "./outcome-writes.js";

/** One outcome to write for a decision. */
export interface DecisionOutcomeInput {
  readonly decisionId: string;
  /** The decision when the server still holds it (not yet stored); null: read it from routing_decisions. */
  readonly decision: Decision | null;
  readonly completed: boolean;
  readonly hallucinated: boolean;
  readonly refused: boolean;
  readonly judgeScore: number | null;
  readonly source: WritableSource;
}

/**
 * The stored decisions among `ids` (UUID strings), each with the outcome already written for it or
 * null. Ids not in the map are unknown (never made, or deleted by retention).
 */
export async function readDecisionOutcomes(
  q: Queryable,
  ids: readonly string[],
): Promise<Map<string, StoredOutcome | null>> {
  const found = new Map<string, StoredOutcome | null>();
  if (ids.length === 0) return found;
  const result = await q.query<DecisionOutcomeColumns>(
    `SELECT d.id::text AS id, o.id AS outcome_id, o.completed, o.hallucinated, o.refused, o.judge_score
     FROM routing_decisions d LEFT JOIN routing_outcomes o ON o.dedupe_key = 'decision:' || d.id::text
     WHERE d.id = ANY($1::uuid[])`,
    [ids],
  );
  for (const row of result.rows) found.set(row.id, outcomeOfDecisionRow(row));
  return found;
}

// A row with its decision (t.a not null) is written as it came; one without takes the decision's
// columns from routing_decisions (a decision deleted meanwhile writes nothing: the caller sees its
// key neither written nor stored).
const INSERT = `
INSERT INTO routing_outcomes (created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused,
                              judge_score, policy_version, source, dedupe_key)
SELECT now(), coalesce(t.a, d.agent_id), coalesce(t.c, d.cell), coalesce(t.m, d.model), coalesce(t.f, d.features),
       coalesce(t.p, d.propensity), t.co, t.h, t.re, t.j, coalesce(t.v, d.policy_version_id::text, 'uniform'), t.s,
       'decision:' || t.id::text
FROM json_to_recordset($1::json) AS t(id uuid, a text, c text, m text, f float8[], p float8, v text, co bool, h bool,
                                      re bool, j float8, s text)
  LEFT JOIN routing_decisions d ON t.a IS NULL AND d.id = t.id
WHERE t.a IS NOT NULL OR d.id IS NOT NULL
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id, dedupe_key`;

/**
 * Inserts the outcomes in one statement; an outcome whose key is already stored (or repeated
 * earlier in `items`) is skipped. Returns the new ids by dedupe key: a key missing from the map was
 * not written.
 */
export async function insertDecisionOutcomes(
  q: Queryable,
  items: readonly DecisionOutcomeInput[],
): Promise<Map<string, number>> {
  const written = new Map<string, number>();
  if (items.length === 0) return written;
  const rows = items.map(({ decisionId, decision: d, completed, hallucinated, refused, judgeScore, source }) => ({
    id: decisionId,
    ...(d === null
      ? {}
      : {
          a: d.agentId,
          c: d.cell,
          m: d.model,
          f: plainArray(d.features),
          p: d.propensity,
          v: d.policyVersionId === null ? "uniform" : String(d.policyVersionId),
        }),
    co: completed,
    h: hallucinated,
    re: refused,
    j: judgeScore,
    s: source,
  }));
  const result = await q.query<{ id: number; dedupe_key: string }>(INSERT, [JSON.stringify(rows)]);
  for (const row of result.rows) written.set(row.dedupe_key, row.id);
  return written;
}
