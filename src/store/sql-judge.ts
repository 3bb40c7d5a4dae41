/**
 * The set-based judge: the linear outcome reward computed by the database itself, one UPDATE per
 * batch of ids, with no row ever travelling to JavaScript and back (issue 14: the round trip per
 * batch of {@link judgeUnlabelled} labels ≈ 13k rows/s on PostgreSQL; this path is bench/store-judge.ts's).
 *
 *     reward = completed − hallucinationPenalty · hallucinated − refusalPenalty · refused
 *
 * evaluated in float8 in the same order as the JS judge (src/outcomes/reward.ts), so both give
 * bit-identical rewards (tested on both back ends); judge_score is the reward, as in the JS judge.
 * The penalties are bound parameters, never spliced into the SQL.
 *
 * Same contract as the batch judge queue: the rows of the table's corpus only (CORPUS_FILTER), in id
 * order, each batch all-or-nothing, batches before a failure stay judged, and only rows still
 * unjudged are written, so two judges at once never overwrite each other.
 */
import { CORPUS_FILTER, type CorpusTable } from "./corpus-reader.js";
import type { Db } from "./db.js";
import { describeValue } from "./errors.js";
import type { JudgeUnlabelledResult } from "./judge-queue.js";

/** A reward the database can compute: the linear reward of the three outcome flags. */
export interface LinearOutcomeRewardSql {
  readonly kind: "linear-outcome";
  /** Subtracted when hallucinated; finite. */
  readonly hallucinationPenalty: number;
  /** Subtracted when refused; finite. */
  readonly refusalPenalty: number;
}

/** Options of {@link judgeUnlabelledInSql}. */
export interface JudgeUnlabelledInSqlOptions {
  readonly table: CorpusTable;
  /** Stored in judge_model: which judge (and version) labelled the rows. */
  readonly judgeModel: string;
  readonly reward: LinearOutcomeRewardSql;
  /** Rows per UPDATE. @default 50000 */
  readonly batchSize?: number;
  /** Called after each batch with the rows judged so far. */
  readonly onProgress?: (judged: number) => void;
}

/** Largest batch: one UPDATE holds its rows' locks until it commits. */
const MAX_BATCH = 1_000_000;

/**
 * Each statement finds the next batch of unjudged corpus ids after the last one seen (the keyset)
 * and updates the id range it spans, by the primary key's index — not a join with the batch, which
 * the planner hashes over the whole table. It reports the batch's size and last id — the size says
 * whether more may follow, even when a concurrent judge took some of the batch first (those rows
 * are then skipped, not counted).
 */
function batchStatement(table: CorpusTable): string {
  const reward = `(CASE WHEN completed THEN 1::float8 ELSE 0::float8 END)
      - (CASE WHEN hallucinated THEN $4::float8 ELSE 0::float8 END)
      - (CASE WHEN refused THEN $5::float8 ELSE 0::float8 END)`;
  const unjudged = `${CORPUS_FILTER[table]} AND reward IS NULL AND id > $1`;
  return `WITH batch AS (
      SELECT count(*)::int8 AS selected, max(id)::int8 AS last_id
      FROM (SELECT id FROM ${table} WHERE ${unjudged} ORDER BY id LIMIT $2) AS next
    ), judged AS (
      UPDATE ${table} SET reward = ${reward}, judge_score = ${reward}, judge_model = $3
      WHERE ${unjudged} AND id <= (SELECT last_id FROM batch)
      RETURNING 1
    )
    SELECT selected, last_id, (SELECT count(*) FROM judged)::int8 AS judged FROM batch`;
}

function checkOptions(options: JudgeUnlabelledInSqlOptions): void {
  if (typeof options !== "object" || options === null)
    throw new TypeError(`options must be an object; received ${describeValue(options)}`);
  const { table, judgeModel, reward, batchSize } = options;
  if (table !== "routing_outcomes" && table !== "routing_outcomes_synthetic") {
    throw new RangeError(
      `table must be 'routing_outcomes' or 'routing_outcomes_synthetic'; received ${describeValue(table)}`,
    );
  }
  if (typeof judgeModel !== "string" || judgeModel === "")
    throw new TypeError(`judgeModel must be a non-empty string; received ${describeValue(judgeModel)}`);
  if (typeof reward !== "object" || reward === null || reward.kind !== "linear-outcome") {
    throw new TypeError(
      `reward must be { kind: 'linear-outcome', hallucinationPenalty, refusalPenalty }; received ${describeValue(reward)}`,
    );
  }
  for (const name of ["hallucinationPenalty", "refusalPenalty"] as const) {
    const value: unknown = reward[name];
    if (typeof value !== "number" || !Number.isFinite(value))
      throw new RangeError(`reward.${name} must be a finite number; received ${describeValue(value)}`);
  }
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH)) {
    throw new RangeError(`batchSize must be an integer from 1 to ${MAX_BATCH}; received ${describeValue(batchSize)}`);
  }
}

/** Labels every unjudged row of the table's corpus in SQL, in id order; see the module comment. */
export async function judgeUnlabelledInSql(
  db: Db,
  options: JudgeUnlabelledInSqlOptions,
): Promise<JudgeUnlabelledResult> {
  checkOptions(options);
  const { table, judgeModel, reward, batchSize = 50_000, onProgress } = options;
  const sql = batchStatement(table);
  let afterId = 0;
  let judged = 0;
  let batches = 0;
  for (;;) {
    const result = await db.query<{ selected: number; last_id: number | null; judged: number }>(sql, [
      afterId,
      batchSize,
      judgeModel,
      reward.hallucinationPenalty,
      reward.refusalPenalty,
    ]);
    const { selected, last_id: lastId, judged: written } = result.rows[0];
    if (selected === 0 || lastId === null) break;
    judged += written;
    batches++;
    afterId = lastId;
    onProgress?.(judged);
    if (selected < batchSize) break;
  }
  return { judged, batches };
}
