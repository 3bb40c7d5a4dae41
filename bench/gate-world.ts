/**
 * Seeded worlds for calibrating the promotion gate at the evaluation level (no database, no engine):
 * C discrete contexts drawn uniformly, K arms, Bernoulli rewards with mean μ(x, a); the incumbent
 * is the logger's greedy policy (the active policy wrote the logs), served under an exploration
 * setting; the candidate differs from it on a share of the contexts, with a planted true
 * Δ = V(candidate) − V(incumbent) computed exactly. The gate is run on a log of n events exactly as
 * the cadence runs it: comparePolicies (paired bootstrap, support diagnostics) then prodGate.
 */
import { prodGate, type ProdGateDecision } from "../src/cadence/gate.js";
import type { Exploration } from "../src/engine/types.js";
import {
  comparePolicies,
  createLoggedEvents,
  createSeededRandom,
  PolicyPairAccumulator,
  type InformativeEvents,
  type LoggedEvents,
  type PairedBoundMethod,
  type PolicyPairAccumulatorOptions,
  type PolicyPairEvaluation,
  type SeededRandom,
} from "../src/evaluation/index.js";

/** One calibration scenario. */
export interface GateScenario {
  /** Contexts C. @default 40 */
  readonly contexts?: number;
  /** Arms K. @default 4 */
  readonly arms?: number;
  /** Share of contexts where the candidate's arm differs from the incumbent's. @default 0.25 */
  readonly disagreement?: number;
  /** The planted Δ = V(candidate) − V(incumbent). */
  readonly delta: number;
  /** How the logs were written: the incumbent's greedy arm under this exploration. */
  readonly exploration: Exploration;
  /** Held-out events n. */
  readonly events: number;
}

/** A drawn world: tables C × K and the two policies' arms per context. */
export interface GateWorld {
  readonly contexts: number;
  readonly arms: number;
  readonly meanReward: Float64Array;
  /** The logger's scores (its greedy arm is the incumbent's): μ plus noise. */
  readonly scores: Float64Array;
  readonly incumbent: Int32Array;
  readonly candidate: Int32Array;
  /** Exact Δ = V(candidate) − V(incumbent). */
  readonly delta: number;
}

/** Logging probabilities of one context's scores under an exploration setting. */
export function loggingProbabilities(scores: Float64Array, exploration: Exploration): Float64Array {
  const k = scores.length;
  const out = new Float64Array(k);
  let best = 0;
  for (let a = 1; a < k; a++) if (scores[a]! > scores[best]!) best = a;
  if (exploration === "ucb") {
    out[best] = 1;
  } else if ("epsilon" in exploration) {
    out.fill(exploration.epsilon / k);
    out[best]! += 1 - exploration.epsilon;
  } else {
    let total = 0;
    for (let a = 0; a < k; a++) total += out[a] = Math.exp((scores[a]! - scores[best]!) / exploration.softmax);
    for (let a = 0; a < k; a++) out[a]! /= total;
  }
  return out;
}

/** The arm a uniform draw `u` in [0, 1) picks from one context's logging probabilities (never one of probability 0). */
export function drawLoggedAction(probabilities: Float64Array, u: number): number {
  const k = probabilities.length;
  let a = 0;
  let cumulative = probabilities[0]!;
  while (u >= cumulative && a < k - 1) cumulative += probabilities[++a]!;
  while (probabilities[a] === 0 && a > 0) a--;
  return a;
}

/** Draws a world with the planted Δ: the candidate's arm on its contexts is worse/better by Δ·C/|S| each. */
export function drawWorld(scenario: GateScenario, seed: number): GateWorld {
  const random = createSeededRandom(seed);
  const c = scenario.contexts ?? 40;
  const k = scenario.arms ?? 4;
  const meanReward = new Float64Array(c * k).map(() => 0.25 + 0.5 * random.nextFloat());
  const scores = meanReward.map((m) => m + 0.05 * random.nextFloat());
  const incumbent = new Int32Array(c);
  for (let x = 0; x < c; x++) {
    let best = 0;
    for (let a = 1; a < k; a++) if (scores[x * k + a]! > scores[x * k + best]!) best = a;
    incumbent[x] = best;
  }
  const candidate = Int32Array.from(incumbent);
  const changed = Math.max(1, Math.round((scenario.disagreement ?? 0.25) * c));
  const order = shuffled(c, random);
  const each = (scenario.delta * c) / changed;
  for (let j = 0; j < changed; j++) {
    const x = order[j]!;
    const other = (incumbent[x]! + 1 + random.nextBelow(k - 1)) % k;
    candidate[x] = other;
    // The planted difference, kept inside (0, 1) by moving the incumbent's arm when needed.
    const base = meanReward[x * k + incumbent[x]!]!;
    meanReward[x * k + other] = Math.min(0.98, Math.max(0.02, base + each));
    meanReward[x * k + incumbent[x]!] = meanReward[x * k + other]! - each;
  }
  let delta = 0;
  for (let x = 0; x < c; x++) delta += meanReward[x * k + candidate[x]!]! - meanReward[x * k + incumbent[x]!]!;
  return { contexts: c, arms: k, meanReward, scores, incumbent, candidate, delta: delta / c };
}

function shuffled(n: number, random: SeededRandom): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = random.nextBelow(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The gate's settings in a calibration run. */
export interface GateRunSettings {
  readonly estimator?: "snips" | "ips" | "dr";
  readonly alpha?: number;
  readonly resamples?: number;
  readonly method?: PairedBoundMethod;
  readonly minEffectiveSampleSize?: number;
  readonly margin?: number;
  /** The most resampling groups of the bootstrap. @default 4096 (src/evaluation/resampling-groups.ts) */
  readonly groups?: number;
  /**
   * Evaluate as the cadence does: the held-out rows streamed in chunks of this many into a
   * PolicyPairAccumulator told only an upper bound (1.25 n) on their number. @default whole (comparePolicies)
   */
  readonly streamedChunk?: number;
}

/** The upper bound on the held-out rows a streamed run announces, as a multiple of their number. */
export const STREAMED_BOUND = 1.25;

/**
 * Both policies evaluated as the cadence evaluates its held-out slice: the events streamed in chunks
 * into a {@link PolicyPairAccumulator} told only an upper bound ({@link STREAMED_BOUND} n) on their number.
 */
export function streamedPairEvaluation(
  events: LoggedEvents,
  candidate: Int32Array,
  incumbent: Int32Array,
  chunk: number,
  options: Omit<PolicyPairAccumulatorOptions, "actionCount" | "expectedEvents" | "rewardModel">,
  rewardModel: Float64Array | undefined,
): PolicyPairEvaluation {
  const n = events.length;
  const k = events.actionCount;
  const accumulator = new PolicyPairAccumulator({
    ...options,
    actionCount: k,
    expectedEvents: Math.ceil(STREAMED_BOUND * n),
    rewardModel: rewardModel !== undefined,
  });
  for (let from = 0; from < n; from += chunk) {
    const to = Math.min(n, from + chunk);
    const part = createLoggedEvents({
      actions: events.actions.subarray(from, to),
      rewards: events.rewards.subarray(from, to),
      propensities: events.propensities.subarray(from, to),
      actionCount: k,
    });
    accumulator.add(
      part,
      candidate.subarray(from, to),
      incumbent.subarray(from, to),
      rewardModel?.subarray(from * k, to * k),
    );
  }
  return accumulator.finish();
}

/** One gate run on a fresh log of the world: the decision, with every bound flavour in it. */
export function runGate(
  world: GateWorld,
  scenario: GateScenario,
  seed: number,
  settings: GateRunSettings = {},
): ProdGateDecision & { bounds: Record<PairedBoundMethod, number>; informative: InformativeEvents } {
  const random = createSeededRandom(seed);
  const n = scenario.events;
  const k = world.arms;
  const actions = new Int32Array(n);
  const rewards = new Float64Array(n);
  const propensities = new Float64Array(n);
  const candidate = new Int32Array(n);
  const incumbent = new Int32Array(n);
  const probabilities = Array.from({ length: world.contexts }, (_, x) =>
    loggingProbabilities(world.scores.subarray(x * k, x * k + k), scenario.exploration),
  );
  for (let i = 0; i < n; i++) {
    const x = random.nextBelow(world.contexts);
    const p = probabilities[x]!;
    const a = drawLoggedAction(p, random.nextFloat());
    actions[i] = a;
    propensities[i] = p[a]!;
    rewards[i] = random.nextFloat() < world.meanReward[x * k + a]! ? 1 : 0;
    candidate[i] = world.candidate[x]!;
    incumbent[i] = world.incumbent[x]!;
  }
  const events = createLoggedEvents({ actions, rewards, propensities, actionCount: k });
  const options = {
    estimator: settings.estimator ?? "snips",
    alpha: settings.alpha ?? 0.025,
    resamples: settings.resamples ?? 1000,
    // A stream of its own: the bootstrap must not replay the draws that wrote the log.
    seed: (seed ^ 0x5bd1e995) >>> 0,
    method: settings.method ?? "studentized",
    ...(settings.groups === undefined ? {} : { groups: settings.groups }),
  } as const;
  // DR with the true means as q̂ would flatter it; a constant model keeps DR honest here.
  const rewardModel = settings.estimator === "dr" ? new Float64Array(n * k).fill(0.5) : undefined;
  const comparison =
    settings.streamedChunk === undefined
      ? comparePolicies(events, candidate, incumbent, {
          ...options,
          ...(rewardModel === undefined ? {} : { rewardModel }),
        })
      : streamedPairEvaluation(events, candidate, incumbent, settings.streamedChunk, options, rewardModel).comparison;
  const decision = prodGate(comparison, {
    margin: settings.margin ?? 0,
    minEffectiveSampleSize: settings.minEffectiveSampleSize ?? 100,
  });
  return { ...decision, bounds: comparison.paired.bounds, informative: comparison.informative };
}
