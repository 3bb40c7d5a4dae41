/**
 * The engine alone: `linucb/engine`. LinUCB over the WebAssembly kernels, its options, snapshots and
 * errors — nothing of the store, the cadence or the CLI, and nothing of Node: its whole import graph
 * uses only what browsers, Deno, Bun and Node have in common (WebAssembly, atob, typed arrays), so it
 * bundles for a web page as it is (tested in a headless Chromium: test/package/browser.test.ts).
 */
export { createLinUCB, restoreLinUCB, LinUCB, type RestoreOptions } from "./linucb.js";
export { createReferenceLinUCB, ReferenceLinUCB } from "./reference.js";
export { LinUCBError, type LinUCBErrorCode } from "./errors.js";
export { isBuildSupported, detectBuild, type ConcreteBuild } from "./kernel.js";
export { defaultOptions } from "./options.js";
export { addStatistics } from "./statistics.js";
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
} from "./types.js";
