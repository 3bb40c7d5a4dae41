/**
 * The synthetic world's own seeded random numbers: xoshiro128** (Blackman & Vigna) seeded through
 * splitmix32. Independent of the engine's exploration stream on purpose: the answer key and the
 * logged data must not change when the engine's random stream does.
 */

/** One step of splitmix32: a well-mixed 32-bit value from a state; returns [value, next state]. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [(z ^ (z >>> 16)) >>> 0, next];
}

/**
 * A seed for an independent stream, derived from a user seed and a fixed salt per purpose, so that
 * e.g. the world's parameters and the logged outcomes of one seed do not share random numbers.
 */
export function deriveSeed(seed: number, salt: number): number {
  const [mixed] = splitmix32((seed ^ Math.imul(salt >>> 0, 0x27d4eb2f)) >>> 0);
  return mixed;
}

/** 2⁻³²: turns a uint32 into a float in [0, 1). */
const UINT32_TO_UNIT = 1 / 4294967296;

/**
 * xoshiro128** over four uint32 words. Fast, 2¹²⁸ − 1 period, good enough statistically for
 * simulation (not for cryptography). All draws are reproducible from the seed.
 */
export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** @param seed any unsigned 32-bit integer; the four state words are filled by splitmix32. */
  constructor(seed: number) {
    let state = seed >>> 0;
    let value: number;
    [value, state] = splitmix32(state);
    this.s0 = value;
    [value, state] = splitmix32(state);
    this.s1 = value;
    [value, state] = splitmix32(state);
    this.s2 = value;
    [value, state] = splitmix32(state);
    this.s3 = value;
    // The all-zero state is the one fixed point of xoshiro; splitmix32 cannot give four zeros in a
    // row, but the guard documents (and enforces) the invariant.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next uniform unsigned 32-bit integer. */
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

  /** A uniform float in [0, 1) with 32 bits of resolution (plenty for Bernoulli draws here). */
  nextFloat(): number {
    return this.nextUint32() * UINT32_TO_UNIT;
  }

  /** A uniform float in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.nextFloat();
  }

  /** A uniform integer in [0, count); `count` must be a positive integer below 2³². */
  nextInt(count: number): number {
    // Multiply-shift (Lemire) without the rejection step: the bias is below count / 2³², which is
    // < 10⁻⁵ for every count used here.
    return Math.floor(this.nextFloat() * count);
  }
}

function rotl(value: number, shift: number): number {
  return (value << shift) | (value >>> (32 - shift));
}
