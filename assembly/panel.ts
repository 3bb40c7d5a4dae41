// Symmetric matrices in the panel layout: how A⁻¹ (and Σxxᵀ) of every model is stored.
//
// Rows are grouped in quads 4m … 4m+3. Quad m stores columns 4m … DP−1 of its four rows, as
// pairs of columns interleaved row by row, so the quad is one contiguous panel:
//
//   panel m = for J in 0 … (DP − 4m)/2 − 1:           (64 bytes per J)
//               [A(4m,   4m+2J), A(4m,   4m+2J+1)]     row 0 of the quad
//               [A(4m+1, 4m+2J), A(4m+1, 4m+2J+1)]     row 1
//               [A(4m+2, 4m+2J), A(4m+2, 4m+2J+1)]     row 2
//               [A(4m+3, 4m+2J), A(4m+3, 4m+2J+1)]     row 3
//
// Panels follow each other; panel m starts at 32·(m·DP − 2m(m−1)) bytes and the whole matrix
// takes 8·M·(M+1) doubles, M = DP/4 (160 at d = 16 against 256 for the full square; 2176 against
// 4096 at d = 64). Only the upper triangle is stored. The lower-triangle elements that fall inside
// a 4×4 diagonal block (J = 0, 1) are kept exactly 0, so loops may run over whole panels.
//
// Why this layout: a loop over J reads the four rows of a quad at fixed offsets (0, 16, 32, 48)
// from one pointer that advances 64 bytes, and the vector x at one more pointer — two address
// computations per step instead of five — and it reads each x pair once for four rows.
//
// A⁻¹ is stored with its diagonal halved (A' = strict upper + diag/2, so A = A' + A'ᵀ): then
// A·x = A'x + A'ᵀx and xᵀA·x = 2·xᵀA'x with no diagonal correction (halving is exact). Σxxᵀ keeps
// its full diagonal: it is only read back (finalize, export), never multiplied.

import { madd, nmadd, hsum, zeroVector } from "./linalg";

/** Doubles one panel-layout matrix takes for padded dimension dp. */
// @ts-ignore: decorator
@inline
export function panelDoubles(dp: i32): i32 {
  const quads = dp >> 2;
  return 8 * quads * (quads + 1);
}

/** Byte offset of element (i, j), j ≥ i (or inside i's 4×4 diagonal block), in a panel matrix. */
// @ts-ignore: decorator
@inline
export function panelOffset(i: i32, j: i32, dp: i32): usize {
  const m = i >> 2;
  const start = 32 * (m * dp - 2 * m * (m - 1));
  const column = j - (m << 2);
  return <usize>(start + ((column >> 1) << 6) + ((i & 3) << 4) + ((column & 1) << 3));
}

/**
 * u = A·x for A stored as A' (halved diagonal). Returns xᵀu, free here because u[i] is final once
 * the quad of row i is done: later quads only scatter into columns to their right.
 */
// @ts-ignore: decorator
@inline
export function symvPanel(a: usize, x: usize, u: usize, d: i32, dp: i32): f64 {
  zeroVector(u, dp);
  let p = a;
  let xu: f64 = 0;
  const end = x + (<usize>dp << 3);
  for (let i = 0; i < d; i += 4) {
    const off = <usize>i << 3;
    const xs = x + off;
    const us = u + off;
    if (ASC_FEATURE_SIMD) {
      const vx0 = v128.load64_splat(xs);
      const vx1 = v128.load64_splat(xs, 8);
      const vx2 = v128.load64_splat(xs, 16);
      const vx3 = v128.load64_splat(xs, 24);
      let c0 = f64x2.splat(0);
      let c1 = f64x2.splat(0);
      let c2 = f64x2.splat(0);
      let c3 = f64x2.splat(0);
      let uj = us;
      for (let xj = xs; xj < end; xj += 16) {
        const xv = v128.load(xj);
        const a0 = v128.load(p);
        const a1 = v128.load(p, 16);
        const a2 = v128.load(p, 32);
        const a3 = v128.load(p, 48);
        c0 = madd(a0, xv, c0);
        c1 = madd(a1, xv, c1);
        c2 = madd(a2, xv, c2);
        c3 = madd(a3, xv, c3);
        v128.store(uj, madd(vx3, a3, madd(vx2, a2, madd(vx1, a1, madd(vx0, a0, v128.load(uj))))));
        p += 64;
        uj += 16;
      }
      const u01 = f64x2.add(v128.load(us), f64x2.add(f64x2.shuffle(c0, c1, 0, 2), f64x2.shuffle(c0, c1, 1, 3)));
      const u23 = f64x2.add(v128.load(us, 16), f64x2.add(f64x2.shuffle(c2, c3, 0, 2), f64x2.shuffle(c2, c3, 1, 3)));
      v128.store(us, u01);
      v128.store(us, u23, 16);
      xu += hsum(f64x2.add(f64x2.mul(v128.load(xs), u01), f64x2.mul(v128.load(xs, 16), u23)));
    } else {
      const x0 = load<f64>(xs);
      const x1 = load<f64>(xs, 8);
      const x2 = load<f64>(xs, 16);
      const x3 = load<f64>(xs, 24);
      let t0: f64 = 0;
      let t1: f64 = 0;
      let t2: f64 = 0;
      let t3: f64 = 0;
      let uj = us;
      for (let xj = xs; xj < end; xj += 16) {
        for (let h: usize = 0; h < 16; h += 8) {
          const xv = load<f64>(xj + h);
          const a0 = load<f64>(p + h);
          const a1 = load<f64>(p + h, 16);
          const a2 = load<f64>(p + h, 32);
          const a3 = load<f64>(p + h, 48);
          t0 += a0 * xv;
          t1 += a1 * xv;
          t2 += a2 * xv;
          t3 += a3 * xv;
          store<f64>(uj + h, load<f64>(uj + h) + x0 * a0 + x1 * a1 + x2 * a2 + x3 * a3);
        }
        p += 64;
        uj += 16;
      }
      const u0 = load<f64>(us) + t0;
      const u1 = load<f64>(us, 8) + t1;
      const u2 = load<f64>(us, 16) + t2;
      const u3 = load<f64>(us, 24) + t3;
      store<f64>(us, u0);
      store<f64>(us, u1, 8);
      store<f64>(us, u2, 16);
      store<f64>(us, u3, 24);
      xu += x0 * u0 + x1 * u1 + x2 * u2 + x3 * u3;
    }
  }
  return xu;
}

/**
 * x[r]·c_r summed over the four rows r of a quad (xs points at x[r = 0]): the quad's share of a
 * quadratic form. A tree, not a chain of multiply-adds through the running total: each arm's
 * score waits on this sum (measured 9% faster per select at d = 16).
 */
// @ts-ignore: decorator
@inline
function weightRows(xs: usize, c0: v128, c1: v128, c2: v128, c3: v128): v128 {
  const t01 = madd(v128.load64_splat(xs, 8), c1, f64x2.mul(v128.load64_splat(xs), c0));
  const t23 = madd(v128.load64_splat(xs, 24), c3, f64x2.mul(v128.load64_splat(xs, 16), c2));
  return f64x2.add(t01, t23);
}

/** xᵀA·x = 2·xᵀA'x for A stored as A'; row sums are weighted by xᵢ while still vectors. */
// @ts-ignore: decorator
@inline
export function quadPanel(a: usize, x: usize, d: i32, dp: i32): f64 {
  let p = a;
  const end = x + (<usize>dp << 3);
  if (ASC_FEATURE_SIMD) {
    let q = f64x2.splat(0);
    for (let i = 0; i < d; i += 4) {
      const xs = x + (<usize>i << 3);
      let c0 = f64x2.splat(0);
      let c1 = f64x2.splat(0);
      let c2 = f64x2.splat(0);
      let c3 = f64x2.splat(0);
      for (let xj = xs; xj < end; xj += 16) {
        const xv = v128.load(xj);
        c0 = madd(v128.load(p), xv, c0);
        c1 = madd(v128.load(p, 16), xv, c1);
        c2 = madd(v128.load(p, 32), xv, c2);
        c3 = madd(v128.load(p, 48), xv, c3);
        p += 64;
      }
      q = f64x2.add(q, weightRows(xs, c0, c1, c2, c3));
    }
    return 2.0 * hsum(q);
  } else {
    let q: f64 = 0;
    for (let i = 0; i < d; i += 4) {
      const xs = x + (<usize>i << 3);
      let t0: f64 = 0;
      let t1: f64 = 0;
      let t2: f64 = 0;
      let t3: f64 = 0;
      for (let xj = xs; xj < end; xj += 16) {
        for (let h: usize = 0; h < 16; h += 8) {
          const xv = load<f64>(xj + h);
          t0 += load<f64>(p + h) * xv;
          t1 += load<f64>(p + h, 16) * xv;
          t2 += load<f64>(p + h, 32) * xv;
          t3 += load<f64>(p + h, 48) * xv;
        }
        p += 64;
      }
      q += load<f64>(xs) * t0 + load<f64>(xs, 8) * t1 + load<f64>(xs, 16) * t2 + load<f64>(xs, 24) * t3;
    }
    return 2.0 * q;
  }
}

/**
 * The quadratic forms of two contexts at once (padded rows at x and y), written to q[0], q[1]:
 * each element of A is loaded once for both, which matters when A⁻¹ streams from memory (d ≥ 32).
 */
// @ts-ignore: decorator
@inline
export function quadPanel2(a: usize, x: usize, y: usize, q: usize, d: i32, dp: i32): void {
  if (ASC_FEATURE_SIMD) {
    let p = a;
    const span = <usize>dp << 3;
    let qx = f64x2.splat(0);
    let qy = f64x2.splat(0);
    for (let i = 0; i < d; i += 4) {
      const off = <usize>i << 3;
      let c0 = f64x2.splat(0);
      let c1 = f64x2.splat(0);
      let c2 = f64x2.splat(0);
      let c3 = f64x2.splat(0);
      let e0 = f64x2.splat(0);
      let e1 = f64x2.splat(0);
      let e2 = f64x2.splat(0);
      let e3 = f64x2.splat(0);
      const delta = y - x;
      const end = x + span;
      for (let xj = x + off; xj < end; xj += 16) {
        const xv = v128.load(xj);
        const yv = v128.load(xj + delta);
        const a0 = v128.load(p);
        const a1 = v128.load(p, 16);
        const a2 = v128.load(p, 32);
        const a3 = v128.load(p, 48);
        c0 = madd(a0, xv, c0);
        c1 = madd(a1, xv, c1);
        c2 = madd(a2, xv, c2);
        c3 = madd(a3, xv, c3);
        e0 = madd(a0, yv, e0);
        e1 = madd(a1, yv, e1);
        e2 = madd(a2, yv, e2);
        e3 = madd(a3, yv, e3);
        p += 64;
      }
      const xs = x + off;
      const ys = y + off;
      qx = f64x2.add(qx, weightRows(xs, c0, c1, c2, c3));
      qy = f64x2.add(qy, weightRows(ys, e0, e1, e2, e3));
    }
    store<f64>(q, 2.0 * hsum(qx));
    store<f64>(q, 2.0 * hsum(qy), 8);
  } else {
    store<f64>(q, quadPanel(a, x, d, dp));
    store<f64>(q, quadPanel(a, y, d, dp), 8);
  }
}

/**
 * A ← g·A − k·u·uᵀ on the stored A' (g = 1 skips the scaling). In the 4×4 diagonal block only the
 * ten stored elements are written, the diagonal with (k·u)·(u/2) so it stays halved; the columns
 * to the right of the block are whole vectors. Row i of a quad uses k·uᵢ, the columns u itself.
 */
// @ts-ignore: decorator
@inline
export function rank1Panel(a: usize, u: usize, k: f64, g: f64, d: i32, dp: i32): void {
  let p = a;
  const end = u + (<usize>dp << 3);
  for (let i = 0; i < d; i += 4) {
    const us = u + (<usize>i << 3);
    if (ASC_FEATURE_SIMD) {
      const vk = f64x2.splat(k);
      const vv0 = f64x2.mul(vk, v128.load64_splat(us));
      const vv1 = f64x2.mul(vk, v128.load64_splat(us, 8));
      const vv2 = f64x2.mul(vk, v128.load64_splat(us, 16));
      const vv3 = f64x2.mul(vk, v128.load64_splat(us, 24));
      // Diagonal block, six pairs (layout in the header): rows 0, 1 of J = 0 and all rows of J = 1.
      // The diagonal takes (k·uᵢ)·(uᵢ/2) so it stays halved; the halves are exact, as in the
      // scalar build, and the stored lower elements (1,0), (3,2) receive 0 − (k·uᵢ)·0 = +0.
      const w01 = v128.load(us);
      const w23 = v128.load(us, 16);
      const zero = f64x2.splat(0);
      const half = f64x2.splat(0.5);
      const h01 = f64x2.mul(w01, half);
      const h23 = f64x2.mul(w23, half);
      // g·A is exact for g = 1, so one block serves both cases (six multiplies a quad).
      const vg = f64x2.splat(g);
      v128.store(p, nmadd(vv0, v128.shuffle<f64>(h01, w01, 0, 3), f64x2.mul(vg, v128.load(p))));
      v128.store(p, nmadd(vv1, v128.shuffle<f64>(zero, h01, 0, 3), f64x2.mul(vg, v128.load(p, 16))), 16);
      v128.store(p, nmadd(vv0, w23, f64x2.mul(vg, v128.load(p, 64))), 64);
      v128.store(p, nmadd(vv1, w23, f64x2.mul(vg, v128.load(p, 80))), 80);
      v128.store(p, nmadd(vv2, v128.shuffle<f64>(h23, w23, 0, 3), f64x2.mul(vg, v128.load(p, 96))), 96);
      v128.store(p, nmadd(vv3, v128.shuffle<f64>(zero, h23, 0, 3), f64x2.mul(vg, v128.load(p, 112))), 112);
      p += 128;
      if (g == 1.0) {
        for (let uj = us + 32; uj < end; uj += 32) {
          const w = v128.load(uj);
          v128.store(p, nmadd(vv0, w, v128.load(p)));
          v128.store(p, nmadd(vv1, w, v128.load(p, 16)), 16);
          v128.store(p, nmadd(vv2, w, v128.load(p, 32)), 32);
          v128.store(p, nmadd(vv3, w, v128.load(p, 48)), 48);
          const z = v128.load(uj, 16);
          v128.store(p, nmadd(vv0, z, v128.load(p, 64)), 64);
          v128.store(p, nmadd(vv1, z, v128.load(p, 80)), 80);
          v128.store(p, nmadd(vv2, z, v128.load(p, 96)), 96);
          v128.store(p, nmadd(vv3, z, v128.load(p, 112)), 112);
          p += 128;
        }
      } else {
        for (let uj = us + 32; uj < end; uj += 16) {
          const w = v128.load(uj);
          v128.store(p, nmadd(vv0, w, f64x2.mul(vg, v128.load(p))));
          v128.store(p, nmadd(vv1, w, f64x2.mul(vg, v128.load(p, 16))), 16);
          v128.store(p, nmadd(vv2, w, f64x2.mul(vg, v128.load(p, 32))), 32);
          v128.store(p, nmadd(vv3, w, f64x2.mul(vg, v128.load(p, 48))), 48);
          p += 64;
        }
      }
    } else {
      const u0 = load<f64>(us);
      const u1 = load<f64>(us, 8);
      const u2 = load<f64>(us, 16);
      const u3 = load<f64>(us, 24);
      const v0 = k * u0;
      const v1 = k * u1;
      const v2 = k * u2;
      const v3 = k * u3;
      // Diagonal block: J = 0 holds (0,0)(0,1) | (1,0)=0 (1,1) | zeros | zeros;
      //                 J = 1 holds (0,2)(0,3) | (1,2)(1,3) | (2,2)(2,3) | (3,2)=0 (3,3).
      store<f64>(p, g * load<f64>(p) - v0 * (u0 * 0.5));
      store<f64>(p, g * load<f64>(p, 8) - v0 * u1, 8);
      store<f64>(p, g * load<f64>(p, 24) - v1 * (u1 * 0.5), 24);
      store<f64>(p, g * load<f64>(p, 64) - v0 * u2, 64);
      store<f64>(p, g * load<f64>(p, 72) - v0 * u3, 72);
      store<f64>(p, g * load<f64>(p, 80) - v1 * u2, 80);
      store<f64>(p, g * load<f64>(p, 88) - v1 * u3, 88);
      store<f64>(p, g * load<f64>(p, 96) - v2 * (u2 * 0.5), 96);
      store<f64>(p, g * load<f64>(p, 104) - v2 * u3, 104);
      store<f64>(p, g * load<f64>(p, 120) - v3 * (u3 * 0.5), 120);
      p += 128;
      for (let uj = us + 32; uj < end; uj += 16) {
        for (let h: usize = 0; h < 16; h += 8) {
          const w = load<f64>(uj + h);
          store<f64>(p + h, g * load<f64>(p + h) - v0 * w);
          store<f64>(p + h, g * load<f64>(p + h, 16) - v1 * w, 16);
          store<f64>(p + h, g * load<f64>(p + h, 32) - v2 * w, 32);
          store<f64>(p + h, g * load<f64>(p + h, 48) - v3 * w, 48);
        }
        p += 64;
      }
    }
  }
}

/** S ← g·S + x·xᵀ on a panel matrix with a full diagonal (g = 1 skips the scaling). */
// @ts-ignore: decorator
@inline
export function accumulatePanel(s: usize, x: usize, g: f64, d: i32, dp: i32): void {
  let p = s;
  const end = x + (<usize>dp << 3);
  for (let i = 0; i < d; i += 4) {
    const xs = x + (<usize>i << 3);
    if (ASC_FEATURE_SIMD) {
      const vx0 = v128.load64_splat(xs);
      const vx1 = v128.load64_splat(xs, 8);
      const vx2 = v128.load64_splat(xs, 16);
      const vx3 = v128.load64_splat(xs, 24);
      // Diagonal block, six pairs as in rank1Panel; the full diagonal here (no halving), and the
      // stored lower elements (1,0), (3,2) receive 0 + xᵢ·0 = +0.
      const w01 = v128.load(xs);
      const w23 = v128.load(xs, 16);
      const lo1 = v128.shuffle<f64>(f64x2.splat(0), w01, 0, 3);
      const lo3 = v128.shuffle<f64>(f64x2.splat(0), w23, 0, 3);
      // g·S is exact for g = 1, so one block serves both cases.
      const vg = f64x2.splat(g);
      v128.store(p, madd(vx0, w01, f64x2.mul(vg, v128.load(p))));
      v128.store(p, madd(vx1, lo1, f64x2.mul(vg, v128.load(p, 16))), 16);
      v128.store(p, madd(vx0, w23, f64x2.mul(vg, v128.load(p, 64))), 64);
      v128.store(p, madd(vx1, w23, f64x2.mul(vg, v128.load(p, 80))), 80);
      v128.store(p, madd(vx2, w23, f64x2.mul(vg, v128.load(p, 96))), 96);
      v128.store(p, madd(vx3, lo3, f64x2.mul(vg, v128.load(p, 112))), 112);
      p += 128;
      if (g == 1.0) {
        for (let xj = xs + 32; xj < end; xj += 32) {
          const w = v128.load(xj);
          v128.store(p, madd(vx0, w, v128.load(p)));
          v128.store(p, madd(vx1, w, v128.load(p, 16)), 16);
          v128.store(p, madd(vx2, w, v128.load(p, 32)), 32);
          v128.store(p, madd(vx3, w, v128.load(p, 48)), 48);
          const z = v128.load(xj, 16);
          v128.store(p, madd(vx0, z, v128.load(p, 64)), 64);
          v128.store(p, madd(vx1, z, v128.load(p, 80)), 80);
          v128.store(p, madd(vx2, z, v128.load(p, 96)), 96);
          v128.store(p, madd(vx3, z, v128.load(p, 112)), 112);
          p += 128;
        }
      } else {
        for (let xj = xs + 32; xj < end; xj += 16) {
          const w = v128.load(xj);
          v128.store(p, madd(vx0, w, f64x2.mul(vg, v128.load(p))));
          v128.store(p, madd(vx1, w, f64x2.mul(vg, v128.load(p, 16))), 16);
          v128.store(p, madd(vx2, w, f64x2.mul(vg, v128.load(p, 32))), 32);
          v128.store(p, madd(vx3, w, f64x2.mul(vg, v128.load(p, 48))), 48);
          p += 64;
        }
      }
    } else {
      const x0 = load<f64>(xs);
      const x1 = load<f64>(xs, 8);
      const x2 = load<f64>(xs, 16);
      const x3 = load<f64>(xs, 24);
      store<f64>(p, g * load<f64>(p) + x0 * x0);
      store<f64>(p, g * load<f64>(p, 8) + x0 * x1, 8);
      store<f64>(p, g * load<f64>(p, 24) + x1 * x1, 24);
      store<f64>(p, g * load<f64>(p, 64) + x0 * x2, 64);
      store<f64>(p, g * load<f64>(p, 72) + x0 * x3, 72);
      store<f64>(p, g * load<f64>(p, 80) + x1 * x2, 80);
      store<f64>(p, g * load<f64>(p, 88) + x1 * x3, 88);
      store<f64>(p, g * load<f64>(p, 96) + x2 * x2, 96);
      store<f64>(p, g * load<f64>(p, 104) + x2 * x3, 104);
      store<f64>(p, g * load<f64>(p, 120) + x3 * x3, 120);
      p += 128;
      for (let xj = xs + 32; xj < end; xj += 16) {
        for (let h: usize = 0; h < 16; h += 8) {
          const w = load<f64>(xj + h);
          store<f64>(p + h, g * load<f64>(p + h) + x0 * w);
          store<f64>(p + h, g * load<f64>(p + h, 16) + x1 * w, 16);
          store<f64>(p + h, g * load<f64>(p + h, 32) + x2 * w, 32);
          store<f64>(p + h, g * load<f64>(p + h, 48) + x3 * w, 48);
        }
        p += 64;
      }
    }
  }
}

/**
 * Copies a panel matrix into the upper triangle of a row-major dp×dp matrix (strict lower triangle
 * and padding set to 0), multiplying the diagonal by `diagonalScale` (2 undoes A⁻¹'s halving).
 */
export function panelToRowMajor(a: usize, out: usize, d: i32, dp: i32, diagonalScale: f64): void {
  const rowBytes = <usize>dp << 3;
  memory.fill(out, 0, <usize>dp * rowBytes);
  for (let i = 0; i < d; i++) {
    const row = out + <usize>i * rowBytes;
    for (let j = i; j < d; j++) {
      const value = load<f64>(a + panelOffset(i, j, dp));
      store<f64>(row + (<usize>j << 3), i == j ? value * diagonalScale : value);
    }
  }
}

/**
 * Fills a panel matrix from the upper triangle of a row-major dp×dp matrix (everything else 0),
 * multiplying the diagonal by `diagonalScale` (0.5 for A⁻¹).
 */
export function rowMajorToPanel(src: usize, a: usize, d: i32, dp: i32, diagonalScale: f64): void {
  const rowBytes = <usize>dp << 3;
  memory.fill(a, 0, <usize>panelDoubles(dp) << 3);
  for (let i = 0; i < d; i++) {
    const row = src + <usize>i * rowBytes;
    for (let j = i; j < d; j++) {
      const value = load<f64>(row + (<usize>j << 3));
      store<f64>(a + panelOffset(i, j, dp), i == j ? value * diagonalScale : value);
    }
  }
}

/**
 * Writes the full symmetric row-major dp×dp matrix S + ridge·I, S a panel matrix with a full
 * diagonal (Σxxᵀ): the matrix a Cholesky factorisation starts from.
 */
export function panelToSymmetric(s: usize, out: usize, d: i32, dp: i32, ridge: f64): void {
  const rowBytes = <usize>dp << 3;
  panelToRowMajor(s, out, d, dp, 1.0);
  for (let i = 0; i < d; i++) {
    const row = out + <usize>i * rowBytes;
    for (let j = i + 1; j < d; j++) {
      store<f64>(out + <usize>j * rowBytes + (<usize>i << 3), load<f64>(row + (<usize>j << 3)));
    }
    const diag = row + (<usize>i << 3);
    store<f64>(diag, load<f64>(diag) + ridge);
  }
}

/** dst += src over whole panel matrices (every stored element, zeros included). */
export function addPanel(dst: usize, src: usize, dp: i32): void {
  const n = panelDoubles(dp);
  for (let j = 0; j < n; j++) {
    const o = <usize>j << 3;
    store<f64>(dst + o, load<f64>(dst + o) + load<f64>(src + o));
  }
}
