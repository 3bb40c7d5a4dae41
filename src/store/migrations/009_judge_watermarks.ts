import type { Migration } from "./migration.js";

/** The reward of the built-in linear judge, over the outcome row `o` and the watermark row `m`. */
const MARKED_REWARD = `(CASE WHEN o.completed THEN 1::float8 ELSE 0::float8 END)
      - (CASE WHEN o.hallucinated THEN m.hallucination_penalty ELSE 0::float8 END)
      - (CASE WHEN o.refused THEN m.refusal_penalty ELSE 0::float8 END)`;

/** Writes the verdicts of a table's watermarks into its rows, as the judge did before this migration. */
function materialise(table: string, corpus: string): string {
  return `UPDATE ${table} AS o
SET reward = ${MARKED_REWARD}, judge_score = ${MARKED_REWARD}, judge_model = m.judge_model
FROM judge_watermarks AS m
WHERE m.corpus_table = '${table}' AND o.id > m.from_id AND o.id <= m.through_id
  AND o.reward IS NULL AND ${corpus};`;
}

/**
 * The set-based judge's verdicts, recorded as id ranges instead of row writes (issue 14 item 1).
 *
 * The built-in judge's reward is a pure function of a row's three outcome flags and the judge's two
 * penalties. Rather than rewrite every wide row (its features array, its four index entries) to store
 * that number, the judge records one watermark: "the rows of this corpus with from_id < id ≤
 * through_id and no stored reward are judged by this linear judge with these penalties", and every
 * reader computes the reward from the flags (src/store/judge-watermarks.ts). Consecutive runs of the
 * same judge extend its watermark, so the table holds one row per change of judge. A reward stored in
 * the row (imported, or a pluggable judge's) always wins over a watermark.
 *
 * The down first writes the verdicts the watermarks stand for into the rows (exactly the rewards
 * the readers computed: the same float8 operations), then drops the table; the migrator still
 * counts the watermark rows as data and refuses without --force.
 */
export const migration: Migration = {
  version: 9,
  name: "judge_watermarks",
  up: `
CREATE TABLE judge_watermarks (
  id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  corpus_table           text NOT NULL CONSTRAINT judge_watermarks_corpus_table_check
                           CHECK (corpus_table IN ('routing_outcomes', 'routing_outcomes_synthetic')),
  -- The judge's name (and version), as judge_model holds it on the rows it labels explicitly.
  judge_model            text NOT NULL CONSTRAINT judge_watermarks_judge_model_check CHECK (judge_model <> ''),
  -- reward = completed − hallucination_penalty · hallucinated − refusal_penalty · refused, in float8.
  hallucination_penalty  float8 NOT NULL CONSTRAINT judge_watermarks_hallucination_penalty_check
                           CHECK (hallucination_penalty > '-Infinity' AND hallucination_penalty < 'Infinity'),
  refusal_penalty        float8 NOT NULL CONSTRAINT judge_watermarks_refusal_penalty_check
                           CHECK (refusal_penalty > '-Infinity' AND refusal_penalty < 'Infinity'),
  -- The ids judged: from_id < id ≤ through_id (the corpus's highest id when the judge last ran).
  from_id                bigint NOT NULL,
  through_id             bigint NOT NULL,
  -- Rows without a stored reward in the range when it was marked: the rows this judge labelled.
  judged_rows            bigint NOT NULL CONSTRAINT judge_watermarks_judged_rows_check CHECK (judged_rows >= 0),
  created_at             timestamptz NOT NULL DEFAULT now(),
  judged_at              timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT judge_watermarks_range_check CHECK (from_id >= 0 AND through_id > from_id),
  -- Ranges follow each other without overlap: each starts where the previous one ended.
  CONSTRAINT judge_watermarks_from_id_key UNIQUE (corpus_table, from_id),
  CONSTRAINT judge_watermarks_through_id_key UNIQUE (corpus_table, through_id)
);
`,
  down: `
${materialise("routing_outcomes", "o.source = 'prod'")}
${materialise("routing_outcomes_synthetic", "o.source LIKE 'synthetic%'")}
DROP TABLE judge_watermarks;
`,
};
