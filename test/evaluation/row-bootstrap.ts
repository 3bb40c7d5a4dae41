// The row bootstrap as it was before resampling groups (src/evaluation/resampling-groups.ts): every
// resample draws n event indices and recomputes each statistic over them — resamples × rows work.
// Kept here, outside src, as the reference the grouped bootstrap is tested against.
import { quantile } from "../../src/evaluation/bootstrap.js";
import { createSeededRandom } from "../../src/evaluation/index.js";

/** A ratio Σu / Σv (v = 1 when undefined). */
export interface RowRatio {
  readonly u: Float64Array;
  readonly v?: Float64Array | undefined;
}

function sums(ratio: RowRatio, indices: Int32Array | null, n: number): [number, number] {
  let top = 0;
  let bottom = ratio.v === undefined ? n : 0;
  for (let j = 0; j < n; j++) {
    const i = indices === null ? j : indices[j]!;
    top += ratio.u[i]!;
    if (ratio.v !== undefined) bottom += ratio.v[i]!;
  }
  return [top, bottom];
}

/** The row bootstrap's resampled ratios (NaN where the denominator was 0). */
export function rowBootstrapRatios(ratio: RowRatio, resamples: number, seed: number): Float64Array {
  const n = ratio.u.length;
  const random = createSeededRandom(seed);
  const indices = new Int32Array(n);
  const out = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    random.fillBelow(indices, n);
    const [top, bottom] = sums(ratio, indices, n);
    out[b] = bottom === 0 ? Number.NaN : top / bottom;
  }
  return out;
}

function differenceAndError(c: RowRatio, i: RowRatio, indices: Int32Array | null, n: number) {
  const [cu, cv] = sums(c, indices, n);
  const [iu, iv] = sums(i, indices, n);
  if (cv === 0 || iv === 0) return { delta: Number.NaN, se: Number.NaN };
  const thetaC = cu / cv;
  const thetaI = iu / iv;
  const meanC = cv / n;
  const meanI = iv / n;
  let squares = 0;
  for (let j = 0; j < n; j++) {
    const e = indices === null ? j : indices[j]!;
    const candidateTerm = (c.u[e]! - thetaC * (c.v === undefined ? 1 : c.v[e]!)) / meanC;
    const psi = candidateTerm - (i.u[e]! - thetaI * (i.v === undefined ? 1 : i.v[e]!)) / meanI;
    squares += psi * psi;
  }
  return { delta: thetaC - thetaI, se: Math.sqrt(squares) / n };
}

/** The row bootstrap's paired bounds on Δ, as pairedDifference computed them before. */
export function rowPairedBounds(c: RowRatio, i: RowRatio, alpha: number, resamples: number, seed: number) {
  const n = c.u.length;
  const full = differenceAndError(c, i, null, n);
  const deltas = new Float64Array(resamples);
  const ts = new Float64Array(resamples);
  let kept = 0;
  const random = createSeededRandom(seed);
  const indices = new Int32Array(n);
  for (let b = 0; b < resamples; b++) {
    random.fillBelow(indices, n);
    const r = differenceAndError(c, i, indices, n);
    if (Number.isNaN(r.delta)) continue;
    deltas[kept] = r.delta;
    const gap = r.delta - full.delta;
    ts[kept] = r.se > 0 ? gap / r.se : gap === 0 ? 0 : gap * Infinity;
    kept++;
  }
  const sortedDeltas = deltas.subarray(0, kept).sort();
  const sortedTs = ts.subarray(0, kept).sort();
  return {
    difference: full.delta,
    standardError: full.se,
    deltas: sortedDeltas,
    bounds: {
      studentized: full.delta - quantile(sortedTs, 1 - alpha) * full.se,
      percentile: quantile(sortedDeltas, alpha),
      basic: 2 * full.delta - quantile(sortedDeltas, 1 - alpha),
    },
  };
}
