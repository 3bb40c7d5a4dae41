import type { Migration } from "./migration.js";

/**
 * The log of production routing decisions and their judged outcomes: one row per routed request.
 * `source` comes in migration 002, as its own additive change.
 */
export const migration: Migration = {
  version: 1,
  name: "routing_outcomes",
  up: `
CREATE TABLE routing_outcomes (
  -- Monotone in insertion order: the keyset of streaming reads and the resume point of a refit.
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  created_at      timestamptz NOT NULL DEFAULT now(),
  agent_id        text NOT NULL,
  -- The policy cell (context bucket), e.g. 'code:hard'.
  cell            text NOT NULL,
  -- The model the request was routed to: the arm.
  model           text NOT NULL,
  -- The context vector x. Its length and finiteness are checked by the corpus reader against the
  -- engine's dimension (rejected rows are reported by id), not here: the dimension is a property of
  -- the policy, not of the log, and a CHECK would make one bad writer fail a whole batch.
  features        float8[] NOT NULL,
  -- Probability the logging policy gave this choice; NaN fails the CHECK (NaN > 1 in Postgres).
  propensity      float8 NOT NULL CONSTRAINT routing_outcomes_propensity_check CHECK (propensity > 0 AND propensity <= 1),
  completed       boolean NOT NULL,
  hallucinated    boolean NOT NULL,
  refused         boolean NOT NULL,
  judge_score     float8,
  judge_model     text,
  -- Null until judged; unjudged rows are never fed to a refit.
  reward          float8,
  policy_version  text
);
-- Time slices (the cadence holds out the newest slice for evaluation).
CREATE INDEX routing_outcomes_created_at_idx ON routing_outcomes (created_at);
`,
  down: `
DROP TABLE routing_outcomes;
`,
};
