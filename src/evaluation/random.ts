/**
 * The seeded random stream of the evaluation layer: the project's xoshiro128** generator
 * (src/engine/random.ts) in an instance of its own, so bootstrap draws depend only on the seed the
 * caller gives, never on the engine's exploration stream.
 */
import { SeededRandom } from "../engine/random.js";
import { checkSeed } from "./validate.js";

export type { SeededRandom } from "../engine/random.js";

/**
 * Creates a seeded random stream (`nextUint32`, `nextFloat` with 53 bits, `nextBelow(n)`,
 * `fillBelow(out, n)`).
 * @param seed An unsigned 32-bit integer; the same seed always gives the same stream.
 */
export function createSeededRandom(seed: number): SeededRandom {
  checkSeed(seed, "seed");
  return new SeededRandom(seed);
}
