import type { Migration } from "./migration.js";

/**
 * What an incremental refit needs of a policy version beyond its snapshot: Σr² of every (cell, arm)
 * model, in the snapshot's model order (cell-major, then arm), as little-endian f64. The snapshot
 * already carries the exact Σxxᵀ, Σrx and n of every model (its statistics flag); Σr² is the one
 * sufficient statistic it lacks (the shrinkage estimate needs it). Null for versions written before
 * this migration or without statistics: the next refit then reads the corpus whole. The rest of the
 * refit's basis (high-water mark, prefix fingerprint, discount reference) is in
 * `parameters.corpus.basis`.
 */
export const migration: Migration = {
  version: 11,
  name: "policy_versions_reward_squares",
  up: `
ALTER TABLE policy_versions ADD COLUMN reward_squares bytea
  CONSTRAINT policy_versions_reward_squares_check CHECK (octet_length(reward_squares) % 8 = 0);
`,
  down: `
ALTER TABLE policy_versions DROP COLUMN reward_squares;
`,
};
