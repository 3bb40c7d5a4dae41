import type { Migration } from "./migration.js";

/**
 * Where each outcome came from. Only 'prod' rows may feed a production refit (invariant 1, the
 * synthetic wall): the corpus reader filters `source = 'prod'` in its SQL, served by the index.
 * Existing rows are production rows and backfill to 'prod' through the default.
 */
export const migration: Migration = {
  version: 2,
  name: "routing_outcomes_source",
  up: `
ALTER TABLE routing_outcomes ADD COLUMN source text NOT NULL DEFAULT 'prod';
ALTER TABLE routing_outcomes ADD CONSTRAINT routing_outcomes_source_check CHECK (source IN ('prod', 'synthetic', 'shadow'));
-- (source, id): the prod keyset read is one index range scan, WHERE source = 'prod' AND id > $last.
CREATE INDEX routing_outcomes_source_idx ON routing_outcomes (source, id);
`,
  down: `
DROP INDEX routing_outcomes_source_idx;
ALTER TABLE routing_outcomes DROP CONSTRAINT routing_outcomes_source_check;
ALTER TABLE routing_outcomes DROP COLUMN source;
`,
};
