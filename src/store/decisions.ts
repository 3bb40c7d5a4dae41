/**
 * The decision log (table routing_decisions, migration 007): what `linucb serve` decided for each
 * request, kept so that an outcome posted later is written from the server's own record. Bulk
 * insert (one binary COPY per group commit on PostgreSQL, one json_to_recordset statement on PGlite),
 * lookup by id with the outcome already written for it (if any), and retention by age.
 */
import { BinaryCopyWriter } from "./binary-copy-writer.js";
import type { Queryable } from "./db.js";
import type { StoreError } from "./errors.js";
import { plainArray, type StoredOutcome, type WritableSource } from "./outcome-writes.js";

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

// One statement per batch: the rows travel as one JSON array (JSON.stringify is native and cheap on the
// server's event loop; pg's own array escaping of eleven text[] parameters cost several µs per row),
// the explorations as a JSON array of the batch's distinct values, each row pointing at one.
const INSERT =
  `
INSERT INTO routing_decisions (id, created_at, request_id, agent_id, cell, model, features, propensity, ` +
  `policy_version_id,
                               exploration, source)
SELECT t.id, to_timestamp(t.t / 1000.0), t.r, t.a, t.c, t.m, t.f, t.p, t.v, $2::jsonb -> t.e, t.s
FROM json_to_recordset($1::json) AS t(id uuid, t float8, r text, a text, c text, m text, f float8[], p float8, ` +
  `v int8, e int4,
                                      s text)
ON CONFLICT (id) DO NOTHING`;

const COPY_TARGET =
  "routing_decisions (id, created_at, request_id, agent_id, cell, model, features, propensity, " +
  "policy_version_id, exploration, source)";
/** SQLSTATE unique_violation. */
const UNIQUE_VIOLATION = "23505";

/**
 * Writes `decisions` in one statement (a decision already stored is left as it is). On PostgreSQL a
 * binary COPY — a third of the server's CPU per row of the INSERT below (no statement to parse and
 * plan, no JSON to take apart) — unless one of them is stored already (a retry after a write whose
 * commit was not acknowledged): COPY cannot skip a row, so that group goes through the INSERT, which
 * can. On PGlite the INSERT.
 */
export async function insertDecisions(q: Queryable, decisions: readonly Decision[]): Promise<void> {
  if (decisions.length === 0) return;
  if (q.copyInBinary !== undefined) {
    try {
      await q.copyInBinary(COPY_TARGET, decisionCopyRows(decisions));
      return;
    } catch (error) {
      if ((error as StoreError).sqlstate !== UNIQUE_VIOLATION) throw error;
    }
  }
  await insertDecisionsByJson(q, decisions);
}

/** The decisions as binary COPY rows of {@link COPY_TARGET}. */
function decisionCopyRows(decisions: readonly Decision[]): Buffer {
  const writer = new BinaryCopyWriter(decisions.length * 320);
  // The explorations are a handful of objects shared by many decisions: each serialised once.
  const explorationJson = new Map<unknown, string>();
  for (const d of decisions) {
    let exploration = explorationJson.get(d.exploration);
    if (exploration === undefined) {
      exploration = JSON.stringify(d.exploration);
      explorationJson.set(d.exploration, exploration);
    }
    writer.row(11);
    writer.uuid(d.id);
    writer.timestamptz(d.createdAt.getTime());
    if (d.requestId === null) writer.null();
    else writer.text(d.requestId);
    writer.text(d.agentId);
    writer.text(d.cell);
    writer.text(d.model);
    writer.float8Array(d.features);
    writer.float8(d.propensity);
    if (d.policyVersionId === null) writer.null();
    else writer.int8(d.policyVersionId);
    writer.jsonb(exploration);
    writer.text(d.source);
  }
  return writer.take();
}

/** The INSERT of {@link insertDecisions}: one statement, rows already stored skipped. */
async function insertDecisionsByJson(q: Queryable, decisions: readonly Decision[]): Promise<void> {
  const explorations: unknown[] = [];
  const explorationIndex = new Map<unknown, number>();
  const rows = decisions.map((d) => {
    let e = explorationIndex.get(d.exploration);
    if (e === undefined) {
      e = explorations.push(d.exploration) - 1;
      explorationIndex.set(d.exploration, e);
    }
    return {
      id: d.id,
      t: d.createdAt.getTime(),
      r: d.requestId,
      a: d.agentId,
      c: d.cell,
      m: d.model,
      f: plainArray(d.features),
      p: d.propensity,
      v: d.policyVersionId,
      e,
      s: d.source,
    };
  });
  await q.query(INSERT, [JSON.stringify(rows), JSON.stringify(explorations)]);
}

interface DecisionRow extends DecisionOutcomeColumns {
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
    outcome: outcomeOfDecisionRow(row),
  };
}

/** The outcome columns a decision's row carries when joined with `routing_outcomes` (null: none yet). */
export interface DecisionOutcomeColumns {
  id: string;
  outcome_id: number | null;
  completed: boolean | null;
  hallucinated: boolean | null;
  refused: boolean | null;
  judge_score: number | null;
}

/** The stored outcome of a decision, from its row joined with `routing_outcomes` (null: none yet). */
export function outcomeOfDecisionRow(row: DecisionOutcomeColumns): StoredOutcome | null {
  if (row.outcome_id === null) return null;
  return {
    id: row.outcome_id,
    dedupeKey: decisionOutcomeKey(row.id),
    completed: row.completed as boolean,
    hallucinated: row.hallucinated as boolean,
    refused: row.refused as boolean,
    judgeScore: row.judge_score,
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
    `SELECT d.id::text AS id, d.created_at, d.request_id, d.agent_id, d.cell, d.model, d.features, ` +
      `d.propensity, d.policy_version_id,
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
