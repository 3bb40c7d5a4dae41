// LinUCB kernels over the model arena. Layout of every region: ./layout.ts (read it first).
//
// Per model (one cell, one arm), with γ the discount and λ the ridge:
//   A = wλI + Σ γ-weighted x·xᵀ,   b = wλθ₀ + Σ γ-weighted r·x,   θ = A⁻¹b,   w = γⁿ
//   score(x) = θᵀx + α·√max(xᵀA⁻¹x, 0)
// Online update (Sherman–Morrison in its symmetric rank-1 form, exact forgetting):
//   P = A⁻¹/γ,  u = P·x,  k = 1/(1 + xᵀu)
//   θ ← θ + k·(r − xᵀθ)·u          (recursive least squares: equals A⁻¹b in exact arithmetic)
//   b ← γb + r·x
//   A⁻¹ ← P − k·u·uᵀ               (only the upper triangle is stored, one value per pair (i, j):
//                                   symmetric by construction; no square root on the critical
//                                   path, which measured 4–5% faster than the v·vᵀ form, v = √k·u)
// Batch refit: accumulate SXX, SXR (and n, w) for many rows, then finalize each model by a
// Cholesky factorisation of A = wλI + SXX.

import {
  D, DP, K, STAGE_ROWS, STATS, ALPHA, LAMBDA, GAMMA, INV_GAMMA,
  X_PTR, U_PTR, V_PTR, XPAD_PTR, CHOL_PTR, LINV_PTR, PRIORS_PTR,
  CONTEXTS_PTR, REWARDS_PTR, MODELS_PTR, ARMS_OUT_PTR, SCORES_PTR,
  THETA_OFFSET, B_OFFSET, HEADER_OFFSET, SXX_OFFSET, SXR_OFFSET, RECORD,
  modelAt,
} from "./layout";
import {
  copyPadded, dot, axpy, scaleAxpy, scaleInto, smVectors, choleskyInPlace, choleskyInverseUpper,
} from "./linalg";
import { modelCheck, smVectorsCheck, statisticsCheck } from "./guard";
import { PRIOR_FLOOR, refreshPrior } from "./refresh";
import {
  panelOffset, symvPanel, quadPanel, quadPanel2, rank1Panel, accumulatePanel, panelToRowMajor, rowMajorToPanel,
  panelToSymmetric,
} from "./panel";

/** Status codes returned to the host. */
export const STATUS_OK: i32 = 0;
/** A finalize met a matrix that is not positive definite to working precision. */
export const STATUS_NOT_POSITIVE_DEFINITE: i32 = 1;
/** A step would have stored NaN or ±Infinity (finite inputs that overflow); nothing was written. */
export const STATUS_NON_FINITE: i32 = 2;

/** Pads the first `count` staged contexts (CONTEXTS, d values each) into XPAD (DP values each). */
function padStaged(count: i32): void {
  const rowBytes = <usize>D << 3;
  const padBytes = <usize>DP << 3;
  for (let e = 0; e < count; e++) {
    copyPadded(XPAD_PTR + <usize>e * padBytes, CONTEXTS_PTR + <usize>e * rowBytes, D, DP);
  }
}

/**
 * Where the first `count` staged contexts can be read as DP-long rows: CONTEXTS itself when d = DP
 * (its rows are already whole; no copy), else XPAD after padding them there.
 */
function paddedContexts(count: i32): usize {
  if (D == DP) return CONTEXTS_PTR;
  padStaged(count);
  return XPAD_PTR;
}

/** Sets models [first, first + count) to their prior: A⁻¹ = I/λ, θ = θ₀, b = λθ₀, n = 0, w = 1. */
export function initModels(first: i32, count: i32): void {
  const dp = <usize>DP;
  const vecBytes = dp << 3;
  const invLambda = 1.0 / LAMBDA;
  for (let m = first; m < first + count; m++) {
    const base = modelAt(m);
    memory.fill(base, 0, RECORD);
    // A⁻¹ = I/λ, stored with its diagonal halved (see panel.ts).
    for (let i = 0; i < D; i++) {
      store<f64>(base + panelOffset(i, i, DP), invLambda * 0.5);
    }
    const prior = PRIORS_PTR + <usize>(m % K) * vecBytes;
    copyPadded(base + THETA_OFFSET, prior, DP, DP);
    scaleInto(base + B_OFFSET, LAMBDA, prior, DP);
    store<f64>(base + HEADER_OFFSET, 0.0);
    store<f64>(base + HEADER_OFFSET, 1.0, 8);
  }
}

/** Zeroes the padding of the scratch rows; called once after the layout is fixed. */
export function clearScratch(): void {
  const vecBytes = <usize>DP << 3;
  memory.fill(X_PTR, 0, vecBytes);
  memory.fill(U_PTR, 0, vecBytes);
  memory.fill(V_PTR, 0, vecBytes);
  memory.fill(XPAD_PTR, 0, (<usize>STAGE_ROWS + 4) * vecBytes);
}

/**
 * One online update of model m with the padded context at x and reward r. Returns false, having
 * written nothing, when a value it would store is not finite (./guard.ts).
 */
// @ts-ignore: decorator
@inline
function updateModel(m: i32, x: usize, r: f64, guardStatistics: bool): bool {
  const base = modelAt(m);
  const ainv = base;
  const theta = base + THETA_OFFSET;
  const b = base + B_OFFSET;
  const header = base + HEADER_OFFSET;
  const u = U_PTR;
  const g = INV_GAMMA;

  let xu = symvPanel(ainv, x, u, D, DP);
  if (g != 1.0) {
    scaleInto(u, g, u, DP);
    xu *= g;
  }
  const k = 1.0 / (1.0 + xu);
  const c = k * (r - dot(x, theta, DP));
  // xu is Σ xᵢuᵢ, so a finite xu means a finite u; c carries k and the prediction error.
  let check = (xu - xu) + (c - c) + smVectorsCheck(theta, b, u, x, c, r, GAMMA, DP);
  // Rows below 2¹²⁸ (the host knows) cannot overflow sums that restore bounds by 1e300.
  if (STATS && guardStatistics) check += statisticsCheck(base + SXX_OFFSET, base + SXR_OFFSET, x, r, GAMMA, D, DP);
  if (check != 0.0) return false;
  smVectors(theta, b, u, x, c, r, GAMMA, DP);
  rank1Panel(ainv, u, k, g, D, DP);

  store<f64>(header, load<f64>(header) + 1.0);
  if (STATS) {
    accumulatePanel(base + SXX_OFFSET, x, GAMMA, D, DP);
    if (GAMMA == 1.0) axpy(base + SXR_OFFSET, r, x, DP);
    else scaleAxpy(base + SXR_OFFSET, GAMMA, r, x, DP);
  }
  if (GAMMA != 1.0) {
    const w = load<f64>(header, 8) * GAMMA;
    store<f64>(header, w, 8);
    if (w < PRIOR_FLOOR) refreshPrior(m);
  }
  return true;
}

/**
 * Online update of one model from the context at `contextPtr` (d dense values). Returns
 * STATUS_NON_FINITE, the model unchanged, when the step would overflow. `guard` ≠ 0 checks the
 * statistics too (a context or reward of 2¹²⁸ or more).
 */
export function updateOne(m: i32, contextPtr: usize, r: f64, guard: i32): i32 {
  copyPadded(X_PTR, contextPtr, D, DP);
  return updateModel(m, X_PTR, r, guard != 0) ? STATUS_OK : STATUS_NON_FINITE;
}

/**
 * Online updates of the first `count` staged rows (MODELS, CONTEXTS, REWARDS), in order. Stops at
 * the first row whose step would overflow (that row unchanged) and returns the rows applied.
 */
export function updateBatch(count: i32, guard: i32): i32 {
  const rows = paddedContexts(count);
  const padBytes = <usize>DP << 3;
  const guardStatistics = guard != 0;
  for (let e = 0; e < count; e++) {
    const applied = updateModel(
      load<i32>(MODELS_PTR + (<usize>e << 2)),
      rows + <usize>e * padBytes,
      load<f64>(REWARDS_PTR + (<usize>e << 3)),
      guardStatistics,
    );
    if (!applied) return e;
  }
  return count;
}

/** UCB score of model m for the padded context at x. */
// @ts-ignore: decorator
@inline
function scoreModel(m: i32, x: usize): f64 {
  const base = modelAt(m);
  // A⁻¹ before θ: the record is then read front to back, one stream for the prefetcher.
  const width = quadPanel(base, x, D, DP);
  const estimate = dot(base + THETA_OFFSET, x, DP);
  return estimate + ALPHA * Math.sqrt(width > 0.0 ? width : 0.0);
}

/**
 * Scores the K arms of `cell` for the context at `contextPtr` (d dense values), writes them to
 * `outPtr` (K f64) and returns the argmax; ties go to the lowest arm index.
 */
export function scoreCell(cell: i32, contextPtr: usize, outPtr: usize): i32 {
  copyPadded(X_PTR, contextPtr, D, DP);
  const first = cell * K;
  let best = 0;
  let bestScore = -Infinity;
  for (let a = 0; a < K; a++) {
    const s = scoreModel(first + a, X_PTR);
    store<f64>(outPtr + (<usize>a << 3), s);
    if (s > bestScore) {
      bestScore = s;
      best = a;
    }
  }
  return best;
}

/**
 * Batched select: scores the K arms of `cell` for each of the first `count` staged contexts,
 * writes SCORES (count × K, row-major) and the argmax of each row to ARMS_OUT.
 * Arms are the outer loop so each arm's A⁻¹ is read from cache for a whole block of contexts.
 */
export function scoreCellBatch(cell: i32, count: i32): void {
  // Contexts go in pairs when DP > 16, and the pair after the last one reads XPAD's spare row.
  let rows = XPAD_PTR;
  if (DP <= 16) rows = paddedContexts(count);
  else padStaged(count);
  const padBytes = <usize>DP << 3;
  const first = cell * K;
  const k = <usize>K;
  const q = U_PTR; // two quadratic forms
  for (let a = 0; a < K; a++) {
    const base = modelAt(first + a);
    const theta = base + THETA_OFFSET;
    if (DP <= 16) {
      // A small A⁻¹ stays in L1 across contexts: the single-context loop, with fewer live
      // registers, is faster than sharing loads between two contexts.
      for (let c = 0; c < count; c++) {
        const x = rows + <usize>c * padBytes;
        const w = quadPanel(base, x, D, DP);
        const s = dot(theta, x, DP) + ALPHA * Math.sqrt(w > 0.0 ? w : 0.0);
        store<f64>(SCORES_PTR + ((<usize>c * k + <usize>a) << 3), s);
      }
      continue;
    }
    for (let c = 0; c < count; c += 2) {
      const x = rows + <usize>c * padBytes;
      // The row after the last context is a spare row of XPAD: its score is computed and dropped.
      quadPanel2(base, x, x + padBytes, q, D, DP);
      const w0 = load<f64>(q);
      const s0 = dot(theta, x, DP) + ALPHA * Math.sqrt(w0 > 0.0 ? w0 : 0.0);
      store<f64>(SCORES_PTR + ((<usize>c * k + <usize>a) << 3), s0);
      if (c + 1 < count) {
        const w1 = load<f64>(q, 8);
        const s1 = dot(theta, x + padBytes, DP) + ALPHA * Math.sqrt(w1 > 0.0 ? w1 : 0.0);
        store<f64>(SCORES_PTR + ((<usize>(c + 1) * k + <usize>a) << 3), s1);
      }
    }
  }
  for (let c = 0; c < count; c++) {
    const row = SCORES_PTR + ((<usize>c * k) << 3);
    let best = 0;
    let bestScore = -Infinity;
    for (let a = 0; a < K; a++) {
      const s = load<f64>(row + (<usize>a << 3));
      if (s > bestScore) {
        bestScore = s;
        best = a;
      }
    }
    store<i32>(ARMS_OUT_PTR + (<usize>c << 2), best);
  }
}

/**
 * Adds the first `count` staged rows to the sufficient statistics of their models
 * (SXX ← γ·SXX + x·xᵀ, SXR ← γ·SXR + r·x, n ← n + 1, w ← γ·w, and w ← 1 below the prior floor
 * of ./refresh.ts) without touching A⁻¹, θ, b. Stops at the first row whose sums would overflow
 * (that row unchanged) and returns the rows applied; `guard` = 0 skips that check (every row below
 * 2¹²⁸: see ./guard.ts). Requires statistics to be kept; the host checks.
 */
export function accumulateBatch(count: i32, guard: i32): i32 {
  const rows = paddedContexts(count);
  const padBytes = <usize>DP << 3;
  for (let e = 0; e < count; e++) {
    const x = rows + <usize>e * padBytes;
    const base = modelAt(load<i32>(MODELS_PTR + (<usize>e << 2)));
    const r = load<f64>(REWARDS_PTR + (<usize>e << 3));
    if (guard != 0 && statisticsCheck(base + SXX_OFFSET, base + SXR_OFFSET, x, r, GAMMA, D, DP) != 0.0) return e;
    accumulatePanel(base + SXX_OFFSET, x, GAMMA, D, DP);
    if (GAMMA == 1.0) axpy(base + SXR_OFFSET, r, x, DP);
    else scaleAxpy(base + SXR_OFFSET, GAMMA, r, x, DP);
    const header = base + HEADER_OFFSET;
    store<f64>(header, load<f64>(header) + 1.0);
    const w = load<f64>(header, 8) * GAMMA;
    store<f64>(header, w < PRIOR_FLOOR ? 1.0 : w, 8);
  }
  return count;
}

/**
 * Recomputes model m's A⁻¹, b and θ from its statistics: A = wλI + SXX (Cholesky), b = wλθ₀ + SXR,
 * θ = A⁻¹b. Leaves the model untouched and returns STATUS_NOT_POSITIVE_DEFINITE when the
 * factorisation fails; returns STATUS_NON_FINITE, the model overwritten, when θ or A⁻¹ overflow.
 */
export function finalizeModel(m: i32): i32 {
  const base = modelAt(m);
  const dp = <usize>DP;
  const w = load<f64>(base + HEADER_OFFSET, 8);
  const ridge = w * LAMBDA;
  const chol = CHOL_PTR;

  // Full symmetric A = SXX + wλI in row-major CHOL, from the stored upper triangle.
  panelToSymmetric(base + SXX_OFFSET, chol, D, DP, ridge);
  if (!choleskyInPlace(chol, D, DP)) return STATUS_NOT_POSITIVE_DEFINITE;
  store<f64>(base + HEADER_OFFSET, pivotRatio(chol), CONDITION_SLOT);
  // L⁻¹ goes to LINV, then (L·Lᵀ)⁻¹ back into CHOL (L is no longer needed), then into the panel.
  choleskyInverseUpper(chol, LINV_PTR, chol, D, DP);
  rowMajorToPanel(chol, base, D, DP, 0.5);

  const prior = PRIORS_PTR + <usize>(m % K) * (dp << 3);
  const b = base + B_OFFSET;
  scaleInto(b, ridge, prior, DP);
  axpy(b, 1.0, base + SXR_OFFSET, DP);
  symvPanel(base, b, base + THETA_OFFSET, D, DP);
  // An ill-posed fit can overflow (θ beyond f64): reported, and the host puts the model back.
  return modelCheck(base, base + THETA_OFFSET, b, D, DP) == 0.0 ? STATUS_OK : STATUS_NON_FINITE;
}


/** Byte offset in the header of the last finalize's conditioning estimate (0 until a finalize). */
const CONDITION_SLOT: usize = 16;

/**
 * (max Lⱼⱼ / min Lⱼⱼ)² of the Cholesky factor in `chol`: a lower bound on cond(A), O(d). The host
 * reads it to redo a badly conditioned refit by the online path (see conditionOf).
 */
function pivotRatio(chol: usize): f64 {
  const rowBytes = <usize>DP << 3;
  let low = Infinity;
  let high: f64 = 0;
  for (let j = 0; j < D; j++) {
    const pivot = load<f64>(chol + <usize>j * rowBytes + (<usize>j << 3));
    low = Math.min(low, pivot);
    high = Math.max(high, pivot);
  }
  const ratio = high / low;
  return ratio * ratio;
}

/** The conditioning estimate of model m's last finalize (0 if none since it was set). */
export function conditionOf(m: i32): f64 {
  return load<f64>(modelAt(m) + HEADER_OFFSET, CONDITION_SLOT);
}

/** Writes model m's A⁻¹ as a row-major upper triangle (full diagonal) into CHOL; returns CHOL. */
export function inverseToScratch(m: i32): usize {
  panelToRowMajor(modelAt(m), CHOL_PTR, D, DP, 2.0);
  return CHOL_PTR;
}

/** Sets model m's A⁻¹ from the row-major upper triangle (full diagonal) in CHOL. */
export function inverseFromScratch(m: i32): void {
  rowMajorToPanel(CHOL_PTR, modelAt(m), D, DP, 0.5);
}

/** Writes model m's Σxxᵀ as a row-major upper triangle into CHOL; returns CHOL. */
export function statisticsToScratch(m: i32): usize {
  panelToRowMajor(modelAt(m) + SXX_OFFSET, CHOL_PTR, D, DP, 1.0);
  return CHOL_PTR;
}

/** Sets model m's Σxxᵀ from the row-major upper triangle in CHOL. */
export function statisticsFromScratch(m: i32): void {
  rowMajorToPanel(CHOL_PTR, modelAt(m) + SXX_OFFSET, D, DP, 1.0);
}

/**
 * Adds the faded part of the prior back to model m when its weight is below the floor (./refresh.ts):
 * a restored snapshot written before the floor existed. Returns a status code.
 */
export function refreshPriorOf(m: i32): i32 {
  if (load<f64>(modelAt(m) + HEADER_OFFSET, 8) >= PRIOR_FLOOR) return STATUS_OK;
  return refreshPrior(m) ? STATUS_OK : STATUS_NOT_POSITIVE_DEFINITE;
}
