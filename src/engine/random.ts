/**
 * The project's seeded random stream: xoshiro128** (Blackman & Vigna), seeded through splitmix32.
 * 32-bit integer arithmetic only, so it runs identically in every JavaScript engine. One
 * implementation serves every layer; each use seeds its own instance (the engine's exploration,
 * the synthetic world, the evaluation bootstrap), so their streams stay independent. The engine
 * saves the four-word state in snapshots so that a restored engine continues the same stream.
 */

/** One step of splitmix32: a well-mixed 32-bit value from a state; returns [value, next state]. */
export function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [(z ^ (z >>> 16)) >>> 0, next];
}

/** 2⁻³²: turns a uint32 into a float in [0, 1). */
const uint32ToUnit = 1 / 4294967296;

/** A small, fast, reproducible random number generator (not for cryptography). */
export class SeededRandom {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** Seeds the stream from an unsigned 32-bit integer (splitmix32 fills the 128-bit state). */
  constructor(seed: number) {
    let state = seed >>> 0;
    let value: number;
    [value, state] = splitmix32(state);
    this.s0 = value;
    [value, state] = splitmix32(state);
    this.s1 = value;
    [value, state] = splitmix32(state);
    this.s2 = value;
    [value] = splitmix32(state);
    this.s3 = value;
    // The all-zero state is xoshiro's one fixed point; splitmix32 cannot produce it, but guard it.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits (two draws). */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** A uniform double in [0, 1) with 32 random bits (one draw): enough for simulation draws. */
  nextFloat32(): number {
    return this.nextUint32() * uint32ToUnit;
  }

  /** A uniform double in [low, high) from one draw. */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.nextFloat32();
  }

  /**
   * A uniform integer in [0, n), n ≤ 2³², from one draw by multiplication: the bias is at most
   * n / 2³², negligible for the arm counts, indices and event counts it is used for.
   */
  nextBelow(n: number): number {
    return Math.floor(this.nextUint32() * (n * uint32ToUnit));
  }

  /**
   * Fills `out` with uniform integers in [0, n): the same numbers as `out.length` calls of
   * `nextBelow(n)`, with the generator inlined over local copies of the state (the bootstrap's
   * hot path is several times faster this way).
   */
  fillBelow(out: Int32Array, n: number): void {
    let a = this.s0;
    let b = this.s1;
    let c = this.s2;
    let d = this.s3;
    const scale = n * uint32ToUnit;
    for (let i = 0; i < out.length; i++) {
      const x = Math.imul(b, 5);
      const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
      const t = b << 9;
      c ^= a;
      d ^= b;
      b ^= c;
      a ^= d;
      c ^= t;
      d = (d << 11) | (d >>> 21);
      out[i] = Math.floor(result * scale);
    }
    this.s0 = a;
    this.s1 = b;
    this.s2 = c;
    this.s3 = d;
  }

  /** The four state words, for snapshots. */
  getState(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  /** Restores state saved by {@link getState}. */
  setState(state: readonly number[]): void {
    if (state.length !== 4 || state.every((word) => word === 0)) {
      throw new RangeError(`random state must be four 32-bit words, not all zero; received [${state.join(", ")}]`);
    }
    this.s0 = state[0]! | 0;
    this.s1 = state[1]! | 0;
    this.s2 = state[2]! | 0;
    this.s3 = state[3]! | 0;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
