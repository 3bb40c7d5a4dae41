// Statistical checks on seeded problems with a known answer: the estimators are unbiased (their
// mean over many independent logs is the true value), the bootstrap intervals cover the truth at
// about the nominal rate, DR survives a wrong reward model while DM does not, and replay is biased
// when the logs are not uniform — which is why it says so.
import { describe, expect, it } from "vitest";
import {
  createLoggedEvents,
  estimateDirectMethod,
  estimateDoublyRobust,
  estimateIps,
  evaluateOffPolicy,
  fixedActionPolicy,
  replayEvaluate,
} from "../../src/evaluation/index.js";
import { drawLog, perEvent, randomProblem, summary, trueValue } from "./synthetic-logs.js";

const problem = randomProblem(7);
const truth = trueValue(problem);
const k = problem.actions;

describe("unbiasedness over 300 independent logs of 400 events", () => {
  const logs = 300;
  const estimates = {
    ips: [] as number[],
    snips: [] as number[],
    dr: [] as number[],
    drPerfect: [] as number[],
    dm: [] as number[],
  };
  // A deliberately wrong model: every prediction 0.5 above the truth.
  const wrongModel = problem.meanReward.map((m) => m + 0.5);
  for (let seed = 1; seed <= logs; seed++) {
    const events = drawLog(problem, 400, seed);
    const policy = perEvent(events, problem.target, k);
    const result = evaluateOffPolicy(events, policy, { rewardModel: perEvent(events, wrongModel, k), resamples: 1 });
    estimates.ips.push(result.ips.value);
    estimates.snips.push(result.snips.value);
    estimates.dr.push(result.dr!.value);
    estimates.dm.push(result.dm!.value);
    estimates.drPerfect.push(
      estimateDoublyRobust(events, policy, perEvent(events, problem.meanReward, k), { resamples: 1 }).value,
    );
  }

  it.each([
    "ips",
    "snips",
    "dr",
    "drPerfect",
  ] as const)("%s: the mean estimate is within 4 standard errors of the truth", (name) => {
    const { mean, sd } = summary(estimates[name]);
    const standardError = sd / Math.sqrt(logs);
    expect(Math.abs(mean - truth)).toBeLessThan(4 * standardError);
    // And the noise is real: the estimates vary from log to log.
    expect(sd).toBeGreaterThan(0);
  });

  it("DM with the wrong model is biased by about the model's error, which DR corrects", () => {
    const { mean } = summary(estimates.dm);
    expect(mean - truth).toBeGreaterThan(0.4);
  });

  it("DR with the true model has less variance than IPS", () => {
    expect(summary(estimates.drPerfect).sd).toBeLessThan(0.8 * summary(estimates.ips).sd);
  });
});

describe("bootstrap coverage over 200 independent logs of 1000 events", () => {
  const logs = 200;
  const covered = { ips: 0, snips: 0, dr: 0 };
  const model = problem.meanReward.map((m, j) => Math.min(1, m + (j % 3 === 0 ? 0.1 : -0.05)));
  for (let seed = 1001; seed < 1001 + logs; seed++) {
    const events = drawLog(problem, 1000, seed);
    const result = evaluateOffPolicy(events, perEvent(events, problem.target, k), {
      rewardModel: perEvent(events, model, k),
      resamples: 400,
      seed,
    });
    for (const name of ["ips", "snips", "dr"] as const) {
      const { lower, upper } = result[name]!.interval;
      if (lower <= truth && truth <= upper) covered[name]++;
    }
  }

  it.each(["ips", "snips", "dr"] as const)("%s: the 95%% interval covers the truth in 88–99%% of the logs", (name) => {
    // Binomial(200, 0.95) lies in [178, 198] with probability > 0.999.
    expect(covered[name] / logs).toBeGreaterThanOrEqual(0.88);
    expect(covered[name] / logs).toBeLessThanOrEqual(0.99);
  });
});

describe("replay", () => {
  // Two contexts; the target always takes action 0, which is good in context 0 and bad in context 1.
  // Non-uniform logging takes action 0 mostly in context 0, so replay's kept events over-represent it.
  function skewedLog(seed: number, uniform: boolean, n = 2000) {
    const base = drawLog(
      {
        contexts: 2,
        actions: 2,
        meanReward: new Float64Array([0.9, 0.5, 0.1, 0.5]),
        logging: uniform ? new Float64Array([0.5, 0.5, 0.5, 0.5]) : new Float64Array([0.8, 0.2, 0.1, 0.9]),
        target: new Float64Array([1, 0, 1, 0]),
      },
      n,
      seed,
    );
    return base;
  }
  const truthOfAction0 = (0.9 + 0.1) / 2;

  it("is unbiased under uniform logging", () => {
    const values = Array.from(
      { length: 200 },
      (_, s) => replayEvaluate(skewedLog(s + 1, true), fixedActionPolicy(0, 2), { resamples: 1 }).value,
    );
    const { mean, sd } = summary(values);
    expect(Math.abs(mean - truthOfAction0)).toBeLessThan(4 * (sd / Math.sqrt(values.length)));
  });

  it("is biased under non-uniform logging, says so, and IPS on the same logs is not", () => {
    const replay: number[] = [];
    const ips: number[] = [];
    for (let s = 1; s <= 200; s++) {
      const events = skewedLog(s, false);
      const result = replayEvaluate(events, fixedActionPolicy(0, 2), { resamples: 1 });
      expect(result.uniformLogging).toBe(false);
      expect(result.warnings.join(" ")).toMatch(/unbiased only under uniform logging/);
      replay.push(result.value);
      ips.push(estimateIps(events, fixedActionPolicy(0, 2), { resamples: 1 }).value);
    }
    // Kept events come from context 0 with probability 0.8/0.9: replay ≈ (0.8·0.9 + 0.1·0.1)/0.9 ≈ 0.81.
    expect(summary(replay).mean - truthOfAction0).toBeGreaterThan(0.25);
    const { mean, sd } = summary(ips);
    expect(Math.abs(mean - truthOfAction0)).toBeLessThan(4 * (sd / Math.sqrt(ips.length)));
  });

  it("samples a stochastic target reproducibly and keeps about Σ π(aᵢ|xᵢ) events", () => {
    const events = drawLog(problem, 4000, 99);
    const uniformLogs = createLoggedEvents({
      actions: events.actions,
      rewards: events.rewards,
      propensities: new Float64Array(events.length).fill(1 / k),
      actionCount: k,
    });
    const stochastic = new Float64Array(events.length * k);
    for (let i = 0; i < events.length; i++) stochastic.set([0.5, 0.2, 0.1, 0.1, 0.1], i * k);
    const first = replayEvaluate(uniformLogs, stochastic, { seed: 5, resamples: 10 });
    const again = replayEvaluate(uniformLogs, stochastic, { seed: 5, resamples: 10 });
    const other = replayEvaluate(uniformLogs, stochastic, { seed: 6, resamples: 10 });
    expect(again).toEqual(first);
    expect(other.kept).not.toBe(first.kept);
    let expected = 0;
    for (let i = 0; i < events.length; i++) expected += stochastic[i * k + events.actions[i]];
    // kept ~ Σ Bernoulli(π(aᵢ|xᵢ)): within 5 standard deviations (sd ≤ √(n/4)).
    expect(Math.abs(first.kept - expected)).toBeLessThan(5 * Math.sqrt(events.length / 4));
    expect(first.uniformLogging).toBe(true);
    expect(first.warnings).toEqual([]);
  });
});

describe("clipping", () => {
  it("bounds the weights, is counted, warned about, and pulls IPS down", () => {
    const events = drawLog(problem, 2000, 3);
    const policy = perEvent(events, problem.target, k);
    const plain = estimateIps(events, policy, { resamples: 50 });
    const clipped = estimateIps(events, policy, { resamples: 50, clip: 2 });
    expect(plain.weights.clip).toBe(Infinity);
    expect(plain.weights.clipped).toBe(0);
    expect(plain.weights.max).toBeGreaterThan(2);
    expect(clipped.weights.max).toBe(2);
    expect(clipped.weights.clipped).toBeGreaterThan(0);
    expect(clipped.warnings.join(" ")).toMatch(/clipped at 2/);
    expect(clipped.value).toBeLessThan(plain.value);
  });

  it("DM ignores the weights: the same value with or without a clip", () => {
    const events = drawLog(problem, 500, 4);
    const policy = perEvent(events, problem.target, k);
    const model = perEvent(events, problem.meanReward, k);
    expect(estimateDirectMethod(events, policy, model, { clip: 1.5, resamples: 20 }).value).toBe(
      estimateDirectMethod(events, policy, model, { resamples: 20 }).value,
    );
  });
});
