/**
 * The judge queue: rows of a corpus without a reward, handed to a judge in batches, and the
 * verdicts written back (reward, judge_score, judge_model). The judge itself is a callback — the
 * store knows nothing about how rewards are decided — and may be asynchronous (an LLM judge).
 *
 * Each batch is written by one UPDATE, so it is all-or-nothing; batches before a failure stay
 * judged, which is correct (a verdict does not depend on the other rows) and lets the next run
 * resume where this one stopped. The UPDATE only touches rows that are still unjudged, so two
 * judges running at once never overwrite each other's verdicts.
 *
 * Which rows: those of the table's corpus (CORPUS_FILTER), so a production judge never spends a
 * verdict on the synthetic or shadow rows of routing_outcomes; and only above the set-based judge's
 * watermarks (./judge-watermarks.ts): rows under one are judged already.
 */
import { CORPUS_FILTER, type CorpusTable } from "./corpus-reader.js";
import type { Db } from "./db.js";
import { describeValue } from "./errors.js";
import { judgedThroughId, readJudgeWatermarks } from "./judge-watermarks.js";

/** What a judge sees of an unjudged row. */
export interface UnjudgedOutcome {
  readonly id: number;
  readonly cell: string;
  readonly model: string;
  readonly completed: boolean;
  readonly hallucinated: boolean;
  readonly refused: boolean;
}

/** A judge's verdict on one row. */
export interface JudgeVerdict {
  /** The reward the learner will see; finite. */
  readonly reward: number;
  /** The judge's own score (stored in judge_score); finite or null. */
  readonly score: number | null;
}

/** Options of {@link judgeUnlabelled}. */
export interface JudgeUnlabelledOptions {
  readonly table: CorpusTable;
  /** Stored in judge_model: which judge (and version) labelled the rows. */
  readonly judgeModel: string;
  /** Returns one verdict per row, in the same order. */
  readonly judge: (rows: readonly UnjudgedOutcome[]) => readonly JudgeVerdict[] | Promise<readonly JudgeVerdict[]>;
  /** Rows per batch. @default 1000 */
  readonly batchSize?: number;
  /** Called after each batch with the rows judged so far. */
  readonly onProgress?: (judged: number) => void;
}

/** What {@link judgeUnlabelled} did. */
export interface JudgeUnlabelledResult {
  /** Rows that received a verdict. */
  readonly judged: number;
  readonly batches: number;
}

/** Labels every unjudged row of the table's corpus, in id order; see the module comment. */
export async function judgeUnlabelled(db: Db, options: JudgeUnlabelledOptions): Promise<JudgeUnlabelledResult> {
  if (typeof options !== "object" || options === null)
    throw new TypeError(`options must be an object; received ${describeValue(options)}`);
  const { table, judgeModel, judge, batchSize = 1000, onProgress } = options;
  if (table !== "routing_outcomes" && table !== "routing_outcomes_synthetic") {
    throw new RangeError(
      `table must be 'routing_outcomes' or 'routing_outcomes_synthetic'; received ${describeValue(table)}`,
    );
  }
  if (typeof judgeModel !== "string" || judgeModel === "")
    throw new TypeError(`judgeModel must be a non-empty string; received ${describeValue(judgeModel)}`);
  if (typeof judge !== "function") throw new TypeError(`judge must be a function; received ${describeValue(judge)}`);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    throw new RangeError(`batchSize must be an integer from 1 to 100000; received ${describeValue(batchSize)}`);
  }
  const where = CORPUS_FILTER[table];
  let afterId = judgedThroughId(await readJudgeWatermarks(db, table));
  let judged = 0;
  let batches = 0;
  for (;;) {
    const pending = await db.query<UnjudgedOutcome>(
      `SELECT id, cell, model, completed, hallucinated, refused FROM ${table}
       WHERE ${where} AND reward IS NULL AND id > $1 ORDER BY id LIMIT $2`,
      [afterId, batchSize],
    );
    const rows = pending.rows;
    if (rows.length === 0) break;
    const verdicts = await judge(rows);
    checkVerdicts(verdicts, rows);
    const written = await db.query(
      `UPDATE ${table} AS t SET reward = v.reward, judge_score = v.score, judge_model = $4
       FROM unnest($1::int8[], $2::float8[], $3::float8[]) AS v(id, reward, score)
       WHERE t.id = v.id AND t.reward IS NULL`,
      [rows.map((row) => row.id), verdicts.map((v) => v.reward), verdicts.map((v) => v.score), judgeModel],
    );
    judged += written.rowCount;
    batches++;
    afterId = rows[rows.length - 1].id;
    onProgress?.(judged);
    if (rows.length < batchSize) break;
  }
  return { judged, batches };
}

function checkVerdicts(
  verdicts: unknown,
  rows: readonly UnjudgedOutcome[],
): asserts verdicts is readonly JudgeVerdict[] {
  if (!Array.isArray(verdicts) || verdicts.length !== rows.length) {
    throw new TypeError(
      `the judge must return one verdict per row (${rows.length}); received ${describeValue(verdicts)}`,
    );
  }
  verdicts.forEach((verdict: Partial<JudgeVerdict> | null, i) => {
    const at = `verdict for row ${rows[i].id}`;
    if (typeof verdict?.reward !== "number" || !Number.isFinite(verdict.reward)) {
      throw new RangeError(`${at}: reward must be a finite number; received ${describeValue(verdict?.reward)}`);
    }
    if (verdict.score !== null && (typeof verdict.score !== "number" || !Number.isFinite(verdict.score))) {
      throw new RangeError(`${at}: score must be a finite number or null; received ${describeValue(verdict.score)}`);
    }
  });
}
