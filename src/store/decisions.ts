/**
 * The decision log (table routing_decisions, migration 007): what `linucb serve` decided for each
 * request, kept so that an outcome posted later is written from the server's own record. Bulk
 * insert (one unnest statement per group commit), lookup by id with the outcome already written
 * for it (if any), and retention by age.
 */
import type { Queryable } from "./db.js";
import type { StoredOutcome, WritableSource } from "./outcome-writes.js";

/** One routing decision. */
export interface Decision {
  /** The decisionId handed to the client: a UUID. */
  readonly id: string;
  readonly createdAt: Date;
  readonly requestId: string | null;
  readonly agentId: string;
  readonly cell: string;
  readonly model: string;
  readonly features: ArrayLike<number>;
  readonly propensity: number;
  /** The policy version that decided; null for the uniform policy (before any promotion). */
  readonly policyVersionId: number | null;
  /** The exploration it was drawn under: the engine's Exploration JSON, or "uniform". */
  readonly exploration: unknown;
  readonly source: WritableSource;
}

/** A stored decision and the outcome already written for it, if any. */
export interface StoredDecision extends Decision {
  readonly outcome: StoredOutcome | null;
}

/** The idempotency key of the outcome of a decision (routing_outcomes.dedupe_key). */
export function decisionOutcomeKey(decisionId: string): string {
  return `decision:${decisionId}`;
}

const INSERT = `
INSERT INTO routing_decisions (id, created_at, request_id, agent_id, cell, model, features, propensity, policy_version_id,
                               exploration, source)
SELECT t.id, t.created_at, t.request_id, t.agent_id, t.cell, t.model, t.features::float8[], t.propensity, t.policy_version_id,
       t.exploration::jsonb, t.source
FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::float8[], $9::int8[],
            $10::text[], $11::text[])
  AS t(id, created_at, request_id, agent_id, cell, model, features, propensity, policy_version_id, exploration, source)
ON CONFLICT (id) DO NOTHING`;

/** Writes `decisions` in one statement (a decision already stored is left as it is). */
export async function insertDecisions(q: Queryable, decisions: readonly Decision[]): Promise<void> {
  if (decisions.length === 0) return;
  const column = <T>(pick: (d: Decision) => T): T[] => decisions.map(pick);
  await q.query(INSERT, [
    column((d) => d.id),
    column((d) => d.createdAt.toISOString()),
    column((d) => d.requestId),
    column((d) => d.agentId),
    column((d) => d.cell),
    column((d) => d.model),
    column((d) => `{${Array.prototype.join.call(d.features, ",")}}`),
    column((d) => d.propensity),
    column((d) => d.policyVersionId),
    column((d) => JSON.stringify(d.exploration)),
    column((d) => d.source),
  ]);
}

interface DecisionRow {
  id: string;
  created_at: Date;
  request_id: string | null;
  agent_id: string;
  cell: string;
  model: string;
  features: number[];
  propensity: number;
  policy_version_id: number | null;
  exploration: unknown;
  source: WritableSource;
  outcome_id: number | null;
  completed: boolean | null;
  hallucinated: boolean | null;
  refused: boolean | null;
  judge_score: number | null;
}

function toStored(row: DecisionRow): StoredDecision {
  return {
    id: row.id,
    createdAt: row.created_at,
    requestId: row.request_id,
    agentId: row.agent_id,
    cell: row.cell,
    model: row.model,
    features: row.features,
    propensity: row.propensity,
    policyVersionId: row.policy_version_id,
    exploration: row.exploration,
    source: row.source,
    outcome:
      row.outcome_id === null
        ? null
        : {
            id: row.outcome_id,
            dedupeKey: decisionOutcomeKey(row.id),
            completed: row.completed as boolean,
            hallucinated: row.hallucinated as boolean,
            refused: row.refused as boolean,
            judgeScore: row.judge_score,
          },
  };
}

/**
 * The stored decisions among `ids` (which must be UUID strings), by id, each with its outcome if
 * one is written. Ids not in the map are unknown (never made, or deleted by retention).
 */
export async function readDecisions(q: Queryable, ids: readonly string[]): Promise<Map<string, StoredDecision>> {
  const found = new Map<string, StoredDecision>();
  if (ids.length === 0) return found;
  const result = await q.query<DecisionRow>(
    `SELECT d.id::text AS id, d.created_at, d.request_id, d.agent_id, d.cell, d.model, d.features, d.propensity, d.policy_version_id,
            d.exploration, d.source, o.id AS outcome_id, o.completed, o.hallucinated, o.refused, o.judge_score
     FROM routing_decisions d LEFT JOIN routing_outcomes o ON o.dedupe_key = 'decision:' || d.id::text
     WHERE d.id = ANY($1::uuid[])`,
    [ids],
  );
  for (const row of result.rows) found.set(row.id, toStored(row));
  return found;
}

/** Deletes the decisions made before `cutoff` (retention); returns how many. */
export async function deleteDecisionsBefore(q: Queryable, cutoff: Date): Promise<number> {
  const result = await q.query("DELETE FROM routing_decisions WHERE created_at < $1", [cutoff]);
  return result.rowCount;
}
