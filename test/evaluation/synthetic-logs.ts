/**
 * Small seeded bandit problems with a known answer, for checking the estimators: C discrete
 * contexts drawn uniformly, K actions, Bernoulli rewards with mean μ(x, a), a logging policy π₀(a|x)
 * and a target policy π(a|x). The true value V(π) = (1/C) Σₓ Σₐ π(a|x) μ(x, a) is computed exactly.
 */
import { createLoggedEvents, createSeededRandom, type LoggedEvents } from "../../src/evaluation/index.js";

/** The tables of a problem: row-major C × K. */
export interface BanditProblem {
  readonly contexts: number;
  readonly actions: number;
  /** μ(x, a). */
  readonly meanReward: Float64Array;
  /** π₀(a | x), rows sum to 1. */
  readonly logging: Float64Array;
  /** π(a | x), rows sum to 1. */
  readonly target: Float64Array;
}

/** A problem with random tables: logging softmax mixed with uniform (so every p ≥ 0.3/K), a deterministic target. */
export function randomProblem(seed: number, contexts = 4, actions = 5): BanditProblem {
  const random = createSeededRandom(seed);
  const meanReward = new Float64Array(contexts * actions).map(() => 0.1 + 0.8 * random.nextFloat());
  const logging = new Float64Array(contexts * actions);
  const target = new Float64Array(contexts * actions);
  for (let x = 0; x < contexts; x++) {
    const scores = Array.from({ length: actions }, () => 2 * random.nextFloat());
    const total = scores.reduce((sum, s) => sum + Math.exp(s), 0);
    for (let a = 0; a < actions; a++) logging[x * actions + a] = 0.7 * (Math.exp(scores[a]) / total) + 0.3 / actions;
    // Target: the best action of a noisy copy of μ, so it is good but not the oracle.
    let best = 0;
    let bestScore = -Infinity;
    for (let a = 0; a < actions; a++) {
      const score = meanReward[x * actions + a] + 0.3 * random.nextFloat();
      if (score > bestScore) [best, bestScore] = [a, score];
    }
    target[x * actions + best] = 1;
  }
  return { contexts, actions, meanReward, logging, target };
}

/** V(π) of the problem's target (or of `policy`, C × K). */
export function trueValue(problem: BanditProblem, policy: Float64Array = problem.target): number {
  let value = 0;
  for (let j = 0; j < policy.length; j++) value += policy[j] * problem.meanReward[j];
  return value / problem.contexts;
}

/** A log of n events drawn from the problem with its logging policy; the context is the context index. */
export function drawLog(problem: BanditProblem, n: number, seed: number): LoggedEvents {
  const random = createSeededRandom(seed);
  const k = problem.actions;
  const actions = new Int32Array(n);
  const rewards = new Float64Array(n);
  const propensities = new Float64Array(n);
  const contexts = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = random.nextBelow(problem.contexts);
    const u = random.nextFloat();
    let a = 0;
    let cumulative = problem.logging[x * k];
    while (u >= cumulative && a < k - 1) cumulative += problem.logging[x * k + ++a];
    actions[i] = a;
    propensities[i] = problem.logging[x * k + a];
    rewards[i] = random.nextFloat() < problem.meanReward[x * k + a] ? 1 : 0;
    contexts[i] = x;
  }
  return createLoggedEvents({ actions, rewards, propensities, actionCount: k, contexts, dimension: 1 });
}

/** Expands a C × K table to one row per event (by each event's context): a policy or a reward model. */
export function perEvent(events: LoggedEvents, table: Float64Array, actions: number): Float64Array {
  const out = new Float64Array(events.length * actions);
  for (let i = 0; i < events.length; i++) {
    const x = events.contexts[i];
    out.set(table.subarray(x * actions, x * actions + actions), i * actions);
  }
  return out;
}

/** Mean and standard deviation of a list of numbers. */
export function summary(values: readonly number[]): { mean: number; sd: number } {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, sd: Math.sqrt(variance) };
}
