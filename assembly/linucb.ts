// LinUCB kernels over the model arena. Layout of every region: ./layout.ts (read it first).
//
// Per model (one cell, one arm), with γ the discount and λ the ridge:
//   A = wλI + Σ γ-weighted x·xᵀ,   b = wλθ₀ + Σ γ-weighted r·x,   θ = A⁻¹b,   w = γⁿ
//   score(x) = θᵀx + α·√max(xᵀA⁻¹x, 0)
// Online update (Sherman–Morrison in its symmetric rank-1 form, exact forgetting):
//   P = A⁻¹/γ,  u = P·x,  k = 1/(1 + xᵀu)
//   θ ← θ + k·(r − xᵀθ)·u          (recursive least squares: equals A⁻¹b in exact arithmetic)
//   b ← γb + r·x
//   A⁻¹ ← P − v·vᵀ with v = √k·u   (the v·vᵀ form keeps the stored triangle a symmetric matrix)
// Batch refit: accumulate SXX, SXR (and n, w) for many rows, then finalize each model by a
// Cholesky factorisation of A = wλI + SXX.

import {
  D, DP, K, STATS, ALPHA, LAMBDA, GAMMA, INV_GAMMA,
  X_PTR, U_PTR, V_PTR, XB_PTR, CHOL_PTR, LINV_PTR, PRIORS_PTR,
  CONTEXTS_PTR, REWARDS_PTR, MODELS_PTR, ARMS_OUT_PTR, SCORES_PTR,
  THETA_OFFSET, B_OFFSET, HEADER_OFFSET, SXX_OFFSET, SXR_OFFSET, RECORD,
  modelAt,
} from "./layout";
import {
  dot, axpy, scaleAxpy, scaleInto, symvUpper, quadUpper, rank1Upper, accumulateUpper,
  choleskyInPlace, choleskyInverseUpper,
} from "./linalg";

/** Status codes returned to the host. */
export const STATUS_OK: i32 = 0;
/** A finalize met a matrix that is not positive definite to working precision. */
export const STATUS_NOT_POSITIVE_DEFINITE: i32 = 1;

/** Copies a dense context (d values) into the zero-padded scratch row `dst` (DP values). */
// @ts-ignore: decorator
@inline
function loadPadded(dst: usize, src: usize): void {
  memory.copy(dst, src, <usize>D << 3);
  // The padding [d, DP) of X is zeroed once at configure time and never written afterwards.
}

/** Sets models [first, first + count) to their prior: A⁻¹ = I/λ, θ = θ₀, b = λθ₀, n = 0, w = 1. */
export function initModels(first: i32, count: i32): void {
  const dp = <usize>DP;
  const vecBytes = dp << 3;
  const invLambda = 1.0 / LAMBDA;
  for (let m = first; m < first + count; m++) {
    const base = modelAt(m);
    memory.fill(base, 0, RECORD);
    for (let i = 0; i < D; i++) {
      store<f64>(base + ((<usize>i * dp + <usize>i) << 3), invLambda);
    }
    const prior = PRIORS_PTR + <usize>(m % K) * vecBytes;
    memory.copy(base + THETA_OFFSET, prior, vecBytes);
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
  memory.fill(XB_PTR, 0, vecBytes << 2);
}

/** One online update of model m with the padded context in X and reward r. */
// @ts-ignore: decorator
@inline
function updateModel(m: i32, r: f64): void {
  const base = modelAt(m);
  const ainv = base;
  const theta = base + THETA_OFFSET;
  const b = base + B_OFFSET;
  const header = base + HEADER_OFFSET;
  const x = X_PTR;
  const u = U_PTR;
  const v = V_PTR;
  const g = INV_GAMMA;

  symvUpper(ainv, x, u, D, DP);
  if (g != 1.0) scaleInto(u, g, u, DP);
  const k = 1.0 / (1.0 + dot(x, u, DP));
  const err = r - dot(x, theta, DP);
  axpy(theta, k * err, u, DP);
  if (GAMMA == 1.0) axpy(b, r, x, DP);
  else scaleAxpy(b, GAMMA, r, x, DP);
  scaleInto(v, Math.sqrt(k), u, DP);
  rank1Upper(ainv, v, g, D, DP);

  store<f64>(header, load<f64>(header) + 1.0);
  store<f64>(header, load<f64>(header, 8) * GAMMA, 8);
  if (STATS) {
    accumulateUpper(base + SXX_OFFSET, x, GAMMA, D, DP);
    if (GAMMA == 1.0) axpy(base + SXR_OFFSET, r, x, DP);
    else scaleAxpy(base + SXR_OFFSET, GAMMA, r, x, DP);
  }
}

/** Online update of one model from the context at `contextPtr` (d dense values). */
export function updateOne(m: i32, contextPtr: usize, r: f64): void {
  loadPadded(X_PTR, contextPtr);
  updateModel(m, r);
}

/** Online updates of the first `count` staged rows (MODELS, CONTEXTS, REWARDS), in order. */
export function updateBatch(count: i32): void {
  const rowBytes = <usize>D << 3;
  for (let e = 0; e < count; e++) {
    loadPadded(X_PTR, CONTEXTS_PTR + <usize>e * rowBytes);
    updateModel(
      load<i32>(MODELS_PTR + (<usize>e << 2)),
      load<f64>(REWARDS_PTR + (<usize>e << 3)),
    );
  }
}

/** UCB score of model m for the padded context at x. */
// @ts-ignore: decorator
@inline
function scoreModel(m: i32, x: usize): f64 {
  const base = modelAt(m);
  const estimate = dot(base + THETA_OFFSET, x, DP);
  const width = quadUpper(base, x, D, DP);
  return estimate + ALPHA * Math.sqrt(width > 0.0 ? width : 0.0);
}

/**
 * Scores the K arms of `cell` for the context at `contextPtr` (d dense values), writes them to
 * `outPtr` (K f64) and returns the argmax; ties go to the lowest arm index.
 */
export function scoreCell(cell: i32, contextPtr: usize, outPtr: usize): i32 {
  loadPadded(X_PTR, contextPtr);
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
  const rowBytes = <usize>D << 3;
  const padBytes = <usize>DP << 3;
  const first = cell * K;
  const k = <usize>K;
  for (let start = 0; start < count; start += 4) {
    const block = min(4, count - start);
    for (let c = 0; c < block; c++) {
      loadPadded(XB_PTR + <usize>c * padBytes, CONTEXTS_PTR + <usize>(start + c) * rowBytes);
    }
    for (let a = 0; a < K; a++) {
      for (let c = 0; c < block; c++) {
        const s = scoreModel(first + a, XB_PTR + <usize>c * padBytes);
        store<f64>(SCORES_PTR + ((<usize>(start + c) * k + <usize>a) << 3), s);
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
 * (SXX ← γ·SXX + x·xᵀ, SXR ← γ·SXR + r·x, n ← n + 1, w ← γ·w) without touching A⁻¹, θ, b.
 * Requires statistics to be kept; the host checks.
 */
export function accumulateBatch(count: i32): void {
  const rowBytes = <usize>D << 3;
  for (let e = 0; e < count; e++) {
    loadPadded(X_PTR, CONTEXTS_PTR + <usize>e * rowBytes);
    const base = modelAt(load<i32>(MODELS_PTR + (<usize>e << 2)));
    const r = load<f64>(REWARDS_PTR + (<usize>e << 3));
    accumulateUpper(base + SXX_OFFSET, X_PTR, GAMMA, D, DP);
    if (GAMMA == 1.0) axpy(base + SXR_OFFSET, r, X_PTR, DP);
    else scaleAxpy(base + SXR_OFFSET, GAMMA, r, X_PTR, DP);
    const header = base + HEADER_OFFSET;
    store<f64>(header, load<f64>(header) + 1.0);
    store<f64>(header, load<f64>(header, 8) * GAMMA, 8);
  }
}

/**
 * Recomputes model m's A⁻¹, b and θ from its statistics: A = wλI + SXX (Cholesky), b = wλθ₀ + SXR,
 * θ = A⁻¹b. Leaves the model untouched and returns STATUS_NOT_POSITIVE_DEFINITE when the
 * factorisation fails.
 */
export function finalizeModel(m: i32): i32 {
  const base = modelAt(m);
  const dp = <usize>DP;
  const rowBytes = dp << 3;
  const w = load<f64>(base + HEADER_OFFSET, 8);
  const ridge = w * LAMBDA;
  const sxx = base + SXX_OFFSET;
  const chol = CHOL_PTR;

  // Full symmetric A from the stored upper triangle.
  for (let i = 0; i < D; i++) {
    const src = sxx + <usize>i * rowBytes;
    for (let j = i; j < D; j++) {
      const value = load<f64>(src + (<usize>j << 3));
      store<f64>(chol + <usize>i * rowBytes + (<usize>j << 3), value);
      store<f64>(chol + <usize>j * rowBytes + (<usize>i << 3), value);
    }
    const diag = chol + <usize>i * rowBytes + (<usize>i << 3);
    store<f64>(diag, load<f64>(diag) + ridge);
  }
  if (!choleskyInPlace(chol, D, DP)) return STATUS_NOT_POSITIVE_DEFINITE;
  choleskyInverseUpper(chol, LINV_PTR, base, D, DP);

  const prior = PRIORS_PTR + <usize>(m % K) * (dp << 3);
  const b = base + B_OFFSET;
  scaleInto(b, ridge, prior, DP);
  axpy(b, 1.0, base + SXR_OFFSET, DP);
  symvUpper(base, b, base + THETA_OFFSET, D, DP);
  return STATUS_OK;
}

/** Recomputes θ = A⁻¹b for model m (clears the drift of the recursive θ step). */
export function resyncTheta(m: i32): void {
  const base = modelAt(m);
  symvUpper(base, base + B_OFFSET, base + THETA_OFFSET, D, DP);
}
