import type { Migration } from "./migration.js";

/**
 * Where queue workers (`linucb worker`, possibly on other machines) leave the result of one shard of
 * a distributed refit until the coordinator merges it: one row per (batch, shard). The statistics
 * travel as bytes (src/scale/statistics-codec.ts), the read's totals, integrity record and coverage
 * sums as JSON. The coordinator deletes a batch's rows once merged, or when the run fails; a row
 * left by a coordinator that died is only a leftover (a batch id is never reused).
 *
 * `version` is this migration's position in the list (the runner requires 1, 2, 3, …): numbered
 * 012 by agreement, its version follows the migrations merged before it.
 */
export const migration: Migration = {
  version: 10,
  name: "refit_shard_results",
  up: `
CREATE TABLE refit_shard_results (
  batch_id     uuid        NOT NULL,
  shard_index  integer     NOT NULL CHECK (shard_index >= 0),
  statistics   bytea       NOT NULL,
  summary      jsonb       NOT NULL,
  worker       text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (batch_id, shard_index)
);
`,
  down: `
DROP TABLE refit_shard_results;
`,
};
