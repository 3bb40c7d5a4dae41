import type { Migration } from "./migration.js";

/** One row per refit job: what it read, what it produced, how it ended. */
export const migration: Migration = {
  version: 4,
  name: "training_runs",
  up: `
CREATE TABLE training_runs (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  cadence          text NOT NULL CONSTRAINT training_runs_cadence_check CHECK (cadence IN ('prod', 'synthetic_warmup')),
  started_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  status           text NOT NULL DEFAULT 'running' CONSTRAINT training_runs_status_check CHECK (status IN ('running', 'succeeded', 'failed')),
  corpus_table     text NOT NULL CONSTRAINT training_runs_corpus_table_check CHECK (corpus_table IN ('routing_outcomes', 'routing_outcomes_synthetic')),
  -- The source filter the corpus read applied ('prod' for routing_outcomes; null: none).
  source_filter    text,
  rows_read        bigint NOT NULL DEFAULT 0 CONSTRAINT training_runs_rows_read_check CHECK (rows_read >= 0),
  rows_rejected    bigint NOT NULL DEFAULT 0 CONSTRAINT training_runs_rows_rejected_check CHECK (rows_rejected >= 0),
  -- Number of cells fitted.
  cells            integer CONSTRAINT training_runs_cells_check CHECK (cells >= 0),
  seed             bigint,
  parameters       jsonb NOT NULL DEFAULT '{}'::jsonb,
  metrics          jsonb,
  -- The policy version this run produced (foreign key added with policy_versions, migration 005).
  policy_version_id bigint,
  promoted         boolean NOT NULL DEFAULT false,
  error            text,
  -- The synthetic wall, once more in the schema: a prod run reads only prod rows of routing_outcomes.
  CONSTRAINT training_runs_prod_corpus_check CHECK (cadence <> 'prod' OR (corpus_table = 'routing_outcomes' AND source_filter = 'prod')),
  -- Only a prod run can be promoted: a warm-up's policy can never become the active one, even
  -- through a direct activatePolicyVersion (the flip and this flag are one transaction).
  CONSTRAINT training_runs_promoted_prod_check CHECK (NOT promoted OR cadence = 'prod'),
  -- A finished run has a finish time, a running one has none; only a failed run has an error.
  CONSTRAINT training_runs_finished_check CHECK ((status = 'running') = (finished_at IS NULL)),
  CONSTRAINT training_runs_error_check CHECK ((status = 'failed') = (error IS NOT NULL))
);
CREATE INDEX training_runs_cadence_started_idx ON training_runs (cadence, started_at);
`,
  down: `
DROP TABLE training_runs;
`,
};
