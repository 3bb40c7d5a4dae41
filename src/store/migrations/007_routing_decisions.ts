import type { Migration } from "./migration.js";

/**
 * The decision log of `linucb serve`: one row per routed request, written before (or while) the
 * answer goes out, so that an outcome arriving hours later — the judge is slow — still joins the
 * decision that produced it. The outcome row is built from this record (cell, agent, model,
 * features, propensity, policy version), never from what the client sends back.
 *
 * Retention: decisions older than the server's `--decision-retention` are deleted by the server
 * (served by the created_at index); an outcome for a deleted decision is then unknown (404).
 */
export const migration: Migration = {
  version: 7,
  name: "routing_decisions",
  up: `
CREATE TABLE routing_decisions (
  -- The decisionId handed to the client (a random UUID made by the server).
  id                 uuid PRIMARY KEY,
  created_at         timestamptz NOT NULL DEFAULT now(),
  -- The client's own request id, if it sent one (for its logs; not unique).
  request_id         text,
  agent_id           text NOT NULL,
  cell               text NOT NULL,
  model              text NOT NULL,
  features           float8[] NOT NULL,
  -- Exact probability of this choice under the policy and exploration that made it.
  propensity         float8 NOT NULL CONSTRAINT routing_decisions_propensity_check CHECK (propensity > 0 AND propensity <= 1),
  -- The policy version that decided; null for the uniform policy served before any promotion.
  policy_version_id  bigint CONSTRAINT routing_decisions_policy_version_fkey REFERENCES policy_versions (id),
  -- The engine's Exploration JSON the decision was drawn under ("uniform" before any promotion).
  exploration        jsonb NOT NULL,
  -- The server's --source: whose rows the outcomes become (shadow rows never feed a prod refit).
  source             text NOT NULL CONSTRAINT routing_decisions_source_check CHECK (source IN ('prod', 'shadow'))
);
-- Retention deletes by age.
CREATE INDEX routing_decisions_created_at_idx ON routing_decisions (created_at);
`,
  down: `
DROP TABLE routing_decisions;
`,
};
