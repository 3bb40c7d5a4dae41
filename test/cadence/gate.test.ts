import { describe, expect, it } from "vitest";
import { prodGate, warmupGate } from "../../src/cadence/index.js";
import { comparePolicies, createLoggedEvents, uniformPolicy } from "../../src/evaluation/index.js";
import { drawWorld, runGate } from "../../bench/gate-world.js";
import { createSeededRandom } from "../../src/evaluation/random.js";
import { runConvergenceGate } from "../../src/synthetic/index.js";

/** Uniformly logged events over two actions: action 1 pays 1 with probability 0.7, action 0 with 0.4. */
function events(n: number, propensity = 0.5) {
  const random = createSeededRandom(3);
  const actions = Int32Array.from({ length: n }, () => (random.nextFloat() < 0.5 ? 0 : 1));
  const rewards = Float64Array.from(actions, (a) => (random.nextFloat() < (a === 1 ? 0.7 : 0.4) ? 1 : 0));
  return createLoggedEvents({ actions, rewards, propensities: new Float64Array(n).fill(propensity), actionCount: 2 });
}

const always = (action: number, n: number): Int32Array => new Int32Array(n).fill(action);
const settings = { margin: 0, minEffectiveSampleSize: 100 };

describe("production gate", () => {
  const logged = events(2000);
  const options = { resamples: 300, seed: 1 };

  it("promotes a candidate whose paired lower bound on Δ is above the margin", () => {
    const comparison = comparePolicies(logged, always(1, 2000), uniformPolicy(2), options);
    const decision = prodGate(comparison, settings);
    expect(decision.passed).toBe(true);
    expect(decision.lowerBound).toBe(comparison.paired.lowerBound);
    expect(decision.lowerBound).toBeGreaterThan(0);
    expect(decision.reason).toMatch(
      /97\.5% lower bound on Δ \(paired studentized bootstrap of SNIPS\) is 0\.\d{4}, above the margin 0/,
    );
    expect(decision.support?.problems).toEqual([]);
    // A margin above the bound keeps the incumbent.
    expect(prodGate(comparison, { ...settings, margin: decision.lowerBound + 0.01 }).passed).toBe(false);
    const ips = comparePolicies(logged, always(1, 2000), uniformPolicy(2), { ...options, estimator: "ips" });
    expect(prodGate(ips, settings).passed).toBe(true);
  });

  it("keeps the incumbent when the candidate is worse, identical, or only on too little evidence", () => {
    const worse = prodGate(comparePolicies(logged, always(0, 2000), uniformPolicy(2), options), settings);
    expect(worse).toMatchObject({ passed: false, reason: expect.stringMatching(/not above the margin 0/) });
    const same = prodGate(comparePolicies(logged, always(1, 2000), always(1, 2000), options), {
      ...settings,
      minEffectiveSampleSize: 0,
    });
    expect(same).toMatchObject({ passed: false, difference: 0, lowerBound: 0 });
    const better = comparePolicies(logged, always(1, 2000), uniformPolicy(2), options);
    const tooFew = prodGate(better, { ...settings, minEffectiveSampleSize: 5000 });
    expect(tooFew.passed).toBe(false);
    expect(tooFew.reason).toMatch(
      /not enough evidence for the candidate: effective sample size \d+\.\d, below the minimum 5000/,
    );
  });

  it("refuses logs written with propensity 1, naming support", () => {
    const deterministic = events(2000, 1);
    const decision = prodGate(comparePolicies(deterministic, always(1, 2000), always(0, 2000), options), settings);
    expect(decision.passed).toBe(false);
    expect(decision.reason).toMatch(/^refused: no support: all 2000 held-out events were logged with propensity 1/);
    expect(decision.support?.candidate.unsupportedEvents).toBeGreaterThan(0);
  });

  it("refuses a candidate the logs do not support, naming it", () => {
    // Propensities claim 0.5 but the logger chose action 1 only 1 time in 20: weights of action 0 average ≈ 1.9.
    const random = createSeededRandom(9);
    const n = 2000;
    const actions = Int32Array.from({ length: n }, () => (random.nextFloat() < 0.05 ? 1 : 0));
    const rewards = Float64Array.from(actions, () => random.nextFloat());
    const skewed = createLoggedEvents({
      actions,
      rewards,
      propensities: new Float64Array(n).fill(0.5),
      actionCount: 2,
    });
    const decision = prodGate(comparePolicies(skewed, always(1, n), always(0, n), options), {
      ...settings,
      minEffectiveSampleSize: 0,
    });
    expect(decision.passed).toBe(false);
    expect(decision.reason).toMatch(/no support for the candidate: its mean importance weight is 0\.\d{3}/);
    expect(decision.reason).toMatch(/no support for the incumbent/);
  });
});

describe("production gate, seeded simulations (bench/gate-world.ts; the full run is bench/gate-calibration.ts)", () => {
  it("never promotes on deterministic logs a candidate clearly worse where it disagrees: 200 runs, each refused naming support", () => {
    const scenario = { exploration: "ucb" as const, events: 800, delta: -0.128 };
    let promoted = 0;
    let namedSupport = 0;
    for (let i = 0; i < 200; i++) {
      const decision = runGate(drawWorld(scenario, 300_000 + i), scenario, 310_000 + i, { resamples: 100 });
      if (decision.passed) promoted++;
      if (/^refused: .*no support/.test(decision.reason)) namedSupport++;
    }
    expect(promoted).toBe(0);
    expect(namedSupport).toBe(200);
  });

  it("rarely promotes slightly worse candidates (−0.005 ≤ Δ < 0) on ε-greedy logs, and promotes clearly better ones", () => {
    const runs = 120;
    let falsePromotions = 0;
    for (let i = 0; i < runs; i++) {
      const scenario = { exploration: { epsilon: 0.1 }, events: 4000, delta: -0.005 + 0.005 * ((i + 0.5) / runs) };
      if (runGate(drawWorld(scenario, 320_000 + i), scenario, 330_000 + i, { resamples: 300 }).passed)
        falsePromotions++;
    }
    // Nominal one-sided α = 0.025 plus two binomial standard errors at 120 runs: 5.35%, so at most 6.
    expect(falsePromotions).toBeLessThanOrEqual(6);
    let promoted = 0;
    const better = { exploration: { epsilon: 0.1 }, events: 16000, delta: 0.04 };
    for (let i = 0; i < 20; i++)
      if (runGate(drawWorld(better, 340_000 + i), better, 350_000 + i, { resamples: 300 }).passed) promoted++;
    expect(promoted).toBeGreaterThanOrEqual(17);
  }, 120_000);
});

describe("warm-up gate", () => {
  it("is the convergence report's verdict, with its figures", async () => {
    const { report } = await runConvergenceGate({ seed: 42, n: 4000 });
    const decision = warmupGate(report);
    expect(decision.passed).toBe(report.pass);
    expect(decision.reason).toContain(`${report.matches} of ${report.coveredCells} covered cells`);
    expect(warmupGate({ ...report, pass: false }).passed).toBe(false);
  });
});
