/**
 * The synthetic world's seeded random numbers: the project's xoshiro128** generator
 * (src/engine/random.ts), in instances of the world's own, seeded through {@link deriveSeed} so
 * the world's parameters and the logged outcomes of one seed use independent streams, and neither
 * depends on the engine's exploration stream. Draws use 32-bit floats (`nextFloat32`).
 */
import { splitmix32 } from "../engine/random.js";

export { SeededRandom } from "../engine/random.js";

/**
 * A seed for an independent stream, derived from a user seed and a fixed salt per purpose, so that
 * e.g. the world's parameters and the logged outcomes of one seed do not share random numbers.
 */
export function deriveSeed(seed: number, salt: number): number {
  const [mixed] = splitmix32((seed ^ Math.imul(salt >>> 0, 0x27d4eb2f)) >>> 0);
  return mixed;
}
