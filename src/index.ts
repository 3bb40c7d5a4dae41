// The public API of the package: an explicit export list. Nothing outside this list is public.
// The engine, also published alone as `linucb/engine` (no Node built-ins, no database drivers).
export * from "./engine/index.js";

// The layers above the engine, each as one namespace so their names cannot collide (every layer
// has its own, documented index file with an explicit export list).
/** Off-policy evaluation: replay, IPS, SNIPS, DR, DM with bootstrap intervals (src/evaluation). */
export * as evaluation from "./evaluation/index.js";
/** The synthetic cold-start world, its answer key, the convergence report and gate (src/synthetic). */
export * as synthetic from "./synthetic/index.js";
/** The outcome store: PostgreSQL or PGlite, migrations, corpus reader, runs and policies (src/store). */
export * as store from "./store/index.js";
/** The refit cadence: judge → refit → replay → gate → promote (src/cadence). */
export * as cadence from "./cadence/index.js";
/** The routing service behind `linucb serve`: openRouter, decisions, outcomes, hot reload (src/serve). */
export { openRouter, ROUTER_DEFAULTS, type Router, type RouterOptions } from "./serve/index.js";
/** Shared row types of logged routing outcomes. */
export type { OutcomeSource, RoutingOutcome, SyntheticOutcome } from "./outcomes/outcome.js";
