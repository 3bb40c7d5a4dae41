/**
 * The routing summary: where each policy sends the held-out requests, for the report pages (the
 * routing map and the traffic-shift bars). The estimates say how much reward a policy would get;
 * this says where its traffic would go.
 *
 * - The new policy is the one the run records (and, in production, promotes): the refit on every
 *   row. The incumbent is the policy it was compared with: the active policy, or the uniform policy.
 * - Per cell, a policy's choice is its greedy choice at the cell's mean held-out context:
 *   argmax over its arms of θᵀx̄ (θ is linear, so this is also its mean greedy estimate over the
 *   cell's requests; the convergence report's definition). The uniform policy has no choice.
 * - Traffic is the share of held-out requests per model: for the logging policy the logged actions,
 *   for an engine its exploration-free UCB choice on each request (the target the estimators
 *   score), for the uniform policy 1/K each.
 * - Support per (cell, model): the held-out requests of the cell the logging policy sent to the
 *   model, and the Kish effective sample size (Σw)²/Σw² of the weights w = 1/propensity of those
 *   requests — the evidence the log holds for "route this cell to this model" (0 when none).
 * - Streaming: the summary is summed batch by batch as the held-out slice is read
 *   ({@link RoutingCollector}); only per-cell sums are kept. The new policy exists only once every
 *   row is read, so its traffic is counted on a uniform sample of the requests (a seeded reservoir
 *   of {@link ROUTING_SAMPLE_VALUES} context values, 65,536 requests at d = 16): exact up to that
 *   many requests; beyond, a share's standard error is at most 0.2 percentage points at d = 16 (±0.4 at 95%).
 */
import type { LinUCBEngine } from "../engine/types.js";
import { createLoggedEvents, createSeededRandom, type SeededRandom } from "../evaluation/index.js";
import type { HeldOutSlice } from "./held-out-slice.js";
import { policyChoices } from "./offline-evaluation.js";

/** One cell's routing. */
export interface CellRouting {
  readonly cell: string;
  /** Held-out requests of the cell. */
  readonly requests: number;
  /** The new policy's greedy choice at the cell's mean held-out context. */
  readonly candidate: string;
  /** The incumbent's; null when the incumbent is the uniform policy (it has no choice). */
  readonly incumbent: string | null;
  /** Held-out requests the logging policy sent to each model, in the order of the summary's `models`. */
  readonly logged: readonly number[];
  /** Effective sample size of routing the cell to each model (see the module comment). */
  readonly ess: readonly number[];
}

/** Share of the held-out requests each policy sends to each model, in the order of `models`. */
export interface TrafficShares {
  readonly logging: readonly number[];
  readonly incumbent: readonly number[];
  readonly candidate: readonly number[];
}

/** Where each policy routes the held-out requests; see the module comment. JSON-able. */
export interface RoutingSummary {
  /** The models (the evaluation's action space), in the order of the traffic shares. */
  readonly models: readonly string[];
  /** Held-out requests. */
  readonly requests: number;
  readonly traffic: TrafficShares;
  /** One entry per cell of the held-out slice, sorted by cell id. */
  readonly cells: readonly CellRouting[];
}

/** The engines and the slice the summary is computed from. */
export interface RoutingInput {
  /** The policy the run records (the refit on every row). */
  readonly candidate: LinUCBEngine;
  readonly incumbent: LinUCBEngine | "uniform";
  readonly slice: HeldOutSlice;
}

/** What one cell's held-out requests add up to. */
interface CellTotals {
  requests: number;
  /** The sum of the cell's held-out contexts ({@link meanContexts} divides it). */
  readonly contextSum: Float64Array;
  /** Per model: logged requests, Σw and Σw² of their weights 1/propensity. */
  readonly logged: Float64Array;
  readonly weightSum: Float64Array;
  readonly weightSquares: Float64Array;
}

/** Adds one batch's requests to the per-cell totals. */
function addCellTotals(byCell: Map<string, CellTotals>, slice: HeldOutSlice): void {
  const { dimension: d, actionCount: k, contexts, actions, propensities } = slice.events;
  slice.cells.forEach((cell, i) => {
    let t = byCell.get(cell);
    if (t === undefined) {
      t = {
        requests: 0,
        contextSum: new Float64Array(d),
        logged: new Float64Array(k),
        weightSum: new Float64Array(k),
        weightSquares: new Float64Array(k),
      };
      byCell.set(cell, t);
    }
    t.requests++;
    for (let j = 0; j < d; j++) t.contextSum[j] = (t.contextSum[j] as number) + (contexts[i * d + j] as number);
    const action = actions[i] as number;
    const weight = 1 / (propensities[i] as number);
    t.logged[action] = (t.logged[action] as number) + 1;
    t.weightSum[action] = (t.weightSum[action] as number) + weight;
    t.weightSquares[action] = (t.weightSquares[action] as number) + weight * weight;
  });
}

function kishEss(sum: number, squares: number): number {
  return squares > 0 ? (sum * sum) / squares : 0;
}

/**
 * The greedy choice (argmax θᵀx, ties to the first arm) of `engine` at one context per cell. Read-only: never creates a
 * cell.
 */
function greedyChoices(
  engine: LinUCBEngine,
  contexts: ReadonlyMap<string, { mean: Float64Array }>,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const [cell, { mean }] of contexts) {
    const rewards = engine.expectedRewardsMany(cell, mean);
    let best = 0;
    for (let a = 1; a < engine.arms.length; a++) if ((rewards[a] as number) > (rewards[best] as number)) best = a;
    out.set(cell, engine.arms[best] as string);
  }
  return out;
}

/**
 * Each cell's mean held-out context, in new arrays: the totals stay sums, so a collector can be
 * finished more than once (each time over everything added so far) and go on collecting.
 */
function meanContexts(totals: ReadonlyMap<string, CellTotals>): Map<string, { mean: Float64Array }> {
  const means = new Map<string, { mean: Float64Array }>();
  for (const [cell, t] of totals) means.set(cell, { mean: t.contextSum.map((sum) => sum / t.requests) });
  return means;
}

/** Adds the action indices of `choices` to `counts`. */
function addCounts(counts: Float64Array, choices: ArrayLike<number>): void {
  for (let i = 0; i < choices.length; i++) counts[choices[i]!]!++;
}

/** Shares of counted choices among `total`. */
function shares(counts: Float64Array, total: number): number[] {
  return Array.from(counts, (count) => (total === 0 ? 0 : count / total));
}

/**
 * Context values the routing sample keeps: 2²⁰ (8 MB), i.e. 65,536 requests at d = 16. A share's
 * standard error on that many requests is at most 0.2 percentage points (√(0.25/65,536); ±0.4 at 95%).
 */
export const ROUTING_SAMPLE_VALUES = 2 ** 20;

/** Seed offset of the sample's stream, apart from the bootstrap's. */
const SAMPLE_STREAM = 0x68e31da4;

/**
 * A uniform random sample of at most `capacity` requests of a stream (reservoir sampling, Algorithm
 * R, seeded): every request of the first `capacity` is kept; the t-th after replaces a random slot
 * with probability capacity/t. All of them, in order, when the stream is no longer than `capacity`.
 */
class RequestSample {
  private readonly contexts: Float64Array;
  private readonly cells: string[] = [];
  private readonly actions: Int32Array;
  private seen = 0;
  private readonly random: SeededRandom;

  constructor(
    private readonly capacity: number,
    private readonly dimension: number,
    seed: number,
  ) {
    this.contexts = new Float64Array(capacity * dimension);
    this.actions = new Int32Array(capacity);
    this.random = createSeededRandom((seed ^ SAMPLE_STREAM) >>> 0);
  }

  add(slice: HeldOutSlice): void {
    const d = this.dimension;
    for (let i = 0; i < slice.events.length; i++) {
      const slot = this.seen < this.capacity ? this.seen : this.random.nextBelow(this.seen + 1);
      this.seen++;
      if (slot >= this.capacity) continue;
      this.contexts.set(slice.events.contexts.subarray(i * d, i * d + d), slot * d);
      this.cells[slot] = slice.cells[i]!;
      this.actions[slot] = slice.events.actions[i]!;
    }
  }

  /** The sample as a slice (rewards and propensities are not kept: only contexts and cells are scored). */
  slice(actionIds: readonly string[]): HeldOutSlice {
    const n = Math.min(this.seen, this.capacity);
    const events = createLoggedEvents({
      actions: Array.from(this.actions.subarray(0, n), (action) => actionIds[action]!),
      actionIds,
      rewards: new Float64Array(n),
      propensities: new Float64Array(n).fill(1),
      contexts: this.contexts.subarray(0, n * this.dimension),
      dimension: this.dimension,
    });
    return { events, cells: this.cells.slice(0, n) };
  }
}

/** Sums the routing summary batch by batch; see the module comment. */
export class RoutingCollector {
  private readonly totals = new Map<string, CellTotals>();
  private readonly logged: Float64Array;
  private readonly incumbentCounts: Float64Array;
  private readonly sample: RequestSample;
  private requests = 0;

  /**
   * @param models The action space.
   * @param seed The run's seed (the sample's stream is derived from it).
   */
  constructor(
    private readonly models: readonly string[],
    dimension: number,
    seed: number,
    sampleValues = ROUTING_SAMPLE_VALUES,
  ) {
    this.logged = new Float64Array(models.length);
    this.incumbentCounts = new Float64Array(models.length);
    this.sample = new RequestSample(Math.max(1, Math.floor(sampleValues / Math.max(1, dimension))), dimension, seed);
  }

  /** Requests added so far. */
  get length(): number {
    return this.requests;
  }

  /** Adds a batch, with the incumbent's choices on it (null for the uniform policy). */
  add(slice: HeldOutSlice, incumbentChoices: Int32Array | null): void {
    addCellTotals(this.totals, slice);
    addCounts(this.logged, slice.events.actions);
    if (incumbentChoices !== null) addCounts(this.incumbentCounts, incumbentChoices);
    this.sample.add(slice);
    this.requests += slice.events.length;
  }

  /** The summary, with `candidate` the policy the run records and `incumbent` the one it was compared with. */
  finish(candidate: LinUCBEngine, incumbent: LinUCBEngine | "uniform"): RoutingSummary {
    const k = this.models.length;
    const means = meanContexts(this.totals);
    const candidateCells = greedyChoices(candidate, means);
    const incumbentCells = incumbent === "uniform" ? null : greedyChoices(incumbent, means);
    const cells = [...this.totals.keys()].sort().map((cell): CellRouting => {
      const t = this.totals.get(cell)!;
      return {
        cell,
        requests: t.requests,
        candidate: candidateCells.get(cell)!,
        incumbent: incumbentCells?.get(cell) ?? null,
        logged: Array.from(t.logged),
        ess: Array.from(t.weightSum, (sum, a) => kishEss(sum, t.weightSquares[a] as number)),
      };
    });
    const sampled = this.sample.slice(this.models);
    const candidateCounts = new Float64Array(k);
    addCounts(candidateCounts, policyChoices(candidate, sampled));
    return {
      models: this.models,
      requests: this.requests,
      traffic: {
        logging: shares(this.logged, this.requests),
        incumbent:
          incumbent === "uniform" ? new Array<number>(k).fill(1 / k) : shares(this.incumbentCounts, this.requests),
        candidate: shares(candidateCounts, sampled.events.length),
      },
      cells,
    };
  }
}

/** The routing summary of a slice given whole (one batch); see the module comment. */
export function routingSummary(input: RoutingInput): RoutingSummary {
  const { slice, candidate, incumbent } = input;
  const k = slice.events.actionCount;
  const models = slice.events.actionIds ?? Array.from({ length: k }, (_, a) => String(a));
  const collector = new RoutingCollector(models, slice.events.dimension, 0);
  collector.add(slice, incumbent === "uniform" ? null : policyChoices(incumbent, slice));
  return collector.finish(candidate, incumbent);
}
