// Memory layout of one engine instance (one WebAssembly.Memory, all numbers f64 unless noted).
//
//   base = __heap_base rounded up to 64 bytes
//   ┌──────────────────────────── scratch (fixed once configured) ────────────────────────────┐
//   │ X        DP f64         the current context, zero-padded from d to DP                  │
//   │ U        DP f64         A⁻¹x (update) / work vector                                     │
//   │ V        DP f64         work vector (pooling)                                           │
//   │ CHOL     DP·DP f64      row-major work matrix: Cholesky factor during finalize, and the   │
//   │                         exchange area where the host reads or writes one model's A⁻¹ or   │
//   │                         Σxxᵀ as a plain upper triangle                                    │
//   │ LINV     DP·DP f64      L⁻¹ (lower) during finalize                                     │
//   │ XPAD     (S+4)·DP f64   staged contexts zero-padded to DP (S = staging rows; the spare    │
//   │                         rows let a pair of contexts run past the last one)                │
//   │ BASE     K·DP f64       θ₀ of each arm as the engine was configured, zero-padded        │
//   │ PRIORS   K·DP f64       θ₀ in effect: BASE, or the arm's fit pooled over all cells        │
//   ├──────────────────────────── staging (what the host writes and reads) ────────────────────┤
//   │ CONTEXTS   S·d f64      dense contexts of a batch, row-major, NOT padded                  │
//   │ REWARDS    S f64        rewards of a batch                                              │
//   │ MODELS     S i32        model index (cell·K + arm) of each batch row                     │
//   │ ARMS_OUT   S i32        argmax arm per context (batched select)                          │
//   │ SCORES     S·K f64      UCB scores, row-major [context][arm]                             │
//   ├──────────────────────────── models (grows with the number of cells) ─────────────────────┤
//   │ model m = cell·K + arm at MODELS_BASE + m·RECORD, RECORD a multiple of 64 bytes:         │
//   │   hot part (read by select and update)                                                   │
//   │     AINV   P       A⁻¹ in the panel layout with its diagonal halved (./panel.ts);         │
//   │                    P = 8·M·(M+1) doubles, M = DP/4                                       │
//   │     THETA  DP      θ = A⁻¹b (kept by the recursive-least-squares step)                   │
//   │     B      DP      b = wλθ₀ + Σ γ-weighted r·x                                           │
//   │     HEADER 8 f64   [0] n: events seen, [1] w: weight left on the prior (γⁿ), [2] the    │
//   │                    last finalize's conditioning estimate (0 if none), [3..7] 0          │
//   │   cold part (only when statistics are kept)                                              │
//   │     SXX    P       Σ γ-weighted x·xᵀ in the panel layout, full diagonal                   │
//   │     SXR    DP      Σ γ-weighted r·x                                                      │
//   │     (padding to a multiple of 64 bytes)                                                   │
//   └──────────────────────────────────────────────────────────────────────────────────────────┘
// DP = d rounded up to a multiple of 4, so every row segment is 32-byte aligned and every loop
// runs in whole f64x2 pairs with no tail. 8·(P + 2·DP) = 64·M·(M+2) is a multiple of 64, so the
// hot part is exactly 8·(P + 2·DP) + 64 bytes — less than (DP² + 2·DP)·8 + 64 because only the
// upper triangle (by 4×4 blocks) is stored.
//
// Why A itself is not stored: keeping A += xxᵀ beside A⁻¹ made updates 70% slower at d = 16
// (docs/kernel-notes.md). The exact sufficient statistics (SXX, SXR, n, w) are kept instead,
// in a cold part that select never touches, and only when the engine asks for them.

import { panelDoubles } from "./panel";

/** Feature dimension d. */
export let D: i32 = 0;
/** Padded dimension: d rounded up to a multiple of 4. */
export let DP: i32 = 0;
/** Number of arms per cell. */
export let K: i32 = 0;
/** Staging capacity in rows. */
export let STAGE_ROWS: i32 = 0;
/** Whether the cold statistics part exists. */
export let STATS: bool = false;
/** Exploration weight of the UCB bonus. */
export let ALPHA: f64 = 1.0;
/** Ridge λ. */
export let LAMBDA: f64 = 1.0;
/** Discount γ ∈ (0, 1]. */
export let GAMMA: f64 = 1.0;
/** 1/γ, the factor applied to A⁻¹ before each rank-1 step. */
export let INV_GAMMA: f64 = 1.0;

export let X_PTR: usize = 0;
export let U_PTR: usize = 0;
export let V_PTR: usize = 0;
export let XPAD_PTR: usize = 0;
export let CHOL_PTR: usize = 0;
export let LINV_PTR: usize = 0;
export let BASE_PRIORS_PTR: usize = 0;
export let PRIORS_PTR: usize = 0;
export let CONTEXTS_PTR: usize = 0;
export let REWARDS_PTR: usize = 0;
export let MODELS_PTR: usize = 0;
export let ARMS_OUT_PTR: usize = 0;
export let SCORES_PTR: usize = 0;
export let MODELS_BASE: usize = 0;

/** Bytes from a model's start to θ, b, the header, and the cold part. */
export let THETA_OFFSET: usize = 0;
export let B_OFFSET: usize = 0;
export let HEADER_OFFSET: usize = 0;
export let SXX_OFFSET: usize = 0;
export let SXR_OFFSET: usize = 0;
/** Bytes per model: the hot part, plus the cold part when statistics are kept. */
export let RECORD: usize = 0;

/** Size in bytes of the model header (n, w and reserved slots). */
export const HEADER_BYTES: usize = 64;

// @ts-ignore: decorator
@inline
function alignUp(value: usize, alignment: usize): usize {
  return (value + alignment - 1) & ~(alignment - 1);
}

/**
 * Fixes the dimensions and places every region. Called once per instance, before anything else.
 * Returns the byte offset where model storage begins.
 */
export function configureLayout(d: i32, arms: i32, stageRows: i32, statistics: bool): usize {
  D = d;
  DP = (d + 3) & ~3;
  K = arms;
  STAGE_ROWS = stageRows;
  STATS = statistics;

  const dp = <usize>DP;
  const vec: usize = dp << 3;
  const mat: usize = (dp * dp) << 3;
  const panel: usize = <usize>panelDoubles(DP) << 3;

  let p = alignUp(__heap_base, 64);
  X_PTR = p; p += vec;
  U_PTR = p; p += vec;
  V_PTR = p; p += vec;
  CHOL_PTR = alignUp(p, 64); p = CHOL_PTR + mat;
  LINV_PTR = alignUp(p, 64); p = LINV_PTR + mat;
  XPAD_PTR = alignUp(p, 64); p = XPAD_PTR + (<usize>stageRows + 4) * vec;
  BASE_PRIORS_PTR = alignUp(p, 64); p = BASE_PRIORS_PTR + <usize>arms * vec;
  PRIORS_PTR = alignUp(p, 64); p = PRIORS_PTR + <usize>arms * vec;
  CONTEXTS_PTR = alignUp(p, 64); p = CONTEXTS_PTR + ((<usize>stageRows * <usize>d) << 3);
  REWARDS_PTR = alignUp(p, 64); p = REWARDS_PTR + (<usize>stageRows << 3);
  MODELS_PTR = alignUp(p, 64); p = MODELS_PTR + (<usize>stageRows << 2);
  ARMS_OUT_PTR = alignUp(p, 64); p = ARMS_OUT_PTR + (<usize>stageRows << 2);
  SCORES_PTR = alignUp(p, 64); p = SCORES_PTR + ((<usize>stageRows * <usize>arms) << 3);
  MODELS_BASE = alignUp(p, 64);

  THETA_OFFSET = panel;
  B_OFFSET = panel + vec;
  HEADER_OFFSET = panel + (vec << 1);
  const hot = HEADER_OFFSET + HEADER_BYTES;
  SXX_OFFSET = hot;
  SXR_OFFSET = hot + panel;
  RECORD = statistics ? alignUp(hot + panel + vec, 64) : hot;
  return MODELS_BASE;
}

/** Start of model m's record. The caller guarantees m is below the capacity it grew memory for. */
// @ts-ignore: decorator
@inline
export function modelAt(m: i32): usize {
  return MODELS_BASE + <usize>m * RECORD;
}
