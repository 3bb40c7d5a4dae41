// The prior refresh: forgetting that cannot run the prior away (layout: ./layout.ts).
//
// With a discount γ < 1 the prior's weight w = γⁿ fades, and with it the ridge wλ of A. Along a
// feature that is always 0, A⁻¹ = 1/(wλ) then grows as γ⁻ⁿ (Infinity after ≈ 710k updates at
// γ = 0.999). So w is never let below PRIOR_FLOOR: when an event takes it there, the prior is
// added back in full — A ← A + (1 − w)λI, b ← b + (1 − w)λθ₀, w ← 1 — which keeps the definition
// A = wλI + Σ γ-weighted x·xᵀ exact with w ∈ [PRIOR_FLOOR, 1], and A⁻¹ ⪯ I/(PRIOR_FLOOR·λ).
// It happens once every ⌈ln PRIOR_FLOOR / ln γ⌉ events of a model (13,809 at γ = 0.999).
//
// On the inverse (all the online path keeps): (A + cI)⁻¹ = (I + c·A⁻¹)⁻¹·A⁻¹, one Cholesky
// factorisation of M = I + c·A⁻¹ (eigenvalues in [1, 1 + c/(wλ)], so cond(M) ≤ 1/w ≤ 10⁶) and d
// solves: O(d³), against O(d²) for an update, and rare.

import { D, DP, K, LAMBDA, CHOL_PTR, LINV_PTR, PRIORS_PTR, THETA_OFFSET, B_OFFSET, HEADER_OFFSET, modelAt } from "./layout";
import { axpy, choleskyInPlace, choleskySolve } from "./linalg";
import { panelToRowMajor, rowMajorToPanel, symvPanel } from "./panel";

/** The least weight the prior keeps (see above). */
export const PRIOR_FLOOR: f64 = 1e-6;

/**
 * Adds the faded part of the prior back to model m and sets w = 1. Returns false (model
 * unchanged) when I + c·A⁻¹ does not factorise, which needs an A⁻¹ that is not positive definite.
 */
export function refreshPrior(m: i32): bool {
  const base = modelAt(m);
  const header = base + HEADER_OFFSET;
  const c = (1.0 - load<f64>(header, 8)) * LAMBDA;
  const rowBytes = <usize>DP << 3;
  // A⁻¹ as a full symmetric row-major matrix in LINV, and M = I + c·A⁻¹ in CHOL.
  panelToRowMajor(base, LINV_PTR, D, DP, 2.0);
  for (let i = 0; i < D; i++) {
    for (let j = i + 1; j < D; j++) {
      store<f64>(LINV_PTR + <usize>j * rowBytes + (<usize>i << 3), load<f64>(LINV_PTR + <usize>i * rowBytes + (<usize>j << 3)));
    }
  }
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < D; j++) {
      const o = <usize>i * rowBytes + (<usize>j << 3);
      store<f64>(CHOL_PTR + o, (i == j ? 1.0 : 0.0) + c * load<f64>(LINV_PTR + o));
    }
  }
  if (!choleskyInPlace(CHOL_PTR, D, DP)) return false;
  // Column j of A⁻¹ is row j (symmetry); M·nⱼ = aⱼ gives column j of (A + cI)⁻¹, solved in place.
  for (let j = 0; j < D; j++) {
    const row = LINV_PTR + <usize>j * rowBytes;
    choleskySolve(CHOL_PTR, row, row, D, DP);
  }
  // The solution is symmetric up to rounding: keep the mean of each pair.
  for (let i = 0; i < D; i++) {
    for (let j = i + 1; j < D; j++) {
      const upper = LINV_PTR + <usize>i * rowBytes + (<usize>j << 3);
      const lower = LINV_PTR + <usize>j * rowBytes + (<usize>i << 3);
      store<f64>(upper, 0.5 * (load<f64>(upper) + load<f64>(lower)));
    }
  }
  rowMajorToPanel(LINV_PTR, base, D, DP, 0.5);
  const b = base + B_OFFSET;
  axpy(b, c, PRIORS_PTR + <usize>(m % K) * rowBytes, DP);
  symvPanel(base, b, base + THETA_OFFSET, D, DP);
  store<f64>(header, 1.0, 8);
  return true;
}
