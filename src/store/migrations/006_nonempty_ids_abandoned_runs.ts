import type { Migration } from "./migration.js";

/**
 * Two guards, one migration:
 *
 * - Empty ids refused by the schema: `cell`, `model` and `agent_id` of both outcome tables must be
 *   non-empty (an empty model would become an arm with no name). The constraints are added
 *   NOT VALID: PostgreSQL then enforces them on every row inserted or updated from now on but does
 *   not check the rows already there, so a table that already holds an empty id does not make this
 *   migration fail (and the migration does not scan the whole table under its exclusive lock).
 *   Such old rows are still never read: the cadence's reader rejects them by id. Once they are
 *   fixed or deleted, `ALTER TABLE … VALIDATE CONSTRAINT …` makes PostgreSQL check every row.
 * - A training run can end 'abandoned': a run left 'running' by a process that died (killed
 *   between its start and its end), marked so by the next cadence of its mode, with the reason in
 *   `error` (like a failed run).
 *
 * Down turns abandoned runs into failed ones (their reason kept) before restoring the old checks.
 */
export const migration: Migration = {
  version: 6,
  name: "nonempty_ids_abandoned_runs",
  up: `
ALTER TABLE routing_outcomes
  ADD CONSTRAINT routing_outcomes_cell_nonempty_check CHECK (cell <> '') NOT VALID,
  ADD CONSTRAINT routing_outcomes_model_nonempty_check CHECK (model <> '') NOT VALID,
  ADD CONSTRAINT routing_outcomes_agent_id_nonempty_check CHECK (agent_id <> '') NOT VALID;
ALTER TABLE routing_outcomes_synthetic
  ADD CONSTRAINT routing_outcomes_synthetic_cell_nonempty_check CHECK (cell <> '') NOT VALID,
  ADD CONSTRAINT routing_outcomes_synthetic_model_nonempty_check CHECK (model <> '') NOT VALID,
  ADD CONSTRAINT routing_outcomes_synthetic_agent_id_nonempty_check CHECK (agent_id <> '') NOT VALID;
ALTER TABLE training_runs
  DROP CONSTRAINT training_runs_status_check,
  ADD CONSTRAINT training_runs_status_check CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned')),
  DROP CONSTRAINT training_runs_error_check,
  ADD CONSTRAINT training_runs_error_check CHECK ((status IN ('failed', 'abandoned')) = (error IS NOT NULL));
`,
  down: `
UPDATE training_runs SET status = 'failed' WHERE status = 'abandoned';
ALTER TABLE training_runs
  DROP CONSTRAINT training_runs_error_check,
  ADD CONSTRAINT training_runs_error_check CHECK ((status = 'failed') = (error IS NOT NULL)),
  DROP CONSTRAINT training_runs_status_check,
  ADD CONSTRAINT training_runs_status_check CHECK (status IN ('running', 'succeeded', 'failed'));
ALTER TABLE routing_outcomes_synthetic
  DROP CONSTRAINT routing_outcomes_synthetic_agent_id_nonempty_check,
  DROP CONSTRAINT routing_outcomes_synthetic_model_nonempty_check,
  DROP CONSTRAINT routing_outcomes_synthetic_cell_nonempty_check;
ALTER TABLE routing_outcomes
  DROP CONSTRAINT routing_outcomes_agent_id_nonempty_check,
  DROP CONSTRAINT routing_outcomes_model_nonempty_check,
  DROP CONSTRAINT routing_outcomes_cell_nonempty_check;
`,
};
