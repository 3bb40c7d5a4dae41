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

/** Σ(v − v) over θ + c·u and γ·b + r·x (the two vectors smVectors stores), n even. */
// @ts-ignore: decorator
@inline
export function smVectorsCheck(theta: usize, b: usize, u: usize, x: usize, c: f64, r: f64, gamma: f64, n: i32): f64 {
  if (ASC_FEATURE_SIMD) {
    const vc = f64x2.splat(c);
    const vr = f64x2.splat(r);
    let acc = f64x2.splat(0);
    // One loop per case, as in smVectors: a γ test inside the loop costs more than the loop.
    if (gamma == 1.0) {
      for (let j = 0; j < n; j += 2) {
        const o = <usize>j << 3;
        const t = madd(vc, v128.load(u + o), v128.load(theta + o));
        const s = madd(vr, v128.load(x + o), v128.load(b + o));
        acc = f64x2.add(acc, f64x2.sub(f64x2.add(t, s), f64x2.add(t, s)));
      }
    } else {
      const vg = f64x2.splat(gamma);
      for (let j = 0; j < n; j += 2) {
        const o = <usize>j << 3;
        const t = madd(vc, v128.load(u + o), v128.load(theta + o));
        const s = madd(vr, v128.load(x + o), f64x2.mul(vg, v128.load(b + o)));
        acc = f64x2.add(acc, f64x2.sub(f64x2.add(t, s), f64x2.add(t, s)));
      }
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
 * Statistics are kept below 2¹⁰⁰⁰ (the check scales them by 2²⁴ before the overflow test): rows
 * below 2¹²⁸, which the host lets through unchecked, then cannot take them past f64's 2¹⁰²⁴, and
 * restore refuses sums above 2¹⁰¹⁰ (src/engine/snapshot-checks.ts).
 */
const STATISTICS_HEADROOM: f64 = 16777216.0;

/** Σ(v − v) over model m's θ and b (DP each) and its A⁻¹ diagonal: after a finalize or a refresh. */
export function modelCheck(ainv: usize, theta: usize, b: usize, d: i32, dp: i32): f64 {
  let acc: f64 = 0;
  for (let j = 0; j < dp; j++) {
    const t = load<f64>(theta + (<usize>j << 3));
    const s = load<f64>(b + (<usize>j << 3));
    acc += (t - t) + (s - s);
  }
  let panel = ainv;
  for (let i = 0; i < d; i += 4) {
    const diagonal = (load<f64>(panel) + load<f64>(panel, 24)) + (load<f64>(panel, 96) + load<f64>(panel, 120));
    acc += diagonal - diagonal;
    panel += <usize>(32 * (dp - i));
  }
  return acc;
}

/**
 * Σ(v − v) over the statistics one row adds: γ·Sᵢᵢ + xᵢ² doubled (Σxxᵀ is positive semi-definite,
 * so its off-diagonal entries are at most the larger diagonal one) and γ·s + r·x. Padding is 0 in
 * x, S and s, so whole quads of rows are read. The diagonal of quad m sits at bytes 0, 24, 96 and
 * 120 of its panel, and panel m + 1 starts 32·(dp − 4m) bytes after panel m (./panel.ts).
 */
export function statisticsCheck(sxx: usize, sxr: usize, x: usize, r: f64, gamma: f64, d: i32, dp: i32): f64 {
  let acc: f64 = 0;
  let panel = sxx;
  for (let i = 0; i < d; i += 4) {
    const o = <usize>i << 3;
    const x0 = load<f64>(x + o);
    const x1 = load<f64>(x + o, 8);
    const x2 = load<f64>(x + o, 16);
    const x3 = load<f64>(x + o, 24);
    const s0 = gamma * load<f64>(panel) + x0 * x0;
    const s1 = gamma * load<f64>(panel, 24) + x1 * x1;
    const s2 = gamma * load<f64>(panel, 96) + x2 * x2;
    const s3 = gamma * load<f64>(panel, 120) + x3 * x3;
    const diagonal = STATISTICS_HEADROOM * ((s0 + s1) + (s2 + s3));
    const t0 = gamma * load<f64>(sxr + o) + r * x0;
    const t1 = gamma * load<f64>(sxr + o, 8) + r * x1;
    const t2 = gamma * load<f64>(sxr + o, 16) + r * x2;
    const t3 = gamma * load<f64>(sxr + o, 24) + r * x3;
    const s = STATISTICS_HEADROOM * ((t0 + t1) + (t2 + t3));
    // A sum of finite values can overflow where its terms do not: that only refuses a step whose
    // values are within a factor 8 of the f64 limit.
    acc += (diagonal - diagonal) + (s - s);
    panel += <usize>(32 * (dp - i));
  }
  return acc;
}
