// f64 vector primitives and the Cholesky factorisation (layout of the arena: ./layout.ts; the
// layout of symmetric matrices and the products over it: ./panel.ts).
//
// Every vector handed to these functions is padded with zeros to an even length (rows are DP
// long, DP a multiple of 4), so the SIMD paths run in whole f64x2 pairs with no scalar tail.
// One source serves three builds: `ASC_FEATURE_SIMD` and `ASC_FEATURE_RELAXED_SIMD` are
// compile-time constants, so the branches a build does not take are removed entirely.
//
// Operation order, which decides the last bits:
// - element-wise kernels (axpy, rank-1 rows) compute exactly the same IEEE operations in the
//   scalar and the plain-SIMD build, so their results are bitwise equal;
// - reductions (dot) keep two or four partial sums in the SIMD builds, so they differ from the
//   scalar build in the last bits;
// - the relaxed build fuses multiply-adds (implementation-defined rounding), so it is reproducible
//   on one engine but may differ in the last bits between engines.

/** a·b + c, fused in the relaxed build. */
// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f64x2.relaxed_madd(a, b, c);
  } else {
    return f64x2.add(f64x2.mul(a, b), c);
  }
}

/** c − a·b, fused in the relaxed build. */
// @ts-ignore: decorator
@inline
export function nmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f64x2.relaxed_nmadd(a, b, c);
  } else {
    return f64x2.sub(c, f64x2.mul(a, b));
  }
}

/** Sum of the two lanes. */
// @ts-ignore: decorator
@inline
export function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/**
 * Copies d values from `src` and zero-fills up to dp (dp even, ≥ d). Explicit loops, not
 * memory.copy/fill: for vectors this short the bulk-memory instructions cost a call into the
 * engine's runtime each, several times the copy itself.
 */
// @ts-ignore: decorator
@inline
export function copyPadded(dst: usize, src: usize, d: i32, dp: i32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 2 <= d; j += 2) {
      const o = <usize>j << 3;
      v128.store(dst + o, v128.load(src + o));
    }
  } else {
    for (; j + 2 <= d; j += 2) {
      const o = <usize>j << 3;
      store<f64>(dst + o, load<f64>(src + o));
      store<f64>(dst + o, load<f64>(src + o, 8), 8);
    }
  }
  if (j < d) {
    const o = <usize>j << 3;
    store<f64>(dst + o, load<f64>(src + o));
    store<f64>(dst + o, 0.0, 8);
    j += 2;
  }
  for (; j < dp; j += 2) {
    const o = <usize>j << 3;
    store<f64>(dst + o, 0.0);
    store<f64>(dst + o, 0.0, 8);
  }
}

/** Sets n values (n even) to 0, with the same reasoning as copyPadded. */
// @ts-ignore: decorator
@inline
export function zeroVector(dst: usize, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    for (let j = 0; j < n; j += 2) v128.store(dst + (<usize>j << 3), f64x2.splat(0));
  } else {
    for (let j = 0; j < n; j += 2) {
      const o = <usize>j << 3;
      store<f64>(dst + o, 0.0);
      store<f64>(dst + o, 0.0, 8);
    }
  }
}

/** Σ a[j]·b[j] for j < n (n even). */
// @ts-ignore: decorator
@inline
export function dot(a: usize, b: usize, n: i32): f64 {
  if (ASC_FEATURE_SIMD) {
    let acc0 = f64x2.splat(0);
    let acc1 = f64x2.splat(0);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 3;
      acc0 = madd(v128.load(a + o), v128.load(b + o), acc0);
      acc1 = madd(v128.load(a + o, 16), v128.load(b + o, 16), acc1);
    }
    if (j < n) {
      const o = <usize>j << 3;
      acc0 = madd(v128.load(a + o), v128.load(b + o), acc0);
    }
    return hsum(f64x2.add(acc0, acc1));
  } else {
    let acc: f64 = 0;
    for (let j = 0; j < n; j++) {
      const o = <usize>j << 3;
      acc += load<f64>(a + o) * load<f64>(b + o);
    }
    return acc;
  }
}

/** y[j] += s·x[j] for j < n (n even). */
// @ts-ignore: decorator
@inline
export function axpy(y: usize, s: f64, x: usize, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    const vs = f64x2.splat(s);
    for (let j = 0; j < n; j += 2) {
      const o = <usize>j << 3;
      v128.store(y + o, madd(vs, v128.load(x + o), v128.load(y + o)));
    }
  } else {
    for (let j = 0; j < n; j++) {
      const o = <usize>j << 3;
      store<f64>(y + o, load<f64>(y + o) + s * load<f64>(x + o));
    }
  }
}

/** y[j] = g·y[j] + s·x[j] for j < n (n even): the discounted accumulation b ← γb + r·x. */
// @ts-ignore: decorator
@inline
export function scaleAxpy(y: usize, g: f64, s: f64, x: usize, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    const vg = f64x2.splat(g);
    const vs = f64x2.splat(s);
    for (let j = 0; j < n; j += 2) {
      const o = <usize>j << 3;
      v128.store(y + o, madd(vs, v128.load(x + o), f64x2.mul(vg, v128.load(y + o))));
    }
  } else {
    for (let j = 0; j < n; j++) {
      const o = <usize>j << 3;
      store<f64>(y + o, g * load<f64>(y + o) + s * load<f64>(x + o));
    }
  }
}

/** y[j] = s·x[j] for j < n (n even). */
// @ts-ignore: decorator
@inline
export function scaleInto(y: usize, s: f64, x: usize, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    const vs = f64x2.splat(s);
    for (let j = 0; j < n; j += 2) {
      const o = <usize>j << 3;
      v128.store(y + o, f64x2.mul(vs, v128.load(x + o)));
    }
  } else {
    for (let j = 0; j < n; j++) {
      const o = <usize>j << 3;
      store<f64>(y + o, s * load<f64>(x + o));
    }
  }
}

/**
 * The O(d) half of a Sherman–Morrison step, in one pass: θ += c·u and b ← γ·b + r·x (γ = 1 skips
 * the scaling of b).
 */
// @ts-ignore: decorator
@inline
export function smVectors(theta: usize, b: usize, u: usize, x: usize, c: f64, r: f64, gamma: f64, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    const vc = f64x2.splat(c);
    const vr = f64x2.splat(r);
    // Two loops rather than a γ test inside one: with a branch in the loop body TurboFan splits
    // the scalar set-up (the division behind c) into the loop.
    if (gamma == 1.0) {
      for (let j = 0; j < n; j += 2) {
        const o = <usize>j << 3;
        const uj = v128.load(u + o);
        v128.store(theta + o, madd(vc, uj, v128.load(theta + o)));
        v128.store(b + o, madd(vr, v128.load(x + o), v128.load(b + o)));
      }
    } else {
      const vg = f64x2.splat(gamma);
      for (let j = 0; j < n; j += 2) {
        const o = <usize>j << 3;
        const uj = v128.load(u + o);
        v128.store(theta + o, madd(vc, uj, v128.load(theta + o)));
        v128.store(b + o, madd(vr, v128.load(x + o), f64x2.mul(vg, v128.load(b + o))));
      }
    }
  } else {
    for (let j = 0; j < n; j++) {
      const o = <usize>j << 3;
      const uj = load<f64>(u + o);
      store<f64>(theta + o, load<f64>(theta + o) + c * uj);
      const bj = load<f64>(b + o);
      store<f64>(b + o, (gamma == 1.0 ? bj : gamma * bj) + r * load<f64>(x + o));
    }
  }
}

/**
 * In-place Cholesky factorisation M = L·Lᵀ of the leading d×d block of a full symmetric matrix
 * (row stride dp). L is written over the lower triangle including the diagonal; the strict upper
 * triangle is left as it was. Returns false when a pivot is not positive and finite (M not
 * positive definite to working precision).
 */
export function choleskyInPlace(m: usize, d: i32, dp: i32): bool {
  const rowBytes = <usize>dp << 3;
  for (let j = 0; j < d; j++) {
    const rowJ = m + <usize>j * rowBytes;
    // Only the first j entries of row j are L; the scalar dot keeps this independent of padding.
    let s = load<f64>(rowJ + (<usize>j << 3));
    for (let k = 0; k < j; k++) {
      const l = load<f64>(rowJ + (<usize>k << 3));
      s -= l * l;
    }
    if (!(s > 0.0) || !isFinite(s)) return false;
    const ljj = Math.sqrt(s);
    store<f64>(rowJ + (<usize>j << 3), ljj);
    const inv = 1.0 / ljj;
    for (let i = j + 1; i < d; i++) {
      const rowI = m + <usize>i * rowBytes;
      let t = load<f64>(rowI + (<usize>j << 3));
      for (let k = 0; k < j; k++) {
        t -= load<f64>(rowI + (<usize>k << 3)) * load<f64>(rowJ + (<usize>k << 3));
      }
      store<f64>(rowI + (<usize>j << 3), t * inv);
    }
  }
  return true;
}

/**
 * Given L (lower triangle of `l`, from choleskyInPlace) writes (L·Lᵀ)⁻¹ = L⁻ᵀ·L⁻¹ as an upper
 * triangle into `out` (row stride dp; lower triangle and padding set to 0). `w` is dp·dp scratch
 * that receives W = L⁻¹ (lower).
 */
export function choleskyInverseUpper(l: usize, w: usize, out: usize, d: i32, dp: i32): void {
  const rowBytes = <usize>dp << 3;
  const matBytes = <usize>dp * rowBytes;
  memory.fill(w, 0, matBytes);
  // Forward substitution, row by row: W[i][j] = −(Σ_{k=j}^{i−1} L[i][k]·W[k][j]) / L[i][i].
  for (let i = 0; i < d; i++) {
    const rowL = l + <usize>i * rowBytes;
    const rowW = w + <usize>i * rowBytes;
    const inv = 1.0 / load<f64>(rowL + (<usize>i << 3));
    for (let j = 0; j < i; j++) {
      let t: f64 = 0;
      for (let k = j; k < i; k++) {
        t += load<f64>(rowL + (<usize>k << 3)) * load<f64>(w + <usize>k * rowBytes + (<usize>j << 3));
      }
      store<f64>(rowW + (<usize>j << 3), -t * inv);
    }
    store<f64>(rowW + (<usize>i << 3), inv);
  }
  // A⁻¹ = Wᵀ·W = Σ_k W[k]ᵀ·W[k]: row k of W has entries j ≤ k, so it adds to A⁻¹[i][j], i ≤ j ≤ k.
  memory.fill(out, 0, matBytes);
  for (let k = 0; k < d; k++) {
    const rowW = w + <usize>k * rowBytes;
    for (let i = 0; i <= k; i++) {
      const wi = load<f64>(rowW + (<usize>i << 3));
      const rowOut = out + <usize>i * rowBytes;
      for (let j = i; j <= k; j++) {
        const o = <usize>j << 3;
        store<f64>(rowOut + o, load<f64>(rowOut + o) + wi * load<f64>(rowW + o));
      }
    }
  }
}

/**
 * Solves (L·Lᵀ)·out = b given L from choleskyInPlace (row stride dp); `out` may alias `b`.
 * Forward substitution L·y = b, then back substitution Lᵀ·out = y.
 */
export function choleskySolve(l: usize, b: usize, out: usize, d: i32, dp: i32): void {
  const rowBytes = <usize>dp << 3;
  for (let i = 0; i < d; i++) {
    const row = l + <usize>i * rowBytes;
    let t = load<f64>(b + (<usize>i << 3));
    for (let k = 0; k < i; k++) t -= load<f64>(row + (<usize>k << 3)) * load<f64>(out + (<usize>k << 3));
    store<f64>(out + (<usize>i << 3), t / load<f64>(row + (<usize>i << 3)));
  }
  for (let i = d - 1; i >= 0; i--) {
    let t = load<f64>(out + (<usize>i << 3));
    for (let k = i + 1; k < d; k++) {
      t -= load<f64>(l + <usize>k * rowBytes + (<usize>i << 3)) * load<f64>(out + (<usize>k << 3));
    }
    store<f64>(out + (<usize>i << 3), t / load<f64>(l + <usize>i * rowBytes + (<usize>i << 3)));
  }
}
