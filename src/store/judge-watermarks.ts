/**
 * Judge watermarks (migration 009): the set-based judge's verdicts as id ranges, and the reward
 * every reader computes from them.
 *
 * A watermark says: the rows of a corpus with fromId < id ≤ throughId that have no stored reward
 * are judged by the built-in linear judge with these penalties. Their reward is then a pure function
 * of the row's flags,
 *
 *     reward = completed − hallucinationPenalty · hallucinated − refusalPenalty · refused
 *
 * evaluated by {@link judgedRewardSql} in float8, in the same order as the JS judge
 * (src/outcomes/reward.ts), so bit for bit the reward the JS judge gives. A reward stored in the row
 * (a pluggable judge's verdict, an imported one) always wins. Watermarks of one table follow each
 * other from id 0 without gaps or overlap, so "judged" is: a stored reward, or id ≤ the last throughId.
 *
 * Every SQL that reads rewards of a corpus table (the corpus reader, the split, the integrity check,
 * the judge queue) takes them through {@link judgedRewardSql} with the watermarks it read once, so
 * one read sees one consistent set of verdicts even if a judge runs meanwhile.
 */
import type { CorpusTable } from "./corpus-reader.js";
import type { Queryable } from "./db.js";

/** One range of ids judged by the built-in linear judge. */
export interface JudgeWatermark {
  readonly judgeModel: string;
  readonly hallucinationPenalty: number;
  readonly refusalPenalty: number;
  /** The range judged: fromId < id ≤ throughId. */
  readonly fromId: number;
  readonly throughId: number;
  /** Rows without a stored reward in the range when it was marked. */
  readonly judgedRows: number;
}

interface WatermarkRow {
  judge_model: string;
  hallucination_penalty: number;
  refusal_penalty: number;
  from_id: number;
  through_id: number;
  judged_rows: number;
}

/** The table's watermarks in id order. */
export async function readJudgeWatermarks(q: Queryable, table: CorpusTable): Promise<JudgeWatermark[]> {
  const { rows } = await q.query<WatermarkRow>(
    `SELECT judge_model, hallucination_penalty, refusal_penalty, from_id, through_id, judged_rows
     FROM judge_watermarks WHERE corpus_table = $1 ORDER BY from_id`,
    [table],
  );
  return rows.map((row) => ({
    judgeModel: row.judge_model,
    hallucinationPenalty: Number(row.hallucination_penalty),
    refusalPenalty: Number(row.refusal_penalty),
    fromId: Number(row.from_id),
    throughId: Number(row.through_id),
    judgedRows: Number(row.judged_rows),
  }));
}

/** The highest id the watermarks cover (0: none): rows above it are judged only if their reward is stored. */
export function judgedThroughId(marks: readonly JudgeWatermark[]): number {
  return marks.length === 0 ? 0 : (marks[marks.length - 1] as JudgeWatermark).throughId;
}

/** A float8 SQL literal of a finite number, exact (−0 kept). */
function float8(value: number): string {
  return `'${Object.is(value, -0) ? "-0" : String(value)}'::float8`;
}

/**
 * The linear reward of the row's flags in SQL, the operations in the JS judge's order. `penalty`
 * expressions are SQL (literals or bound parameters); `column` qualifies the flag columns.
 */
export function linearRewardSql(hallucinationPenalty: string, refusalPenalty: string, column = ""): string {
  return `((CASE WHEN ${column}completed THEN 1::float8 ELSE 0::float8 END)
      - (CASE WHEN ${column}hallucinated THEN ${hallucinationPenalty} ELSE 0::float8 END)
      - (CASE WHEN ${column}refused THEN ${refusalPenalty} ELSE 0::float8 END))`;
}

/**
 * The reward of a row as SQL (null: unjudged): its stored reward, else the reward of the watermark
 * its id falls in. Literals only (a binary COPY takes no parameters). `column` qualifies the row's
 * columns, e.g. `"r."`.
 */
export function judgedRewardSql(marks: readonly JudgeWatermark[], column = ""): string {
  if (marks.length === 0) return `${column}reward`;
  const branches = marks.map((mark) => {
    const reward = linearRewardSql(float8(mark.hallucinationPenalty), float8(mark.refusalPenalty), column);
    return `WHEN ${column}id <= ${mark.throughId} THEN ${reward}`;
  });
  // The ranges are contiguous from id 0, so the first throughId not below the id picks the watermark.
  return `COALESCE(${column}reward, CASE ${branches.join(" ")} END)`;
}
