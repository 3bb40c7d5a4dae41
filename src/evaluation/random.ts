/**
 * The seeded random stream of the evaluation layer: xoshiro128** (Blackman & Vigna) seeded through
 * splitmix32. Its own copy, not the engine's, so that evaluation stays independent of the engine
 * implementation and its results do not change when the engine's stream does.
 */
import { checkSeed } from "./validate.js";

/** A small, fast, reproducible random number generator (32-bit integer arithmetic only). */
export interface SeededRandom {
  /** The next unsigned 32-bit integer. */
  nextUint32(): number;
  /** A uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number;
  /**
   * A uniform integer in [0, n). Maps 32 random bits by multiplication, so the bias is at most
   * n / 2³² — below 10⁻³ for any event count that fits in memory, far under bootstrap noise.
   */
  nextBelow(n: number): number;
  /**
   * Fills `out` with uniform integers in [0, n): the same numbers as `out.length` calls of
   * `nextBelow(n)`, in a tight loop (the bootstrap's hot path).
   */
  fillBelow(out: Int32Array, n: number): void;
}

/**
 * Creates a seeded random stream.
 * @param seed An unsigned 32-bit integer; the same seed always gives the same stream.
 */
export function createSeededRandom(seed: number): SeededRandom {
  checkSeed(seed, "seed");
  // splitmix32 spreads a small seed over 128 bits of state (xoshiro must not start at all-zero).
  let x = seed >>> 0;
  const splitmix = (): number => {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) | 0;
  };
  let s0 = splitmix();
  let s1 = splitmix();
  let s2 = splitmix();
  let s3 = splitmix();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  const fillBelow = (out: Int32Array, n: number): void => {
    // xoshiro128** inlined over local copies of the state: several times faster than a call per draw.
    let a = s0;
    let b = s1;
    let c = s2;
    let d = s3;
    const scale = n / 4294967296;
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
    s0 = a;
    s1 = b;
    s2 = c;
    s3 = d;
  };
  return {
    nextUint32,
    fillBelow,
    nextFloat: () => ((nextUint32() >>> 5) * 67108864 + (nextUint32() >>> 6)) / 9007199254740992,
    nextBelow: (n: number) => Math.floor(nextUint32() * (n / 4294967296)),
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

