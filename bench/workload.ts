/**
 * The fixed benchmark workload (issue 3), so that figures compare across runs and with other
 * implementations: disjoint LinUCB, λ = 1, α = 1, K = 8 arms, unit-norm random contexts, uniform
 * random arms and cells. Rewards are Bernoulli with p = (1 + θ*ₐ·x)/2 for a planted unit vector θ*ₐ
 * per arm, so that replay has something to learn; the timed work does not depend on their values.
 *
 * Every block is generated up front, so that the timed loops only read pre-built typed arrays (and,
 * for per-event APIs that take ids and a context array, pre-built id strings and subarray views).
 */
import { BenchRandom } from "./random.js";

/** Arms per cell (K). */
export const armCount = 8;
/** Exploration weight α of every implementation. */
export const alpha = 1;
/** Ridge λ of every implementation. */
export const lambda = 1;

/** One problem size: feature dimension and number of cells. */
export interface ProblemShape {
  /** Feature dimension d. */
  readonly d: number;
  /** Number of cells, each with its own K models. */
  readonly cells: number;
}

/**
 * A pre-generated block of logged events, in every form an implementation's API may want it: row i
 * is (cell, arm, context, reward), with uniform cell and arm (uniform logging, propensity 1/K).
 */
export interface EventBlock {
  /** Number of events. */
  readonly length: number;
  /** Feature dimension d. */
  readonly d: number;
  /** Cell index per event (cells are created in index order, so index = creation order). */
  readonly cellIndices: Int32Array;
  /** Logged arm index per event. */
  readonly armIndices: Int32Array;
  /** Model index per event: cell·K + arm. */
  readonly models: Int32Array;
  /** Cell id per event (shared strings from {@link cellIds}, not fresh allocations). */
  readonly cellIds: readonly string[];
  /** Logged arm id per event (shared strings from {@link armIds}). */
  readonly armIds: readonly string[];
  /** Unit-norm contexts, row-major, `length × d`. */
  readonly contexts: Float64Array;
  /** Row i of `contexts` as its own view, for APIs that take one context array per event. */
  readonly contextViews: readonly Float64Array[];
  /** Observed reward per event, 0 or 1. */
  readonly rewards: Float64Array;
}

/** A burst of contexts for one cell: what a batched select scores in one call. */
export interface Burst {
  /** Cell index. */
  readonly cell: number;
  /** Cell id. */
  readonly cellId: string;
  /** Contexts, row-major, `count × d`. */
  readonly contexts: Float64Array;
  /** Number of contexts. */
  readonly count: number;
}

/** Arm ids, "arm-0" … "arm-7". */
export const armIds: readonly string[] = Array.from({ length: armCount }, (_, a) => `arm-${a}`);

/** Cell ids "cell-0" … for `count` cells. */
export function cellIds(count: number): string[] {
  return Array.from({ length: count }, (_, c) => `cell-${c}`);
}

/** Writes a uniform random unit vector (a normalised Gaussian) into `out[offset … offset + d)`. */
function unitVector(random: BenchRandom, out: Float64Array, offset: number, d: number): void {
  let norm = 0;
  for (let i = 0; i < d; i++) {
    const value = random.gaussian();
    out[offset + i] = value;
    norm += value * value;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < d; i++) out[offset + i]! *= scale;
}

/** The planted reward direction θ*ₐ of each arm (unit vectors), from its own seed. */
function plantedTruth(d: number, seed: number): Float64Array {
  const random = new BenchRandom(seed ^ 0x5eed);
  const truth = new Float64Array(armCount * d);
  for (let a = 0; a < armCount; a++) unitVector(random, truth, a * d, d);
  return truth;
}

/** Generates `length` events of the workload for `shape`, reproducibly from `seed`. */
export function generateEvents(shape: ProblemShape, length: number, seed: number): EventBlock {
  const { d, cells } = shape;
  const random = new BenchRandom(seed);
  const truth = plantedTruth(d, 1);
  const ids = cellIds(cells);
  const cellIndices = new Int32Array(length);
  const armIndices = new Int32Array(length);
  const models = new Int32Array(length);
  const rowCells: string[] = new Array<string>(length);
  const rowArms: string[] = new Array<string>(length);
  const contexts = new Float64Array(length * d);
  const rewards = new Float64Array(length);
  for (let e = 0; e < length; e++) {
    const cell = random.int(cells);
    const arm = random.int(armCount);
    cellIndices[e] = cell;
    armIndices[e] = arm;
    models[e] = cell * armCount + arm;
    rowCells[e] = ids[cell]!;
    rowArms[e] = armIds[arm]!;
    unitVector(random, contexts, e * d, d);
    let mean = 0;
    for (let i = 0; i < d; i++) mean += truth[arm * d + i]! * contexts[e * d + i]!;
    rewards[e] = random.next() < (1 + mean) / 2 ? 1 : 0;
  }
  const contextViews = Array.from({ length }, (_, e) => contexts.subarray(e * d, e * d + d));
  return {
    length,
    d,
    cellIndices,
    armIndices,
    models,
    cellIds: rowCells,
    armIds: rowArms,
    contexts,
    contextViews,
    rewards,
  };
}

/**
 * Cuts the contexts of `block` into bursts of `size` consecutive contexts, each assigned to the
 * cell of its first event: a stream of requests served in bursts, one cell per burst.
 */
export function toBursts(block: EventBlock, size: number): Burst[] {
  const bursts: Burst[] = [];
  const d = block.d;
  for (let start = 0; start < block.length; start += size) {
    const count = Math.min(size, block.length - start);
    const cell = block.cellIndices[start]!;
    bursts.push({
      cell,
      cellId: block.cellIds[start]!,
      contexts: block.contexts.slice(start * d, (start + count) * d),
      count,
    });
  }
  return bursts;
}
