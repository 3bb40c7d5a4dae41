/**
 * An independent high-precision reference for the refit-accuracy tests: A = λI + Σ x·xᵀ and
 * b = Σ r·x summed exactly in rational arithmetic (every double is an integer times a power of
 * two, so with one common scale everything is a BigInt), then A·θ = b and A·X = I solved exactly by
 * fraction-free (Bareiss) elimination, and only the final quotients rounded to f64.
 */

/** The exact value of a finite double as n·2^−scale (scale fixed, large enough for any input). */
const scale = 1100n;

function toScaled(value: number): bigint {
  if (value === 0) return 0n;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = exponent === 0 ? fraction : fraction | (1n << 52n);
  const shift = BigInt(Math.max(exponent, 1) - 1075) + scale; // value = mantissa·2^(e−1075)
  if (shift < 0n) throw new RangeError(`value ${value} is too small for the exact reference`);
  return sign * (mantissa << shift);
}

/** num/den rounded to the nearest double (to well below f64's precision before the last step). */
function quotient(num: bigint, den: bigint): number {
  if (den < 0n) return quotient(-num, -den);
  if (num === 0n) return 0;
  const negative = num < 0n;
  const n = negative ? -num : num;
  const bits = n.toString(2).length - den.toString(2).length;
  const shift = BigInt(80 - bits);
  const scaled = shift >= 0n ? (n << shift) / den : n / (den << -shift);
  const value = Number(scaled) * 2 ** -Number(shift);
  return negative ? -value : value;
}

/** Solves M·Y = R exactly (M d×d, R d×m, both scaled integers) by Bareiss elimination; Y as doubles. */
function solveExact(matrix: bigint[][], rhs: bigint[][]): number[][] {
  const d = matrix.length;
  const m = rhs[0]!.length;
  const a = matrix.map((row, i) => [...row, ...rhs[i]!]);
  let previous = 1n;
  for (let k = 0; k < d; k++) {
    let pivot = k;
    while (a[pivot]![k] === 0n) pivot++;
    [a[k], a[pivot]] = [a[pivot]!, a[k]!];
    for (let i = k + 1; i < d; i++) {
      for (let j = k + 1; j < d + m; j++) a[i]![j] = (a[i]![j]! * a[k]![k]! - a[i]![k]! * a[k]![j]!) / previous;
      a[i]![k] = 0n;
    }
    previous = a[k]![k]!;
  }
  // Back substitution in rationals: y_i = (r_i − Σ_{j>i} a_ij·y_j) / a_ii, kept as num/den per entry.
  const result: number[][] = Array.from({ length: d }, () => new Array<number>(m).fill(0));
  for (let c = 0; c < m; c++) {
    const nums: bigint[] = new Array(d).fill(0n);
    const dens: bigint[] = new Array(d).fill(1n);
    for (let i = d - 1; i >= 0; i--) {
      // Common denominator of the known y_j (j > i): their product, kept exact.
      let num = a[i]![d + c]!;
      let den = 1n;
      for (let j = i + 1; j < d; j++) {
        num = num * dens[j]! - a[i]![j]! * nums[j]! * den;
        den *= dens[j]!;
      }
      nums[i] = num;
      dens[i] = den * a[i]![i]!;
      const g = gcd(nums[i]!, dens[i]!);
      nums[i] = nums[i]! / g;
      dens[i] = dens[i]! / g;
      result[i]![c] = quotient(nums[i]!, dens[i]!);
    }
  }
  return result;
}

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x === 0n ? 1n : x;
}

/** θ = A⁻¹b and A⁻¹ (row-major) of A = λI + Σ x·xᵀ, b = Σ r·x, exactly, then rounded. */
export function exactRidgeFit(
  contexts: Float64Array,
  rewards: ArrayLike<number>,
  d: number,
  lambda: number,
): { theta: number[]; inverse: number[] } {
  const a: bigint[][] = Array.from({ length: d }, () => new Array<bigint>(d).fill(0n));
  const b: bigint[][] = Array.from({ length: d }, () => [0n]);
  for (let e = 0; e < rewards.length; e++) {
    const x = Array.from({ length: d }, (_, i) => toScaled(contexts[e * d + i]!));
    const r = toScaled(rewards[e]!);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) a[i]![j]! += x[i]! * x[j]!;
      b[i]![0]! += x[i]! * r;
    }
  }
  const ridge = toScaled(lambda) << scale;
  for (let i = 0; i < d; i++) a[i]![i]! += ridge;
  const identity = Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => (i === j ? 1n << (2n * scale) : 0n)),
  );
  const theta = solveExact(a, b).map((row) => row[0]!);
  const inverse = solveExact(a, identity).flat();
  return { theta, inverse };
}

/** θ = A⁻¹b for a given f64 A (row-major) and b, solved exactly, then rounded. */
export function exactSolveOf(matrix: ArrayLike<number>, b: ArrayLike<number>, d: number): number[] {
  const a = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => toScaled(matrix[i * d + j]!)));
  return solveExact(
    a,
    Array.from({ length: d }, (_, i) => [toScaled(b[i]!)]),
  ).map((row) => row[0]!);
}
