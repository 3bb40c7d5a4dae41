/**
 * The engine's seeded random stream: xoshiro128** (Blackman & Vigna), seeded through splitmix32.
 * 32-bit integer arithmetic only, so it runs identically in every JavaScript engine; its four-word
 * state is saved in snapshots so that a restored engine continues the same stream.
 */

/** A small, fast, reproducible random number generator. */
export class SeededRandom {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** Seeds the stream from an unsigned 32-bit integer. */
  constructor(seed: number) {
    // splitmix32 spreads a small seed over 128 bits of state (xoshiro must not start at all-zero).
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
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

  /** A uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** A uniform integer in [0, n) (n ≤ 2³², so the float-to-int mapping is uniform to 2⁻²¹ or better). */
  nextInt(n: number): number {
    return Math.floor(this.nextFloat() * n);
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
