// Pooling strength across cells: each arm's fit on the rows of ALL cells, used as the prior mean
// θ₀ of that arm in every cell (an empirical-Bayes prior). Layout of the regions: ./layout.ts.
//
//   global fit of arm a:   A_a = ρI + Σ_cells SXX(cell, a),   b_a = ρ·θ₀,base(a) + Σ_cells SXR(cell, a)
//                          θ₀(a) ← A_a⁻¹ b_a                     (written to PRIORS)
//
// ρ is the pooling ridge (small: the pooled fit has the rows of every cell). A cell with few rows
// then starts from what the arm does everywhere, and moves away from it as its own rows outweigh
// its ridge λ, which now pulls toward the pooled mean instead of toward 0.

import { D, DP, K, CHOL_PTR, LINV_PTR, U_PTR, V_PTR, BASE_PRIORS_PTR, PRIORS_PTR, SXX_OFFSET, SXR_OFFSET, modelAt } from "./layout";
import { axpy, scaleInto, zeroVector, choleskyInPlace, choleskySolve } from "./linalg";
import { addPanel, panelDoubles, panelToSymmetric } from "./panel";
import { STATUS_OK, STATUS_NOT_POSITIVE_DEFINITE } from "./linucb";

/**
 * Fits arm `arm` on the statistics of cells [0, cells) and stores the fit as that arm's prior mean
 * in PRIORS. Models are not touched: the host finalizes them afterwards. Returns a status code
 * (the prior is left as it was when the factorisation fails).
 */
export function poolArm(arm: i32, cells: i32, ridge: f64): i32 {
  const sum = LINV_PTR; // a panel matrix: LINV has room for a full DP×DP matrix
  zeroVector(sum, panelDoubles(DP));
  zeroVector(V_PTR, DP);
  for (let c = 0; c < cells; c++) {
    const base = modelAt(c * K + arm);
    addPanel(sum, base + SXX_OFFSET, DP);
    axpy(V_PTR, 1.0, base + SXR_OFFSET, DP);
  }
  panelToSymmetric(sum, CHOL_PTR, D, DP, ridge);
  if (!choleskyInPlace(CHOL_PTR, D, DP)) return STATUS_NOT_POSITIVE_DEFINITE;
  const vecBytes = <usize>DP << 3;
  scaleInto(U_PTR, ridge, BASE_PRIORS_PTR + <usize>arm * vecBytes, DP);
  axpy(U_PTR, 1.0, V_PTR, DP);
  choleskySolve(CHOL_PTR, U_PTR, PRIORS_PTR + <usize>arm * vecBytes, D, DP);
  return STATUS_OK;
}
