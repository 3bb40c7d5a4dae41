/** Defaults of the routing service's options (imports nothing, so it loads without fastify). */
import type { Exploration } from "../engine/types.js";
import type { WritableSource } from "../store/outcome-writes.js";

/** Defaults of {@link RouterOptions} (./router.ts). */
export const ROUTER_DEFAULTS = {
  host: "127.0.0.1",
  port: 8080,
  source: "prod" as WritableSource,
  /** Served when a promoted version records no `parameters.exploration`. */
  fallbackExploration: { epsilon: 0.05 } as Exploration,
  bodyLimit: 1024 * 1024,
  decisionRetentionDays: 30,
  pollMs: 1000,
  groupCommitMs: 2,
  /**
   * Shortest group window of the decision log when no route waits for it (without
   * `durableDecisions`), ms: ~80 decisions per COPY at half the benchmark's load rather than ~16,
   * which saves the server and PostgreSQL ~5 µs of CPU per route in per-statement costs.
   */
  unawaitedDecisionWindowMs: 10,
  maxPendingDecisions: 100_000,
} as const;
