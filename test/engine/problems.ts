/**
 * Seeded random problems for the engine tests: contexts, arms, cells and rewards drawn from a
 * fixed generator so every failure reproduces from its seed.
 */
import { SeededRandom } from "../../src/engine/random.js";
import { LinUCBError } from "../../src/engine/errors.js";
import type { EventBatch } from "../../src/engine/types.js";

/** A reproducible stream of events over `cells` × `arms` in dimension `d`. */
export interface Problem {
  readonly d: number;
  readonly arms: string[];
  readonly cells: string[];
  readonly batch: EventBatch & { cells: string[]; arms: string[] };
}

/** Standard normal draw (Box–Muller). */
export function gaussian(random: SeededRandom): number {
  const u = 1 - random.nextFloat();
  const v = random.nextFloat();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * `events` rows: contexts with an intercept of 1 and Gaussian features of mixed scale, rewards
 * linear in the context per arm plus noise, cells and arms uniform.
 */
export function makeProblem(seed: number, d: number, events: number, cellCount = 3, armCount = 4): Problem {
  const random = new SeededRandom(seed);
  const arms = Array.from({ length: armCount }, (_, a) => `arm-${a}`);
  const cells = Array.from({ length: cellCount }, (_, c) => `cell-${c}`);
  const truth = arms.map(() => Float64Array.from({ length: d }, () => gaussian(random) * 0.5));
  const contexts = new Float64Array(events * d);
  const rewards = new Float64Array(events);
  const rowCells: string[] = [];
  const rowArms: string[] = [];
  for (let e = 0; e < events; e++) {
    const a = random.nextBelow(armCount);
    rowArms.push(arms[a]!);
    rowCells.push(cells[random.nextBelow(cellCount)]!);
    let r = 0;
    for (let i = 0; i < d; i++) {
      const x = i === 0 ? 1 : gaussian(random) * (i % 3 === 0 ? 2 : 0.5);
      contexts[e * d + i] = x;
      r += truth[a]![i]! * x;
    }
    rewards[e] = r + 0.1 * gaussian(random);
  }
  return { d, arms, cells, batch: { cells: rowCells, arms: rowArms, contexts, rewards } };
}

/** ‖a − b‖∞ / max(‖b‖∞, tiny): the relative error used by every tolerance in these tests. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / Math.max(scale, 1e-300);
}

/** Row `e` of a batch's contexts. */
export function contextOf(problem: Problem, e: number): Float64Array {
  return problem.batch.contexts.subarray(e * problem.d, (e + 1) * problem.d);
}

/** The builds available on this host, scalar first (the oracle build). */
export { isBuildSupported } from "../../src/engine/kernel.js";

/** The LinUCBError code `call` throws, or undefined when it returns; any other error is rethrown. */
export function codeOf(call: () => unknown): string | undefined {
  try {
    call();
  } catch (error) {
    if (error instanceof LinUCBError) return error.code;
    throw error;
  }
  return undefined;
}
