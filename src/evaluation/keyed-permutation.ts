/**
 * A seeded pseudo-random permutation of [0, N) evaluated one index at a time in O(1) memory: a
 * four-round balanced Feistel network over the smallest even number of bits that holds N, with
 * cycle-walking (an image ≥ N is permuted again until it lands in [0, N); the Feistel domain is less
 * than 4N, so that takes under 4 steps on average). It lets a stream of events be dealt into
 * resampling groups without knowing how many there will be — only an upper bound N — and without
 * keeping an n-long shuffle: event i goes to group π(i) mod G (src/evaluation/resampling-groups.ts).
 *
 * Four rounds of a well-mixed round function make a Feistel network indistinguishable from a random
 * permutation for this purpose (Luby–Rackoff); the round function is a 32-bit integer hash of the
 * half and the round's key (the finaliser of MurmurHash3), so it runs identically everywhere.
 */
import { createSeededRandom } from "./random.js";
import { describeValue } from "./validate.js";

/** The largest domain: 2³² (two 16-bit halves). */
const MAX_DOMAIN = 2 ** 32;

/** A seeded permutation of [0, size). */
export class KeyedPermutation {
  private readonly keys: Uint32Array;
  /** Bits of one half of the Feistel domain. */
  private readonly halfBits: number;
  private readonly halfMask: number;
  private readonly halfSize: number;

  /**
   * @param size N: the permutation is of [0, N); a positive integer ≤ 2³².
   * @param seed Unsigned 32-bit seed of the round keys.
   */
  constructor(
    readonly size: number,
    seed: number,
  ) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_DOMAIN) {
      throw new RangeError(`\`size\` must be an integer in [1, 2³²]; received ${describeValue(size)}`);
    }
    let bits = 2;
    while (2 ** bits < size) bits += 2;
    this.halfBits = bits / 2;
    this.halfSize = 2 ** this.halfBits;
    this.halfMask = this.halfSize - 1;
    const random = createSeededRandom(seed);
    this.keys = Uint32Array.from({ length: 4 }, () => random.nextUint32());
  }

  /** π(index) for an index in [0, size). */
  at(index: number): number {
    let x = index;
    do x = this.once(x);
    while (x >= this.size);
    return x;
  }

  /** One pass of the Feistel network over the whole (power of 4) domain. */
  private once(x: number): number {
    let left = Math.floor(x / this.halfSize);
    let right = x & this.halfMask;
    for (const key of this.keys) {
      const next = (left ^ mix(right ^ key)) & this.halfMask;
      left = right;
      right = next;
    }
    return left * this.halfSize + right;
  }
}

/** MurmurHash3's 32-bit finaliser: every input bit affects every output bit. */
function mix(value: number): number {
  let z = value >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
