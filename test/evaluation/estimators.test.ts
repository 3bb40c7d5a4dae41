// The estimators on small logs whose values follow by hand from the formulas, the three forms of a
// target policy, and the errors for bad input.
import { describe, expect, it } from "vitest";
import {
  createLoggedEvents,
  estimateDirectMethod,
  estimateDoublyRobust,
  estimateIps,
  estimateSnips,
  evaluateOffPolicy,
  replayEvaluate,
  type PolicyFunction,
} from "../../src/evaluation/index.js";

// Three actions, four events.
const events = createLoggedEvents({
  actions: [0, 1, 2, 1],
  rewards: [1, 0, 0.5, 1],
  propensities: [0.5, 0.25, 0.25, 0.5],
  actionCount: 3,
});
// Target: event 0 → (0.5, 0.5, 0), 1 → (0, 1, 0), 2 → (0, 0, 1), 3 → (1, 0, 0).
const target = new Float64Array([0.5, 0.5, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0]);
// Weights π(aᵢ)/pᵢ: 0.5/0.5 = 1, 1/0.25 = 4, 1/0.25 = 4, 0/0.5 = 0.
const weights = [1, 4, 4, 0];
const model = new Float64Array([0.8, 0.2, 0.1, 0.3, 0.3, 0.3, 0, 0, 0, 0.5, 0.9, 0.4]);

describe("values by hand", () => {
  it("IPS = mean of wᵢ rᵢ", () => {
    expect(estimateIps(events, target).value).toBeCloseTo((1 * 1 + 4 * 0 + 4 * 0.5 + 0 * 1) / 4, 15);
  });

  it("SNIPS = Σ wᵢ rᵢ / Σ wᵢ", () => {
    expect(estimateSnips(events, target).value).toBeCloseTo((1 + 0 + 2 + 0) / (1 + 4 + 4 + 0), 15);
  });

  it("DM = mean of Σₐ π(a|xᵢ) q̂(xᵢ, a)", () => {
    const perEvent = [0.5 * 0.8 + 0.5 * 0.2, 0.3, 0, 0.5];
    expect(estimateDirectMethod(events, target, model).value).toBeCloseTo(perEvent.reduce((s, v) => s + v) / 4, 15);
  });

  it("DR = DM term + wᵢ (rᵢ − q̂(xᵢ, aᵢ))", () => {
    const perEvent = [0.5 + 1 * (1 - 0.8), 0.3 + 4 * (0 - 0.3), 0 + 4 * (0.5 - 0), 0.5 + 0 * (1 - 0.9)];
    expect(estimateDoublyRobust(events, target, model).value).toBeCloseTo(perEvent.reduce((s, v) => s + v) / 4, 15);
  });

  it("weight diagnostics: ESS (Σw)²/Σw², max, zero share, mean", () => {
    const { weights: diagnostics, effectiveSampleSize } = estimateIps(events, target);
    expect(effectiveSampleSize).toBeCloseTo(9 ** 2 / (1 + 16 + 16), 15);
    expect(diagnostics.max).toBe(4);
    expect(diagnostics.zeroShare).toBe(0.25);
    expect(diagnostics.mean).toBe(9 / 4);
    expect(weights.reduce((s, w) => s + w)).toBe(9);
  });

  it("replay keeps the events where the deterministic target takes the logged action", () => {
    const choices = new Int32Array([0, 1, 0, 1]); // matches events 0, 1, 3
    const result = replayEvaluate(events, choices);
    expect(result.kept).toBe(3);
    expect(result.keptShare).toBe(0.75);
    expect(result.value).toBeCloseTo((1 + 0 + 1) / 3, 15);
    expect(result.uniformLogging).toBe(false);
  });

  it("SNIPS is shift-equivariant (rewards + c → value + c) and IPS is not", () => {
    const shifted = createLoggedEvents({ ...events, rewards: events.rewards.map((r) => r + 10), actionCount: 3 });
    expect(estimateSnips(shifted, target).value).toBeCloseTo(estimateSnips(events, target).value + 10, 12);
    expect(estimateIps(shifted, target).value).not.toBeCloseTo(estimateIps(events, target).value + 10, 3);
  });

  it("SNIPS is NaN with a warning when every weight is 0", () => {
    const never = new Int32Array([1, 0, 0, 0]);
    const result = estimateSnips(events, never);
    expect(result.value).toBeNaN();
    expect(result.effectiveSampleSize).toBe(0);
    expect(result.warnings.join(" ")).toMatch(/every importance weight is 0/);
    expect(replayEvaluate(events, never).value).toBeNaN();
  });
});

describe("the three forms of a target policy give the same estimates", () => {
  const choices = new Int32Array([2, 1, 2, 0]);
  const oneHot = new Float64Array(12);
  choices.forEach((a, i) => (oneHot[i * 3 + a] = 1));
  const asFunction: PolicyFunction = (i, out) => {
    out[choices[i]] = 1;
  };

  it.each([
    ["Float64Array", oneHot],
    ["function", asFunction],
  ] as const)("Int32Array choices and a one-hot %s agree on every estimator", (_name, form) => {
    const a = evaluateOffPolicy(events, choices, { rewardModel: model, resamples: 50 });
    const b = evaluateOffPolicy(events, form, { rewardModel: model, resamples: 50 });
    expect(b).toEqual(a);
  });

  it("the reward model as a function equals the matrix", () => {
    const asModel = (i: number, out: Float64Array) => out.set(model.subarray(i * 3, i * 3 + 3));
    expect(estimateDoublyRobust(events, target, asModel, { resamples: 50 })).toEqual(
      estimateDoublyRobust(events, target, model, { resamples: 50 }),
    );
  });

  it("evaluateOffPolicy equals the single-estimator functions with the same options", () => {
    const options = { resamples: 200, seed: 11, level: 0.9 };
    const all = evaluateOffPolicy(events, target, { ...options, rewardModel: model });
    expect(all.ips).toEqual(estimateIps(events, target, options));
    expect(all.snips).toEqual(estimateSnips(events, target, options));
    expect(all.dr).toEqual(estimateDoublyRobust(events, target, model, options));
    expect(all.dm).toEqual(estimateDirectMethod(events, target, model, options));
    expect(all.replay).toEqual(replayEvaluate(events, target, options));
  });

  it("without a reward model there is no DR or DM", () => {
    const all = evaluateOffPolicy(events, target, { resamples: 10 });
    expect(all.dr).toBeUndefined();
    expect(all.dm).toBeUndefined();
  });
});

describe("bad input throws errors that name the argument and the value", () => {
  it("a policy of the wrong shape or that is not a distribution", () => {
    expect(() => estimateIps(events, new Float64Array(11))).toThrow(
      /`policy`.*length 12 \(4 events × 3 actions\); received length 11/,
    );
    expect(() => estimateIps(events, new Int32Array(3))).toThrow(/length 4 \(one per event\); received length 3/);
    expect(() => estimateIps(events, new Int32Array([0, 1, 3, 0]))).toThrow(
      /`policy\[2\]` must be an action index in \[0, 2\]; received 3/,
    );
    const unnormalised = target.slice();
    unnormalised[0] = 0.7;
    expect(() => estimateIps(events, unnormalised)).toThrow(/row of event 0 must sum to 1.*received a sum of 1\.2/);
    const negative = target.slice();
    negative[3] = -0.5;
    negative[4] = 1.5;
    expect(() => estimateIps(events, negative)).toThrow(RangeError);
    expect(() => estimateIps(events, (_i, out) => out.fill(Number.NaN))).toThrow(
      /action 0 at event 0 must be in \[0, 1\]; received NaN/,
    );
    expect(() => estimateIps(events, [1, 0, 0] as unknown as Float64Array)).toThrow(TypeError);
  });

  it("a reward model of the wrong shape or with non-finite values", () => {
    expect(() => estimateDoublyRobust(events, target, new Float64Array(5))).toThrow(
      /`rewardModel`.*length 12.*received length 5/,
    );
    const bad = model.slice();
    bad[7] = Number.POSITIVE_INFINITY;
    expect(() => estimateDoublyRobust(events, target, bad)).toThrow(
      /event 2, action 1 must be a finite number; received Infinity/,
    );
    expect(() => estimateDoublyRobust(events, target, undefined as unknown as Float64Array)).toThrow(
      /`rewardModel`.*required/,
    );
  });

  it("bad options", () => {
    expect(() => estimateIps(events, target, { level: 95 })).toThrow(
      /`level` must be a number in \(0, 1\).*received 95/,
    );
    expect(() => estimateIps(events, target, { resamples: 0 })).toThrow(
      /`resamples` must be a positive integer; received 0/,
    );
    expect(() => estimateIps(events, target, { seed: -1 })).toThrow(/`seed`.*received -1/);
    expect(() => estimateIps(events, target, { clip: 0 })).toThrow(/`clip` must be a number > 0.*received 0/);
  });

  it("no events, or something that is not LoggedEvents", () => {
    const empty = createLoggedEvents({ actions: [], rewards: [], propensities: [], actionCount: 2 });
    expect(() => estimateIps(empty, new Int32Array(0))).toThrow(/at least one event; received 0/);
    expect(() => estimateIps({ actions: [0] } as never, target)).toThrow(TypeError);
  });
});
