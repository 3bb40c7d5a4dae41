/**
 * Training runs: one row per refit job, written by the cadence when the job starts and when it
 * ends. The corpus a run reads follows from its cadence and is recorded with it: a prod run reads
 * routing_outcomes filtered to source 'prod' (the schema refuses anything else for a prod run), a
 * synthetic warm-up reads routing_outcomes_synthetic.
 *
 * A run ends 'succeeded' or 'failed' when its process ends it, or 'abandoned' when its process died
 * first (killed between start and end): the next cadence of its cadence, holding the cadence's lock
 * (so no live process can own a running run of that cadence), marks it so with the reason.
 */
import type { Queryable } from "./db.js";
import { StoreError, describeValue } from "./errors.js";
import type { CorpusTable } from "./corpus-reader.js";

/** Which cadence a run belongs to. */
export type TrainingCadence = "prod" | "synthetic_warmup";

/** Where a run is in its life. */
export type TrainingRunStatus = "running" | "succeeded" | "failed" | "abandoned";

/** A JSON object (parameters, metrics). */
export type JsonObject = { readonly [key: string]: unknown };

/** One row of training_runs. */
export interface TrainingRun {
  readonly id: number;
  readonly cadence: TrainingCadence;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly status: TrainingRunStatus;
  readonly corpusTable: CorpusTable;
  /** The source filter of the corpus read: 'prod' for prod runs, null for synthetic ones. */
  readonly sourceFilter: string | null;
  readonly rowsRead: number;
  readonly rowsRejected: number;
  /** Cells fitted (null until finished). */
  readonly cells: number | null;
  readonly seed: number | null;
  readonly parameters: JsonObject;
  readonly metrics: JsonObject | null;
  /** The policy version the run produced, if any. */
  readonly policyVersionId: number | null;
  /** Whether that version was made the active policy. */
  readonly promoted: boolean;
  readonly error: string | null;
}

/** What a run starts with. */
export interface StartTrainingRun {
  readonly cadence: TrainingCadence;
  /** Seed of anything random in the run. */
  readonly seed?: number | null;
  /** The refit's parameters (alpha, lambda, dimension, time slice, …), stored as jsonb. */
  readonly parameters?: JsonObject;
}

/** What a successful run ends with. */
export interface FinishTrainingRun {
  readonly rowsRead: number;
  readonly rowsRejected: number;
  readonly cells: number;
  readonly metrics?: JsonObject | null;
  /** The policy version produced (insert it first, see ./policy-versions.ts). */
  readonly policyVersionId?: number | null;
}

/** The corpus each cadence reads: fixed, not chosen by the caller. */
const CORPUS_OF: Readonly<Record<TrainingCadence, { table: CorpusTable; sourceFilter: string | null }>> = {
  prod: { table: "routing_outcomes", sourceFilter: "prod" },
  synthetic_warmup: { table: "routing_outcomes_synthetic", sourceFilter: null },
};

interface TrainingRunRow {
  id: number;
  cadence: TrainingCadence;
  started_at: Date;
  finished_at: Date | null;
  status: TrainingRunStatus;
  corpus_table: CorpusTable;
  source_filter: string | null;
  rows_read: number;
  rows_rejected: number;
  cells: number | null;
  seed: number | null;
  parameters: JsonObject;
  metrics: JsonObject | null;
  policy_version_id: number | null;
  promoted: boolean;
  error: string | null;
}

const COLUMNS =
  "id, cadence, started_at, finished_at, status, corpus_table, source_filter, rows_read, rows_rejected, cells, " +
  "seed, parameters, metrics, policy_version_id, promoted, error";

function toTrainingRun(row: TrainingRunRow): TrainingRun {
  return {
    id: row.id,
    cadence: row.cadence,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    status: row.status,
    corpusTable: row.corpus_table,
    sourceFilter: row.source_filter,
    rowsRead: row.rows_read,
    rowsRejected: row.rows_rejected,
    cells: row.cells,
    seed: row.seed,
    parameters: row.parameters,
    metrics: row.metrics,
    policyVersionId: row.policy_version_id,
    promoted: row.promoted,
    error: row.error,
  };
}

/** JSON text for a `$n::text::jsonb` parameter (a JS array would be sent as a Postgres array). */
export function jsonParameter(value: unknown, name: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`${name} must be serialisable as JSON: ${(error as Error).message}`);
  }
  if (text === undefined) throw new TypeError(`${name} must be serialisable as JSON; received ${describeValue(value)}`);
  return text;
}

function assertId(id: unknown, name: string): asserts id is number {
  if (!Number.isSafeInteger(id) || (id as number) < 1)
    throw new RangeError(`${name} must be a positive integer id; received ${describeValue(id)}`);
}

function assertCount(value: unknown, name: string): void {
  if (!Number.isSafeInteger(value) || (value as number) < 0)
    throw new RangeError(`${name} must be a non-negative integer; received ${describeValue(value)}`);
}

function assertJsonObject(value: unknown, name: string): void {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new TypeError(`${name} must be a plain object; received ${describeValue(value)}`);
}

/** Inserts a running training run and returns it. */
export async function startTrainingRun(q: Queryable, run: StartTrainingRun): Promise<TrainingRun> {
  if (typeof run !== "object" || run === null)
    throw new TypeError(`run must be an object; received ${describeValue(run)}`);
  const corpus = CORPUS_OF[run.cadence];
  if (corpus === undefined || !Object.hasOwn(CORPUS_OF, run.cadence)) {
    throw new RangeError(`cadence must be 'prod' or 'synthetic_warmup'; received ${describeValue(run.cadence)}`);
  }
  const seed = run.seed ?? null;
  if (seed !== null && !Number.isSafeInteger(seed))
    throw new RangeError(`seed must be an integer or null; received ${describeValue(seed)}`);
  const parameters = run.parameters ?? {};
  assertJsonObject(parameters, "parameters");
  const result = await q.query<TrainingRunRow>(
    `INSERT INTO training_runs (cadence, corpus_table, source_filter, seed, parameters)
     VALUES ($1, $2, $3, $4, $5::text::jsonb) RETURNING ${COLUMNS}`,
    [run.cadence, corpus.table, corpus.sourceFilter, seed, jsonParameter(parameters, "parameters")],
  );
  return toTrainingRun(result.rows[0] as TrainingRunRow);
}

/** Marks a running run succeeded with its counts (and the policy version it produced). */
export async function finishTrainingRun(q: Queryable, id: number, outcome: FinishTrainingRun): Promise<TrainingRun> {
  assertId(id, "id");
  if (typeof outcome !== "object" || outcome === null)
    throw new TypeError(`outcome must be an object; received ${describeValue(outcome)}`);
  assertCount(outcome.rowsRead, "rowsRead");
  assertCount(outcome.rowsRejected, "rowsRejected");
  assertCount(outcome.cells, "cells");
  const metrics = outcome.metrics ?? null;
  if (metrics !== null) assertJsonObject(metrics, "metrics");
  const policyVersionId = outcome.policyVersionId ?? null;
  if (policyVersionId !== null) assertId(policyVersionId, "policyVersionId");
  const result = await q.query<TrainingRunRow>(
    `UPDATE training_runs
     SET status = 'succeeded', finished_at = now(), rows_read = $2, rows_rejected = $3, cells = $4,
         metrics = $5::text::jsonb, policy_version_id = $6
     WHERE id = $1 AND status = 'running'
     RETURNING ${COLUMNS}`,
    [
      id,
      outcome.rowsRead,
      outcome.rowsRejected,
      outcome.cells,
      metrics === null ? null : jsonParameter(metrics, "metrics"),
      policyVersionId,
    ],
  );
  return toTrainingRun(result.rows[0] ?? (await notRunning(q, id)));
}

/** Marks a running run failed with the error (its message, if an Error). */
export async function failTrainingRun(
  q: Queryable,
  id: number,
  error: unknown,
  counts: { rowsRead?: number; rowsRejected?: number } = {},
): Promise<TrainingRun> {
  assertId(id, "id");
  if (counts.rowsRead !== undefined) assertCount(counts.rowsRead, "rowsRead");
  if (counts.rowsRejected !== undefined) assertCount(counts.rowsRejected, "rowsRejected");
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const result = await q.query<TrainingRunRow>(
    `UPDATE training_runs
     SET status = 'failed', finished_at = now(), error = $2,
         rows_read = coalesce($3, rows_read), rows_rejected = coalesce($4, rows_rejected)
     WHERE id = $1 AND status = 'running'
     RETURNING ${COLUMNS}`,
    [id, message === "" ? "(no message)" : message, counts.rowsRead ?? null, counts.rowsRejected ?? null],
  );
  return toTrainingRun(result.rows[0] ?? (await notRunning(q, id)));
}

/**
 * Marks every running run of `cadence` abandoned, with `reason` as its error, and returns them.
 * Call it only while holding that cadence's lock: then no live process owns any of them.
 */
export async function abandonRunningRuns(
  q: Queryable,
  cadence: TrainingCadence,
  reason: string,
): Promise<TrainingRun[]> {
  if (!Object.hasOwn(CORPUS_OF, cadence)) {
    throw new RangeError(`cadence must be 'prod' or 'synthetic_warmup'; received ${describeValue(cadence)}`);
  }
  if (typeof reason !== "string" || reason === "") {
    throw new TypeError(`reason must be a non-empty string; received ${describeValue(reason)}`);
  }
  const result = await q.query<TrainingRunRow>(
    `UPDATE training_runs SET status = 'abandoned', finished_at = now(), error = $2
     WHERE cadence = $1 AND status = 'running'
     RETURNING ${COLUMNS}`,
    [cadence, reason],
  );
  return result.rows.map(toTrainingRun).sort((a, b) => a.id - b.id);
}

/** Training runs, newest first (at most `limit`, of one cadence if given). */
export async function listTrainingRuns(
  q: Queryable,
  options: { readonly limit?: number; readonly cadence?: TrainingCadence } = {},
): Promise<TrainingRun[]> {
  const limit = options.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer; received ${describeValue(limit)}`);
  const cadence = options.cadence ?? null;
  if (cadence !== null && !Object.hasOwn(CORPUS_OF, cadence)) {
    throw new RangeError(`cadence must be 'prod' or 'synthetic_warmup'; received ${describeValue(cadence)}`);
  }
  const result = await q.query<TrainingRunRow>(
    `SELECT ${COLUMNS} FROM training_runs WHERE $1::text IS NULL OR cadence = $1 ORDER BY id DESC LIMIT $2`,
    [cadence, limit],
  );
  return result.rows.map(toTrainingRun);
}

/** One training run, or null if there is none with this id. */
export async function getTrainingRun(q: Queryable, id: number): Promise<TrainingRun | null> {
  assertId(id, "id");
  const result = await q.query<TrainingRunRow>(`SELECT ${COLUMNS} FROM training_runs WHERE id = $1`, [id]);
  const row = result.rows[0];
  return row === undefined ? null : toTrainingRun(row);
}

async function notRunning(q: Queryable, id: number): Promise<never> {
  const run = await getTrainingRun(q, id);
  throw new StoreError(
    "NOT_FOUND",
    run === null ? `training run ${id} does not exist` : `training run ${id} is not running (status ${run.status})`,
  );
}
