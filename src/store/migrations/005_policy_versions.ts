import type { Migration } from "./migration.js";

/**
 * Policy snapshots (opaque bytes from the engine, with their SHA-256) and the pointer to the active
 * one. The pointer is a one-row table: its primary key is a boolean that must be true, so the
 * schema itself allows at most one row — at most one active policy, flipped with one UPSERT.
 */
export const migration: Migration = {
  version: 5,
  name: "policy_versions",
  up: `
CREATE TABLE policy_versions (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  created_at       timestamptz NOT NULL DEFAULT now(),
  training_run_id  bigint NOT NULL CONSTRAINT policy_versions_training_run_fkey REFERENCES training_runs (id),
  snapshot         bytea NOT NULL,
  -- Lower-case hex SHA-256 of snapshot, verified on every read.
  snapshot_sha256  text NOT NULL CONSTRAINT policy_versions_snapshot_sha256_check CHECK (snapshot_sha256 ~ '^[0-9a-f]{64}$'),
  parameters       jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX policy_versions_training_run_idx ON policy_versions (training_run_id);

ALTER TABLE training_runs ADD CONSTRAINT training_runs_policy_version_fkey FOREIGN KEY (policy_version_id) REFERENCES policy_versions (id);

CREATE TABLE active_policy (
  -- Always true: the primary key admits one row, so there is never more than one active policy.
  singleton          boolean PRIMARY KEY DEFAULT true CONSTRAINT active_policy_singleton_check CHECK (singleton),
  policy_version_id  bigint NOT NULL CONSTRAINT active_policy_policy_version_fkey REFERENCES policy_versions (id),
  activated_at       timestamptz NOT NULL DEFAULT now()
);
`,
  down: `
DROP TABLE active_policy;
ALTER TABLE training_runs DROP CONSTRAINT training_runs_policy_version_fkey;
DROP TABLE policy_versions;
`,
};
