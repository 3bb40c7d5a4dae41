// Finite checks an online step runs BEFORE it writes anything (layout: ./layout.ts).
//
// Finite inputs can overflow f64 (entries up to 1e308: x·xᵀ, r·x, θ + k·err·u). A model that held
// one NaN or ±Infinity would be silently lost (its arm never chosen again), so each step first
// computes, without storing them, the values that carry an overflow, and refuses the step when
// one is not finite; the host reports the refusal with the model unchanged. Each function returns
// a sum of (v − v) terms: 0 when every v is finite, NaN otherwise (x − x is NaN exactly for NaN and
// ±Infinity). No branch in the loops, and each uses the very expression the store will use, so
// the check predicts the stored value bit for bit.
//
// What is not checked, and why it cannot overflow: the rank-1 step of A⁻¹ (P − k·u·uᵀ, P = A⁻¹/γ).
// For a positive-definite P, (k·uᵢ)·uⱼ is at most √(Pᵢᵢ·Pⱼⱼ) in size, so every entry stays within
// 2·max Pᵢᵢ ≤ 2/(γ·w·λ); the engine keeps w ≥ 10⁻⁶ (./refresh.ts) and refuses options with
// γ·λ below 10⁻²⁰⁰, and restore refuses an A⁻¹ above 2/(wλ) or not positive definite.

import { madd, hsum } from "./linalg";
import { panelOffset } from "./panel";

/** Σ(v − v) over θ + c·u and γ·b + r·x (the two vectors smVectors stores), n even. */
// @ts-ignore: decorator
@inline
export function smVectorsCheck(theta: usize, b: usize, u: usize, x: usize, c: f64, r: f64, gamma: f64, n: i32): f64 {
  if (ASC_FEATURE_SIMD) {
    const vc = f64x2.splat(c);
    const vr = f64x2.splat(r);
    const vg = f64x2.splat(gamma);
    let acc = f64x2.splat(0);
    for (let j = 0; j < n; j += 2) {
      const o = <usize>j << 3;
      const t = madd(vc, v128.load(u + o), v128.load(theta + o));
      const bj = gamma == 1.0 ? v128.load(b + o) : f64x2.mul(vg, v128.load(b + o));
      const s = madd(vr, v128.load(x + o), bj);
      acc = f64x2.add(acc, f64x2.add(f64x2.sub(t, t), f64x2.sub(s, s)));
    }
    return hsum(acc);
  } else {
    let acc: f64 = 0;
    for (let j = 0; j < n; j++) {
      const o = <usize>j << 3;
      const t = load<f64>(theta + o) + c * load<f64>(u + o);
      const bj = load<f64>(b + o);
      const s = (gamma == 1.0 ? bj : gamma * bj) + r * load<f64>(x + o);
      acc += (t - t) + (s - s);
    }
    return acc;
  }
}

/**
 * Σ(v − v) over the statistics one row adds: γ·Sᵢᵢ + xᵢ² doubled (Σxxᵀ is positive semi-definite,
 * so its off-diagonal entries are at most the larger diagonal one) and γ·s + r·x.
 */
export function statisticsCheck(sxx: usize, sxr: usize, x: usize, r: f64, gamma: f64, d: i32, dp: i32): f64 {
  let acc: f64 = 0;
  for (let i = 0; i < d; i++) {
    const xi = load<f64>(x + (<usize>i << 3));
    const diagonal = 2.0 * (gamma * load<f64>(sxx + panelOffset(i, i, dp)) + xi * xi);
    const s = gamma * load<f64>(sxr + (<usize>i << 3)) + r * xi;
    acc += (diagonal - diagonal) + (s - s);
  }
  return acc;
}
