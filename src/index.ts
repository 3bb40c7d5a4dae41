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
} from "./engine/types.js";
