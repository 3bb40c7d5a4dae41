import type { Migration } from "./migration.js";

/**
 * The decision log without its foreign key to policy_versions. The key was checked once per decision
 * — a trigger running a look-up and a row lock on policy_versions for every row — which was a third
 * of PostgreSQL's CPU per stored decision (5 of 13 µs with the binary COPY) on the serving hot path.
 * What it guarded cannot happen through linucb: the server writes only the id of the version it
 * serves, read from policy_versions, and no command deletes a policy version (migration 005's down
 * drops the table, after 007's down has dropped this one). The down puts the key back; it fails
 * (SQLSTATE 23503) if a version a decision names was deleted by hand meanwhile.
 */
export const migration: Migration = {
  version: 12,
  name: "routing_decisions_drop_version_fkey",
  up: `
ALTER TABLE routing_decisions DROP CONSTRAINT routing_decisions_policy_version_fkey;
`,
  down: `
ALTER TABLE routing_decisions ADD CONSTRAINT routing_decisions_policy_version_fkey
  FOREIGN KEY (policy_version_id) REFERENCES policy_versions (id);
`,
};
