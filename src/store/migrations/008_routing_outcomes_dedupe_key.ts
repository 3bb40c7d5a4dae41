import type { Migration } from "./migration.js";

/**
 * A key that makes writing an outcome idempotent: at most one routing_outcomes row per key.
 * `decision:<uuid>` for an outcome of a served decision (so a retried POST /v1/outcomes, or an
 * import of the same decisions, adds nothing), `import:<sha256>` for an imported line without a
 * decision id (the hash of its canonical content, so re-importing a file adds nothing). Rows
 * written before this migration, and the cadence's own writes, keep null, which a unique index
 * never compares.
 */
export const migration: Migration = {
  version: 8,
  name: "routing_outcomes_dedupe_key",
  up: `
ALTER TABLE routing_outcomes ADD COLUMN dedupe_key text;
CREATE UNIQUE INDEX routing_outcomes_dedupe_key_idx ON routing_outcomes (dedupe_key);
`,
  down: `
DROP INDEX routing_outcomes_dedupe_key_idx;
ALTER TABLE routing_outcomes DROP COLUMN dedupe_key;
`,
};
