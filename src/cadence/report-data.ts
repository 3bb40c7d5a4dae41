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
 */
import type { LinUCBEngine } from "../engine/types.js";
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
  /** The mean context (a sum until {@link cellTotals} divides it). */
  readonly mean: Float64Array;
  /** Per model: logged requests, Σw and Σw² of their weights 1/propensity. */
  readonly logged: Float64Array;
  readonly weightSum: Float64Array;
  readonly weightSquares: Float64Array;
}

function cellTotals(slice: HeldOutSlice): Map<string, CellTotals> {
  const { dimension: d, actionCount: k, contexts, actions, propensities } = slice.events;
  const byCell = new Map<string, CellTotals>();
  slice.cells.forEach((cell, i) => {
    let t = byCell.get(cell);
    if (t === undefined) {
      t = {
        requests: 0,
        mean: new Float64Array(d),
        logged: new Float64Array(k),
        weightSum: new Float64Array(k),
        weightSquares: new Float64Array(k),
      };
      byCell.set(cell, t);
    }
    t.requests++;
    for (let j = 0; j < d; j++) t.mean[j] = (t.mean[j] as number) + (contexts[i * d + j] as number);
    const action = actions[i] as number;
    const weight = 1 / (propensities[i] as number);
    t.logged[action] = (t.logged[action] as number) + 1;
    t.weightSum[action] = (t.weightSum[action] as number) + weight;
    t.weightSquares[action] = (t.weightSquares[action] as number) + weight * weight;
  });
  for (const t of byCell.values()) for (let j = 0; j < d; j++) t.mean[j] = (t.mean[j] as number) / t.requests;
  return byCell;
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

/** Shares of `choices` (action indices in [0, k)). */
function shares(choices: Int32Array, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (const action of choices) counts[action] = (counts[action] as number) + 1;
  return counts.map((count) => (choices.length === 0 ? 0 : count / choices.length));
}

/** The routing summary of a run; see the module comment. */
export function routingSummary(input: RoutingInput): RoutingSummary {
  const { slice, candidate, incumbent } = input;
  const k = slice.events.actionCount;
  const totals = cellTotals(slice);
  const candidateCells = greedyChoices(candidate, totals);
  const incumbentCells = incumbent === "uniform" ? null : greedyChoices(incumbent, totals);
  const cells = [...totals.keys()].sort().map((cell): CellRouting => {
    const t = totals.get(cell)!;
    return {
      cell,
      requests: t.requests,
      candidate: candidateCells.get(cell)!,
      incumbent: incumbentCells?.get(cell) ?? null,
      logged: Array.from(t.logged),
      ess: Array.from(t.weightSum, (sum, a) => kishEss(sum, t.weightSquares[a] as number)),
    };
  });
  return {
    models: slice.events.actionIds ?? Array.from({ length: k }, (_, a) => String(a)),
    requests: slice.events.length,
    traffic: {
      logging: shares(slice.events.actions, k),
      incumbent:
        incumbent === "uniform" ? new Array<number>(k).fill(1 / k) : shares(policyChoices(incumbent, slice), k),
      candidate: shares(policyChoices(candidate, slice), k),
    },
    cells,
  };
}
