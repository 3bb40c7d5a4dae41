// f64 primitives over rows of the model arena (layout in ./layout.ts).
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

// @ts-ignore: decorator
@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f64x2.relaxed_madd(a, b, c);
  } else {
    return f64x2.add(f64x2.mul(a, b), c);
  }
}

// c − a·b
// @ts-ignore: decorator
@inline
function nmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f64x2.relaxed_nmadd(a, b, c);
  } else {
    return f64x2.sub(c, f64x2.mul(a, b));
  }
}

// @ts-ignore: decorator
@inline
function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
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
 * One pass over a row segment that both reads and scatters: returns Σ row[j]·x[j] and adds
 * xi·row[j] into u[j]. This is one row of the symmetric product u = A·x when only the upper
 * triangle of A is stored: the dot covers A[i][j≥i]·x[j], the scatter covers A[j][i] = A[i][j]
 * for j > i (the caller removes the diagonal, which both halves count).
 */
// @ts-ignore: decorator
@inline
export function dotScatter(row: usize, x: usize, u: usize, xi: f64, n: i32): f64 {
  if (ASC_FEATURE_SIMD) {
    const vxi = f64x2.splat(xi);
    let acc = f64x2.splat(0);
    for (let j = 0; j < n; j += 2) {
      const o = <usize>j << 3;
      const a = v128.load(row + o);
      acc = madd(a, v128.load(x + o), acc);
      v128.store(u + o, madd(vxi, a, v128.load(u + o)));
    }
    return hsum(acc);
  } else {
    let acc: f64 = 0;
    for (let j = 0; j < n; j++) {
      const o = <usize>j << 3;
      const a = load<f64>(row + o);
      acc += a * load<f64>(x + o);
      store<f64>(u + o, load<f64>(u + o) + xi * a);
    }
    return acc;
  }
}

/** row[j] = row[j] − vi·v[j] for j < n (n even). */
// @ts-ignore: decorator
@inline
export function rank1Row(row: usize, vi: f64, v: usize, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    const vv = f64x2.splat(vi);
    for (let j = 0; j < n; j += 2) {
      const o = <usize>j << 3;
      v128.store(row + o, nmadd(vv, v128.load(v + o), v128.load(row + o)));
    }
  } else {
    for (let j = 0; j < n; j++) {
      const o = <usize>j << 3;
      store<f64>(row + o, load<f64>(row + o) - vi * load<f64>(v + o));
    }
  }
}

/** row[j] = g·row[j] − vi·v[j] for j < n (n even): the rank-1 step on A⁻¹/γ. */
// @ts-ignore: decorator
@inline
export function scaledRank1Row(row: usize, g: f64, vi: f64, v: usize, n: i32): void {
  if (ASC_FEATURE_SIMD) {
    const vg = f64x2.splat(g);
    const vv = f64x2.splat(vi);
    for (let j = 0; j < n; j += 2) {
      const o = <usize>j << 3;
      v128.store(row + o, nmadd(vv, v128.load(v + o), f64x2.mul(vg, v128.load(row + o))));
    }
  } else {
    for (let j = 0; j < n; j++) {
      const o = <usize>j << 3;
      store<f64>(row + o, g * load<f64>(row + o) - vi * load<f64>(v + o));
    }
  }
}

/**
 * u = A·x for a symmetric A of which only the upper triangle is stored (lower triangle exactly 0),
 * rows of stride `dp`, `d` meaningful rows. u must have room for dp values; it is overwritten.
 *
 * Row i is processed from column j0 = i rounded down to even, so every segment starts on a 16-byte
 * boundary; the one lower-triangle element this can include (j = i − 1) is 0 and adds nothing.
 */
// @ts-ignore: decorator
@inline
export function symvUpper(a: usize, x: usize, u: usize, d: i32, dp: i32): void {
  memory.fill(u, 0, <usize>dp << 3);
  const rowBytes = <usize>dp << 3;
  for (let i = 0; i < d; i++) {
    const j0 = i & ~1;
    const row = a + <usize>i * rowBytes;
    const off = <usize>j0 << 3;
    const xi = load<f64>(x + (<usize>i << 3));
    const t = dotScatter(row + off, x + off, u + off, xi, dp - j0);
    // The scatter added A[i][i]·x[i] to u[i] and the dot added it again: keep one.
    const ui = u + (<usize>i << 3);
    store<f64>(ui, load<f64>(ui) + t - load<f64>(row + (<usize>i << 3)) * xi);
  }
}

/** xᵀA·x for a symmetric A stored as its upper triangle (see symvUpper). */
// @ts-ignore: decorator
@inline
export function quadUpper(a: usize, x: usize, d: i32, dp: i32): f64 {
  const rowBytes = <usize>dp << 3;
  let q: f64 = 0;
  for (let i = 0; i < d; i++) {
    const j0 = i & ~1;
    const row = a + <usize>i * rowBytes;
    const off = <usize>j0 << 3;
    const xi = load<f64>(x + (<usize>i << 3));
    const t = dot(row + off, x + off, dp - j0);
    // Σ_j≥i A_ij x_j counts the diagonal once and each off-diagonal pair once: double the pairs.
    q += xi * (2.0 * t - load<f64>(row + (<usize>i << 3)) * xi);
  }
  return q;
}

/**
 * A ← g·A − v·vᵀ on the upper triangle (g = 1 skips the scaling). After an odd row the one
 * lower-triangle element the aligned segment touched is reset to 0, keeping the invariant.
 */
// @ts-ignore: decorator
@inline
export function rank1Upper(a: usize, v: usize, g: f64, d: i32, dp: i32): void {
  const rowBytes = <usize>dp << 3;
  if (g == 1.0) {
    for (let i = 0; i < d; i++) {
      const j0 = i & ~1;
      const row = a + <usize>i * rowBytes;
      const off = <usize>j0 << 3;
      rank1Row(row + off, load<f64>(v + (<usize>i << 3)), v + off, dp - j0);
      if (i & 1) store<f64>(row + off, 0.0);
    }
  } else {
    for (let i = 0; i < d; i++) {
      const j0 = i & ~1;
      const row = a + <usize>i * rowBytes;
      const off = <usize>j0 << 3;
      scaledRank1Row(row + off, g, load<f64>(v + (<usize>i << 3)), v + off, dp - j0);
      if (i & 1) store<f64>(row + off, 0.0);
    }
  }
}

/** S ← g·S + x·xᵀ on the upper triangle (g = 1 skips the scaling); lower triangle kept 0. */
// @ts-ignore: decorator
@inline
export function accumulateUpper(s: usize, x: usize, g: f64, d: i32, dp: i32): void {
  const rowBytes = <usize>dp << 3;
  if (g == 1.0) {
    for (let i = 0; i < d; i++) {
      const j0 = i & ~1;
      const row = s + <usize>i * rowBytes;
      const off = <usize>j0 << 3;
      axpy(row + off, load<f64>(x + (<usize>i << 3)), x + off, dp - j0);
      if (i & 1) store<f64>(row + off, 0.0);
    }
  } else {
    for (let i = 0; i < d; i++) {
      const j0 = i & ~1;
      const row = s + <usize>i * rowBytes;
      const off = <usize>j0 << 3;
      scaleAxpy(row + off, g, load<f64>(x + (<usize>i << 3)), x + off, dp - j0);
      if (i & 1) store<f64>(row + off, 0.0);
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
