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
  maxPendingDecisions: 100_000,
} as const;
