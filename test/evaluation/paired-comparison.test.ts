// The paired bootstrap of Δ = V(candidate) − V(incumbent) and the support diagnostics, on seeded
// problems with known answers (test/evaluation/synthetic-logs.ts).
import { describe, expect, it } from "vitest";
import {
  comparePolicies,
  createLoggedEvents,
  createSeededRandom,
  estimateSnips,
  inverseNormal,
  normalCriticalValue,
  pairedDifference,
  supportDiagnostics,
} from "../../src/evaluation/index.js";
import { drawLog, randomProblem, trueValue } from "./synthetic-logs.js";

/** The deterministic choice per event of a C × K one-hot table. */
function choicesOf(events: { length: number; contexts: Float64Array }, table: Float64Array, k: number): Int32Array {
  return Int32Array.from({ length: events.length }, (_, i) => {
    const x = events.contexts[i]!;
    for (let a = 0; a < k; a++) if (table[x * k + a] === 1) return a;
    return 0;
  });
}

describe("paired bootstrap", () => {
  const problem = randomProblem(4, 6, 4);
  const events = drawLog(problem, 3000, 9);
  const candidate = choicesOf(events, problem.target, 4);
  const incumbent = Int32Array.from(candidate, (a) => (a + 1) % 4);

  it("estimates Δ as the difference of the two estimates on the same events", () => {
    const comparison = comparePolicies(events, candidate, incumbent, { resamples: 200, seed: 3 });
    const c = estimateSnips(events, candidate).value;
    const i = estimateSnips(events, incumbent).value;
    expect(comparison.paired.candidateValue).toBeCloseTo(c, 12);
    expect(comparison.paired.incumbentValue).toBeCloseTo(i, 12);
    expect(comparison.paired.difference).toBeCloseTo(c - i, 12);
    expect(comparison.paired.lowerBound).toBeLessThan(comparison.paired.difference);
    // Same seed, same answer; another seed, another bound.
    expect(comparePolicies(events, candidate, incumbent, { resamples: 200, seed: 3 }).paired).toEqual(
      comparison.paired,
    );
    const reseeded = comparePolicies(events, candidate, incumbent, { resamples: 200, seed: 4 });
    expect(reseeded.paired.lowerBound).not.toBe(comparison.paired.lowerBound);
  });

  it("gives a policy compared with itself Δ = 0 and a bound of exactly 0", () => {
    const same = comparePolicies(events, candidate, candidate, { resamples: 100 });
    expect(same.paired.difference).toBe(0);
    expect(same.paired.standardError).toBe(0);
    expect(same.paired.bounds).toEqual({ studentized: 0, percentile: 0, basic: 0 });
    expect(same.informative.events).toBe(0);
  });

  it("is narrower than two unpaired intervals when the policies agree on most events", () => {
    // The incumbent differs from the candidate in one context of six only.
    const close = Int32Array.from(candidate, (a, i) => (events.contexts[i] === 0 ? (a + 1) % 4 : a));
    const paired = comparePolicies(events, candidate, close, { resamples: 300, seed: 1 }).paired;
    const alone = estimateSnips(events, candidate, { resamples: 300, seed: 1 }).interval.standardError;
    expect(paired.standardError).toBeLessThan(alone);
  });

  it("covers the true Δ at about its one-sided level (studentized), over seeded logs", () => {
    // 200 logs of one problem with a known Δ: the share of bounds above it is about α = 0.1.
    // The incumbent takes the arm after the candidate's: its table is the target's shifted by one arm.
    const shifted = Float64Array.from(problem.target, (_, j) => problem.target[j - (j % 4) + ((j + 3) % 4)]!);
    const truth = trueValue(problem, problem.target) - trueValue(problem, shifted);
    let above = 0;
    const runs = 200;
    for (let s = 0; s < runs; s++) {
      const log = drawLog(problem, 1500, 1000 + s);
      const c = choicesOf(log, problem.target, 4);
      const i = Int32Array.from(c, (a) => (a + 1) % 4);
      if (comparePolicies(log, c, i, { alpha: 0.1, resamples: 300, seed: s }).paired.lowerBound > truth) above++;
    }
    // Binomial(200, 0.1): mean 20, sd 4.2; accept 8..34 (about ±3 sd).
    expect(above).toBeGreaterThanOrEqual(8);
    expect(above).toBeLessThanOrEqual(34);
  });

  it("pairs DR terms too, and a good reward model narrows Δ's standard error", () => {
    const truth = new Float64Array(events.length * 4);
    for (let i = 0; i < events.length; i++) {
      const x = events.contexts[i]!;
      truth.set(problem.meanReward.subarray(x * 4, x * 4 + 4), i * 4);
    }
    const dr = comparePolicies(events, candidate, incumbent, {
      estimator: "dr",
      rewardModel: truth,
      resamples: 200,
      seed: 3,
    });
    const snips = comparePolicies(events, candidate, incumbent, { resamples: 200, seed: 3 });
    expect(dr.estimator).toBe("dr");
    expect(dr.paired.standardError).toBeLessThan(snips.paired.standardError);
    expect(Math.abs(dr.paired.difference - snips.paired.difference)).toBeLessThan(3 * snips.paired.standardError);
  });

  it("validates its arguments", () => {
    const u = new Float64Array(3);
    const short = { numerators: new Float64Array(2) };
    expect(() => pairedDifference({ numerators: u }, short)).toThrow(/incumbent.numerators` must have length 3/);
    const half = { alpha: 0.7 };
    const same = { numerators: u };
    expect(() => pairedDifference(same, same, half)).toThrow(/`alpha` must be a number in \(0, 0.5\); received 0.7/);
    expect(() => pairedDifference({ numerators: u }, { numerators: u }, { method: "bca" as never })).toThrow(
      /`method`.*received "bca"/,
    );
    expect(() => comparePolicies(events, candidate, incumbent, { estimator: "dr" })).toThrow(/rewardModel/);
  });
});

describe("support diagnostics", () => {
  it("find no problem with a deterministic target on fully supported logs", () => {
    const problem = randomProblem(8, 5, 4);
    const events = drawLog(problem, 4000, 2);
    const target = choicesOf(events, problem.target, 4);
    const weights = Float64Array.from(target, (a, i) => (a === events.actions[i] ? 1 / events.propensities[i]! : 0));
    const d = supportDiagnostics(weights, events.propensities, true);
    expect(Math.abs(d.meanWeightZ)).toBeLessThan(normalCriticalValue(0.001));
    expect(d.zeroWeightExcessZ!).toBeLessThan(normalCriticalValue(0.001));
    expect(Math.abs(d.zeroWeightShare - d.expectedZeroWeightShare!)).toBeLessThan(0.03);
    expect(d.unsupportedEvents).toBe(0);
  });

  it("flag a target that disagrees with a deterministic logger", () => {
    const random = createSeededRandom(5);
    const n = 1000;
    const actions = Int32Array.from({ length: n }, () => random.nextBelow(3));
    const events = createLoggedEvents({
      actions,
      rewards: new Float64Array(n),
      propensities: new Float64Array(n).fill(1),
      actionCount: 3,
    });
    // The target agrees on 90% of events.
    const weights = Float64Array.from(actions, (_, i) => (i % 10 === 0 ? 0 : 1));
    const d = supportDiagnostics(weights, events.propensities, true);
    expect(d.meanWeight).toBeCloseTo(0.9, 12);
    expect(d.expectedZeroWeightShare).toBe(0);
    expect(d.zeroWeightExcessZ!).toBeGreaterThan(8);
    expect(d.unsupportedEvents).toBe(100);
  });

  it("use the normal quantile for their tolerance", () => {
    expect(inverseNormal(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalCriticalValue(0.001)).toBeCloseTo(3.290527, 5);
  });
});
