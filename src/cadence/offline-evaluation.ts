/**
 * The replay step: the candidate and the incumbent evaluated offline on the same held-out slice,
 * with every estimator of src/evaluation (replay, IPS, SNIPS, DR, DM), the same bootstrap seed and
 * the same reward model — so their numbers differ only by the policy.
 *
 * - A policy is evaluated as the UCB argmax it would serve (a one-hot target per event), scored in
 *   each event's own cell; cells it has never seen get its prior (the pooled fit, with pooling).
 * - DR's reward model q̂(x, a) is the candidate's θ_aᵀx (expectedRewardsMany), fitted on the training
 *   slice only: never on the events it is evaluated on.
 * - The logged value — the mean observed reward of the slice — is what the logging policy got.
 * - The paired comparison (what the production gate decides from): Δ = V(candidate) − V(incumbent)
 *   with the gate's estimator, one bootstrap over the same resamples for both, one-sided level
 *   α = (1 − level)/2, and each policy's support diagnostics.
 * - One bootstrap pass for all of it: both policies' intervals and the paired bound come from one
 *   set of resampled group sums (src/evaluation/policy-pair-accumulator.ts).
 * - Streaming: the slice is never kept. The refit step reads it chunk by chunk after the candidate is
 *   final; each chunk is scored by both policies and reduced at once to the accumulator's sums
 *   ({@link HeldOutEvaluation}), so the memory does not grow with the slice (issue 14).
 *
 * Every engine call here is read-only (greedyMany, expectedRewardsMany): evaluating a policy never
 * creates a cell in it, so the candidate's snapshot is what it learned, nothing else.
 */
import {
  PolicyPairAccumulator,
  uniformPolicy,
  type OffPolicyEvaluation,
  type PolicyComparison,
} from "../evaluation/index.js";
import type { LinUCBEngine } from "../engine/types.js";
import type { GateEstimator } from "./options.js";
import type { HeldOutSlice } from "./held-out-slice.js";

/** Options of the estimators. */
export interface EvaluationSettings {
  /** Two-sided level of the intervals; the paired lower bound is one-sided at α = (1 − level)/2. */
  readonly level: number;
  /** The estimator of the paired comparison. @default 'snips' */
  readonly estimator?: GateEstimator;
  readonly resamples: number;
  readonly seed: number;
  /** The most resampling groups of the bootstrap. @default 4096 (src/evaluation/resampling-groups.ts) */
  readonly groups?: number;
}

/** Event indices of the slice grouped by cell, with their contexts packed per cell. */
interface CellGroup {
  readonly cell: string;
  readonly events: number[];
  readonly contexts: Float64Array;
}

function groupByCell(slice: HeldOutSlice): CellGroup[] {
  const byCell = new Map<string, number[]>();
  slice.cells.forEach((cell, i) => {
    const list = byCell.get(cell);
    if (list === undefined) byCell.set(cell, [i]);
    else list.push(i);
  });
  const d = slice.events.dimension;
  return [...byCell].map(([cell, events]) => {
    const contexts = new Float64Array(events.length * d);
    events.forEach((event, j) => contexts.set(slice.events.contexts.subarray(event * d, event * d + d), j * d));
    return { cell, events, contexts };
  });
}

/** The action index (in the slice's action space) of each of the engine's arms. */
function actionOfArm(engine: LinUCBEngine, slice: HeldOutSlice): Int32Array {
  const ids = slice.events.actionIds ?? [];
  return Int32Array.from(engine.arms, (arm) => {
    const action = ids.indexOf(arm);
    if (action < 0)
      throw new RangeError(
        `the policy's arm ${JSON.stringify(arm)} is not in the evaluation's action space (${ids.join(", ")})`,
      );
    return action;
  });
}

/** The engine's UCB choice for every event, as action indices: a deterministic target policy. Read-only. */
export function policyChoices(engine: LinUCBEngine, slice: HeldOutSlice, groups = groupByCell(slice)): Int32Array {
  const actions = actionOfArm(engine, slice);
  const choices = new Int32Array(slice.events.length);
  for (const group of groups) {
    const selection = engine.greedyMany(group.cell, group.contexts);
    group.events.forEach((event, j) => {
      choices[event] = actions[selection.armIndices[j] as number] as number;
    });
  }
  return choices;
}

/** q̂: the engine's θ_aᵀx for every event and action (n × K, row-major). Actions the engine lacks get 0. Read-only. */
export function rewardModelOf(engine: LinUCBEngine, slice: HeldOutSlice, groups = groupByCell(slice)): Float64Array {
  const actions = actionOfArm(engine, slice);
  const k = slice.events.actionCount;
  const armCount = engine.arms.length;
  const predicted = new Float64Array(slice.events.length * k);
  for (const group of groups) {
    const scores = engine.expectedRewardsMany(group.cell, group.contexts);
    group.events.forEach((event, j) => {
      for (let a = 0; a < armCount; a++)
        predicted[event * k + (actions[a] as number)] = scores[j * armCount + a] as number;
    });
  }
  return predicted;
}

/** The evaluations of one replay step. */
export interface ReplayComparison {
  /** Events in the held-out slice. */
  readonly events: number;
  /** Mean observed reward of the slice: the logging policy's value. */
  readonly loggedValue: number;
  readonly candidate: OffPolicyEvaluation;
  readonly incumbent: OffPolicyEvaluation;
  /** The paired comparison the production gate decides from. */
  readonly paired: PolicyComparison;
}

/** The policies and settings of a {@link HeldOutEvaluation}. */
export interface HeldOutEvaluationInput {
  /** The candidate: the models of the training slice, final. */
  readonly candidate: LinUCBEngine;
  /** The active policy, or `'uniform'` when there is none. */
  readonly incumbent: LinUCBEngine | "uniform";
  /** The action space (the run's arms). */
  readonly arms: readonly string[];
  readonly settings: EvaluationSettings;
  /** Held-out rows expected (the split's count, an upper bound on the events): the grouping's N. */
  readonly expectedRows: number;
}

/**
 * The replay step over held-out batches as they are read: each batch is scored by both policies (in
 * each event's cell, read-only) and added to the bootstrap's sums; nothing per row is kept.
 */
export class HeldOutEvaluation {
  private readonly accumulator: PolicyPairAccumulator;

  constructor(private readonly input: HeldOutEvaluationInput) {
    const { settings, arms, expectedRows } = input;
    this.accumulator = new PolicyPairAccumulator({
      actionCount: arms.length,
      expectedEvents: Math.max(1, expectedRows),
      rewardModel: true,
      estimator: settings.estimator ?? "snips",
      level: settings.level,
      alpha: (1 - settings.level) / 2,
      resamples: settings.resamples,
      seed: settings.seed,
      ...(settings.groups === undefined ? {} : { groups: settings.groups }),
    });
  }

  /** Events added so far. */
  get events(): number {
    return this.accumulator.events;
  }

  /**
   * Scores a batch with both policies and adds it. Returns the incumbent's choices on it (null for the
   * uniform policy), which the routing summary counts too.
   */
  add(batch: HeldOutSlice): { readonly incumbentChoices: Int32Array | null } {
    const { candidate, incumbent } = this.input;
    const groups = groupByCell(batch);
    const rewardModel = rewardModelOf(candidate, batch, groups);
    const candidateChoices = policyChoices(candidate, batch, groups);
    const incumbentChoices = incumbent === "uniform" ? null : policyChoices(incumbent, batch, groups);
    const incumbentPolicy = incumbentChoices ?? uniformPolicy(batch.events.actionCount);
    this.accumulator.add(batch.events, candidateChoices, incumbentPolicy, rewardModel);
    return { incumbentChoices };
  }

  /** Every estimate of both policies and their paired comparison over the batches added. */
  finish(): ReplayComparison {
    if (this.accumulator.events === 0)
      throw new RangeError("the held-out slice is empty: there is nothing to evaluate the candidate on");
    const both = this.accumulator.finish();
    return {
      events: this.accumulator.events,
      loggedValue: this.accumulator.loggedValue(),
      candidate: both.candidate,
      incumbent: both.incumbent,
      paired: both.comparison,
    };
  }
}

/**
 * Evaluates the candidate and the incumbent (an engine, or `'uniform'` when there is no active
 * policy) on a slice given whole with every estimator: a {@link HeldOutEvaluation} of one batch.
 */
export function compareOnHeldOut(
  candidate: LinUCBEngine,
  incumbent: LinUCBEngine | "uniform",
  slice: HeldOutSlice,
  settings: EvaluationSettings,
): ReplayComparison {
  const arms = slice.events.actionIds ?? [];
  const evaluation = new HeldOutEvaluation({
    candidate,
    incumbent,
    arms,
    settings,
    expectedRows: slice.events.length,
  });
  if (slice.events.length > 0) evaluation.add(slice);
  return evaluation.finish();
}
