// The exported ABI of the LinUCB kernel: numbers only (i32 indices, usize pointers, f64 values).
// Memory layout: ./layout.ts. Kernels: ./linucb.ts. Bump ABI_VERSION whenever a signature, the
// layout or the meaning of a stored value changes: snapshots record it and refuse a mismatch.

import {
  configureLayout, RECORD, MODELS_BASE,
  CHOL_PTR, BASE_PRIORS_PTR, PRIORS_PTR, CONTEXTS_PTR, REWARDS_PTR, MODELS_PTR, ARMS_OUT_PTR, SCORES_PTR,
  THETA_OFFSET, B_OFFSET, HEADER_OFFSET, SXX_OFFSET, SXR_OFFSET,
} from "./layout";
import * as layout from "./layout";
import { clearScratch } from "./linucb";

export {
  initModels, updateOne, updateBatch, scoreCell, scoreCellBatch, accumulateBatch,
  finalizeModel, inverseToScratch, inverseFromScratch, statisticsToScratch,
  statisticsFromScratch,
} from "./linucb";
export { poolArm } from "./pooling";
export { refreshPriorOf, conditionOf } from "./linucb";

/** Version of this ABI and of the arena layout. */
export function abiVersion(): i32 {
  return 4;
}

/**
 * Fixes dimensions and hyper-parameters and places every region. Returns the byte offset where
 * model storage begins; the host grows memory to cover it before any other call.
 */
export function configure(
  d: i32, arms: i32, stageRows: i32, statistics: i32, alpha: f64, lambda: f64, gamma: f64,
): usize {
  layout.ALPHA = alpha;
  layout.LAMBDA = lambda;
  layout.GAMMA = gamma;
  layout.INV_GAMMA = 1.0 / gamma;
  return configureLayout(d, arms, stageRows, statistics != 0);
}

/** Zeroes scratch padding; call once memory covers modelsBase(). */
export function prepare(): void {
  clearScratch();
}

/** Bytes needed to hold `models` models, as f64 so that the host sees sizes past 4 GiB unwrapped. */
export function requiredBytes(models: f64): f64 {
  return <f64>MODELS_BASE + models * <f64>RECORD;
}

export function recordBytes(): usize { return RECORD; }
export function modelsBase(): usize { return MODELS_BASE; }
export function exchangePtr(): usize { return CHOL_PTR; }
export function priorsPtr(): usize { return PRIORS_PTR; }
export function basePriorsPtr(): usize { return BASE_PRIORS_PTR; }
export function contextsPtr(): usize { return CONTEXTS_PTR; }
export function rewardsPtr(): usize { return REWARDS_PTR; }
export function modelsPtr(): usize { return MODELS_PTR; }
export function armsOutPtr(): usize { return ARMS_OUT_PTR; }
export function scoresPtr(): usize { return SCORES_PTR; }
export function thetaOffset(): usize { return THETA_OFFSET; }
export function bOffset(): usize { return B_OFFSET; }
export function headerOffset(): usize { return HEADER_OFFSET; }
export function sxxOffset(): usize { return SXX_OFFSET; }
export function sxrOffset(): usize { return SXR_OFFSET; }
