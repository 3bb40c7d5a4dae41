import type { Migration } from "./migration.js";

/**
 * Outcomes drawn from the planted synthetic world, kept in their own table so that no query on
 * routing_outcomes can ever see them (the synthetic wall). Same shape as routing_outcomes, plus the
 * provenance of each row.
 */
export const migration: Migration = {
  version: 3,
  name: "routing_outcomes_synthetic",
  up: `
CREATE TABLE routing_outcomes_synthetic (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  created_at        timestamptz NOT NULL DEFAULT now(),
  agent_id          text NOT NULL,
  cell              text NOT NULL,
  model             text NOT NULL,
  features          float8[] NOT NULL,
  propensity        float8 NOT NULL CONSTRAINT routing_outcomes_synthetic_propensity_check CHECK (propensity > 0 AND propensity <= 1),
  completed         boolean NOT NULL,
  hallucinated      boolean NOT NULL,
  refused           boolean NOT NULL,
  judge_score       float8,
  judge_model       text,
  reward            float8,
  policy_version    text,
  -- The generator's name and version, e.g. 'synthetic_coldstart_v1'. Deliberately NOT the CHECK of
  -- routing_outcomes.source (prod | synthetic | shadow): generator names are open-ended. What must
  -- hold is that nothing here ever claims to be production, hence the prefix.
  source            text NOT NULL CONSTRAINT routing_outcomes_synthetic_source_check CHECK (source LIKE 'synthetic%'),
  synthetic         boolean NOT NULL DEFAULT true CONSTRAINT routing_outcomes_synthetic_synthetic_check CHECK (synthetic),
  -- Seed of the generator run, and the row's position in that run: (source, seed, seq) is unique,
  -- which makes loading a generator run idempotent (ON CONFLICT DO NOTHING).
  seed              bigint NOT NULL,
  seq               bigint NOT NULL CONSTRAINT routing_outcomes_synthetic_seq_check CHECK (seq >= 0),
  affinity_version  text NOT NULL,
  difficulty        float8 NOT NULL CONSTRAINT routing_outcomes_synthetic_difficulty_check CHECK (difficulty >= 0 AND difficulty <= 1),
  CONSTRAINT routing_outcomes_synthetic_run_key UNIQUE (source, seed, seq)
);
-- The judge queue: unjudged rows in id order, a small partial index that shrinks as rows are judged.
CREATE INDEX routing_outcomes_synthetic_unjudged_idx ON routing_outcomes_synthetic (id) WHERE reward IS NULL;
-- Per-(cell, model) reads (answer-key checks, per-arm counts).
CREATE INDEX routing_outcomes_synthetic_cell_model_idx ON routing_outcomes_synthetic (cell, model);
CREATE INDEX routing_outcomes_synthetic_created_at_idx ON routing_outcomes_synthetic (created_at);
`,
  down: `
DROP TABLE routing_outcomes_synthetic;
`,
};
