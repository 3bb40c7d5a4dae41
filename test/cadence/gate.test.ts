import { describe, expect, it } from "vitest";
import { prodGate, warmupGate } from "../../src/cadence/index.js";
import { createLoggedEvents, evaluateOffPolicy, fixedActionPolicy, uniformPolicy } from "../../src/evaluation/index.js";
import { createSeededRandom } from "../../src/evaluation/random.js";
import { runConvergenceGate } from "../../src/synthetic/index.js";

/** Uniformly logged events over two actions: action 1 pays 1 with probability 0.7, action 0 with 0.4. */
function events(n: number) {
  const random = createSeededRandom(3);
  const actions = Int32Array.from({ length: n }, () => (random.nextFloat() < 0.5 ? 0 : 1));
  const rewards = Float64Array.from(actions, (a) => (random.nextFloat() < (a === 1 ? 0.7 : 0.4) ? 1 : 0));
  return createLoggedEvents({ actions, rewards, propensities: new Float64Array(n).fill(0.5), actionCount: 2 });
}

describe("production gate", () => {
  const logged = events(2000);
  const options = { resamples: 300, seed: 1 };
  const better = evaluateOffPolicy(logged, fixedActionPolicy(1, 2), options);
  const worse = evaluateOffPolicy(logged, fixedActionPolicy(0, 2), options);
  const uniform = evaluateOffPolicy(logged, uniformPolicy(2), options);

  it("promotes a candidate whose lower bound beats the incumbent's estimate", () => {
    const decision = prodGate(better, uniform, "snips", 100);
    expect(decision.passed).toBe(true);
    expect(decision.candidateLower).toBe(better.snips.interval.lower);
    expect(decision.incumbentValue).toBe(uniform.snips.value);
    expect(decision.reason).toMatch(/lower bound 0\.\d{4} beats the incumbent's SNIPS estimate 0\.\d{4}/);
    expect(prodGate(better, uniform, "ips", 100).passed).toBe(true);
  });

  it("keeps the incumbent when the candidate is not better, or only on too little evidence", () => {
    expect(prodGate(worse, uniform, "snips", 100)).toMatchObject({ passed: false, reason: expect.stringMatching(/does not beat/) });
    expect(prodGate(uniform, uniform, "snips", 0).passed).toBe(false);
    const tooFew = prodGate(better, uniform, "snips", better.snips.effectiveSampleSize + 1);
    expect(tooFew.passed).toBe(false);
    expect(tooFew.reason).toMatch(/not enough evidence: the candidate's SNIPS effective sample size is \d+\.\d, below the minimum \d+/);
  });

  it("needs a reward model for DR", () => {
    expect(() => prodGate(better, uniform, "dr", 0)).toThrow(/the candidate's DR estimate is missing/);
  });
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
