/**
 * The set-based judge: the built-in linear judge labels every unjudged row of a corpus with one
 * watermark (migration 009, ./judge-watermarks.ts) instead of writing a reward into each row.
 *
 *     reward = completed − hallucinationPenalty · hallucinated − refusalPenalty · refused
 *
 * That reward is a pure function of a row's flags, so there is nothing to store per row: the judge
 * records "ids up to the corpus's highest are judged by this judge with these penalties", and every
 * reader computes the reward in SQL from the flags, in float8 and in the same order as the JS judge
 * (src/outcomes/reward.ts) — bit-identical rewards (tested on both back ends). Why not an UPDATE
 * per batch: each updated row rewrites the whole wide row (its features array) and an entry in each
 * of its four indexes, which bounded the judge below the speed of one plain UPDATE (≈ 60k–110k rows/s
 * on PostgreSQL, bench/README.md); a watermark costs one scan that counts the rows it labels.
 *
 * Same contract as the batch judge queue: the rows of the table's corpus only (CORPUS_FILTER), rows
 * with a stored reward keep it (a stored reward always wins over a watermark), all-or-nothing (one
 * transaction), and two judges never overwrite each other: watermarks are written one judge at a
 * time (a table lock readers do not wait for), each starting where the last ended. Consecutive runs
 * of the same judge extend its watermark. judge_score and judge_model of the rows stay as written
 * (the judge's score is the reward; the watermark names the judge).
 */
import { CORPUS_FILTER, type CorpusTable } from "./corpus-reader.js";
import type { Db, Queryable } from "./db.js";
import { describeValue } from "./errors.js";
import type { JudgeUnlabelledResult } from "./judge-queue.js";
import { type JudgeWatermark, judgedThroughId, readJudgeWatermarks } from "./judge-watermarks.js";

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
  /** Recorded on the watermark: which judge (and version) labelled the rows. */
  readonly judgeModel: string;
  readonly reward: LinearOutcomeRewardSql;
  /** Called once, with the rows judged. */
  readonly onProgress?: (judged: number) => void;
}

function checkOptions(options: JudgeUnlabelledInSqlOptions): void {
  if (typeof options !== "object" || options === null)
    throw new TypeError(`options must be an object; received ${describeValue(options)}`);
  const { table, judgeModel, reward } = options;
  if (table !== "routing_outcomes" && table !== "routing_outcomes_synthetic") {
    throw new RangeError(
      `table must be 'routing_outcomes' or 'routing_outcomes_synthetic'; received ${describeValue(table)}`,
    );
  }
  if (typeof judgeModel !== "string" || judgeModel === "")
    throw new TypeError(`judgeModel must be a non-empty string; received ${describeValue(judgeModel)}`);
  if (typeof reward !== "object" || reward === null || reward.kind !== "linear-outcome") {
    throw new TypeError(
      "reward must be { kind: 'linear-outcome', hallucinationPenalty, refusalPenalty }; " +
        `received ${describeValue(reward)}`,
    );
  }
  for (const name of ["hallucinationPenalty", "refusalPenalty"] as const) {
    const value: unknown = reward[name];
    if (typeof value !== "number" || !Number.isFinite(value))
      throw new RangeError(`reward.${name} must be a finite number; received ${describeValue(value)}`);
  }
}

/** Whether a watermark is this judge's: same name, same penalties to the bit. */
function sameJudge(mark: JudgeWatermark | undefined, judgeModel: string, reward: LinearOutcomeRewardSql): boolean {
  return (
    mark !== undefined &&
    mark.judgeModel === judgeModel &&
    Object.is(mark.hallucinationPenalty, reward.hallucinationPenalty) &&
    Object.is(mark.refusalPenalty, reward.refusalPenalty)
  );
}

/** Records the watermark over (last watermark, highest corpus id]; see the module comment. */
async function markJudged(tx: Queryable, options: JudgeUnlabelledInSqlOptions): Promise<JudgeUnlabelledResult> {
  const { table, judgeModel, reward } = options;
  // One judge marks at a time; EXCLUSIVE lets readers read the watermarks meanwhile.
  await tx.exec("LOCK TABLE judge_watermarks IN EXCLUSIVE MODE");
  const marks = await readJudgeWatermarks(tx, table);
  const fromId = judgedThroughId(marks);
  // One scan, one snapshot: the highest corpus id past the last watermark and the unjudged rows up to it.
  const range = await tx.query<{ high: number | null; n: number }>(
    `SELECT max(id) AS high, count(*) FILTER (WHERE reward IS NULL)::int8 AS n
     FROM ${table} WHERE ${CORPUS_FILTER[table]} AND id > $1`,
    [fromId],
  );
  const throughId = range.rows[0]?.high ?? null;
  if (throughId === null) return { judged: 0, batches: 0 };
  const judged = Number(range.rows[0]?.n ?? 0);
  const last = marks[marks.length - 1];
  if (sameJudge(last, judgeModel, reward)) {
    await tx.query(
      `UPDATE judge_watermarks SET through_id = $3, judged_rows = judged_rows + $4, judged_at = now()
       WHERE corpus_table = $1 AND from_id = $2`,
      [table, last!.fromId, throughId, judged],
    );
  } else {
    await tx.query(
      `INSERT INTO judge_watermarks
         (corpus_table, judge_model, hallucination_penalty, refusal_penalty, from_id, through_id, judged_rows)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [table, judgeModel, reward.hallucinationPenalty, reward.refusalPenalty, fromId, throughId, judged],
    );
  }
  return { judged, batches: 1 };
}

/** Labels every unjudged row of the table's corpus with one watermark; see the module comment. */
export async function judgeUnlabelledInSql(
  db: Db,
  options: JudgeUnlabelledInSqlOptions,
): Promise<JudgeUnlabelledResult> {
  checkOptions(options);
  const result = await db.transaction((tx) => markJudged(tx, options));
  if (result.batches > 0) options.onProgress?.(result.judged);
  return result;
}
