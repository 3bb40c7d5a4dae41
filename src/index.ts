// The public API of the package: an explicit export list. Nothing outside this list is public.
export { createLinUCB, restoreLinUCB, LinUCB, type RestoreOptions } from "./engine/linucb.js";
export { createReferenceLinUCB, ReferenceLinUCB } from "./engine/reference.js";
export { LinUCBError, type LinUCBErrorCode } from "./engine/errors.js";
export { isBuildSupported, detectBuild, type ConcreteBuild } from "./engine/kernel.js";
export { defaultOptions } from "./engine/options.js";
export { addStatistics } from "./engine/statistics.js";
export type {
  ArmPrior,
  BatchSelection,
  EventBatch,
  Exploration,
  KernelBuild,
  LinUCBEngine,
  LinUCBOptions,
  LinUCBStatistics,
  ModelState,
  ResolvedOptions,
  Selection,
  SelectionTarget,
} from "./engine/types.js";

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
/** Shared row types of logged routing outcomes. */
export type { OutcomeSource, RoutingOutcome, SyntheticOutcome } from "./outcomes/outcome.js";
