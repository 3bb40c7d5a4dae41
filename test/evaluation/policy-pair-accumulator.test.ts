// The streaming evaluation of two policies (src/evaluation/policy-pair-accumulator.ts): events added
// in batches give exactly the whole-array answers while every event is its own group, the same
// answers however the events are cut into batches, the row bootstrap's answers within Monte Carlo
// error past G events (with the number of events only bounded in advance), and a bad batch changes
// nothing. Also the keyed permutation that deals streamed events into groups.
import { describe, expect, it } from "vitest";
import { quantile } from "../../src/evaluation/bootstrap.js";
import {
  createLoggedEvents,
  evaluatePolicyPair,
  pairedDifference,
  PolicyPairAccumulator,
  uniformPolicy,
  type LoggedEvents,
  type PolicyPairAccumulatorOptions,
  type PolicyPairEvaluation,
} from "../../src/evaluation/index.js";
import { KeyedPermutation } from "../../src/evaluation/keyed-permutation.js";
import { groupDealer } from "../../src/evaluation/resampling-groups.js";
import { rowBootstrapRatios, rowPairedBounds } from "./row-bootstrap.js";
import { drawLog, randomProblem } from "./synthetic-logs.js";

const K = 4;
const problem = randomProblem(41, 6, K);

/** A log with a deterministic candidate (by context), the uniform incumbent and a constant q̂. */
function scenario(n: number, seed: number) {
  const events = drawLog(problem, n, seed);
  const candidate = Int32Array.from({ length: n }, (_, i) => (events.contexts[i]! * 3 + 1) % K);
  const rewardModel = new Float64Array(n * K).fill(0.4);
  return { events, candidate, rewardModel };
}

/** Events [from, to) of a log as their own LoggedEvents. */
function part(events: LoggedEvents, from: number, to: number): LoggedEvents {
  return createLoggedEvents({
    actions: events.actions.subarray(from, to),
    rewards: events.rewards.subarray(from, to),
    propensities: events.propensities.subarray(from, to),
    actionCount: events.actionCount,
  });
}

/** The scenario added in `batches` near-equal batches (uneven on purpose: the cuts fall anywhere). */
function streamed(
  s: ReturnType<typeof scenario>,
  batches: number,
  options: Omit<PolicyPairAccumulatorOptions, "actionCount">,
): PolicyPairEvaluation {
  const accumulator = new PolicyPairAccumulator({ ...options, actionCount: K, rewardModel: true });
  const n = s.events.length;
  for (let b = 0; b < batches; b++) {
    const from = Math.floor((b * n) / batches);
    const to = Math.floor(((b + 1) * n) / batches);
    accumulator.add(
      part(s.events, from, to),
      s.candidate.subarray(from, to),
      uniformPolicy(K),
      s.rewardModel.subarray(from * K, to * K),
    );
  }
  expect(accumulator.events).toBe(n);
  return accumulator.finish();
}

describe("PolicyPairAccumulator", () => {
  it("with at most G events: batches give exactly the whole-array evaluation (the row bootstrap's draws)", () => {
    const s = scenario(3000, 1);
    const options = { level: 0.9, resamples: 300, seed: 4, estimator: "dr" as const };
    const whole = evaluatePolicyPair(s.events, s.candidate, uniformPolicy(K), {
      ...options,
      rewardModel: s.rewardModel,
    });
    expect(whole.comparison.paired.groups).toBe(3000);
    for (const batches of [1, 2, 37]) {
      // The expected count is only an upper bound here: it does not matter while n ≤ G.
      expect(streamed(s, batches, { ...options, expectedEvents: 3000 })).toEqual(whole);
      expect(streamed(s, batches, { ...options, expectedEvents: 10_000 })).toEqual(whole);
    }
  });

  it("past G events: 1 batch or 37 give identical results, whether the count was known, bounded or exceeded", () => {
    const s = scenario(9000, 2);
    const options = { level: 0.95, resamples: 200, seed: 6 };
    for (const expectedEvents of [9000, 12_000, 5000]) {
      const one = streamed(s, 1, { ...options, expectedEvents });
      expect(one.comparison.paired.groups).toBe(4096);
      expect(streamed(s, 37, { ...options, expectedEvents })).toEqual(one);
    }
    // With the exact count, the groups are those of the whole-array bootstrap: the intervals are equal.
    const exact = streamed(s, 37, { ...options, expectedEvents: 9000 });
    const whole = evaluatePolicyPair(s.events, s.candidate, uniformPolicy(K), {
      ...options,
      rewardModel: s.rewardModel,
    });
    expect(exact.candidate).toEqual(whole.candidate);
    expect(exact.incumbent).toEqual(whole.incumbent);
  });

  it("past G events with a bound on n: the row bootstrap's answers within Monte Carlo error", () => {
    // n = 20,000 events, N = 26,000 announced, G = 1,024 groups; 8 bootstrap seeds each way.
    const n = 20_000;
    const s = scenario(n, 3);
    const weights = Float64Array.from({ length: n }, (_, i) =>
      s.candidate[i] === s.events.actions[i] ? 1 / s.events.propensities[i]! : 0,
    );
    const u = Float64Array.from(weights, (w, i) => w * s.events.rewards[i]!);
    // The uniform incumbent: w = (1/K)/p.
    const wi = Float64Array.from(s.events.propensities, (p) => 1 / K / p);
    const ui = Float64Array.from(wi, (w, i) => w * s.events.rewards[i]!);
    const seeds = [200, 201, 202, 203, 204, 205, 206, 207];
    const resamples = 500;
    const sd = (xs: number[]) => {
      const m = xs.reduce((a, x) => a + x, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
    };
    const gaps = { se: [] as number[], lower: [] as number[], bound: [] as number[] };
    let rowSe = 0;
    for (const seed of seeds) {
      const result = streamed(s, 13, { resamples, seed, groups: 1024, expectedEvents: 26_000 });
      expect(result.comparison.paired.groups).toBe(1024);
      const rows = rowBootstrapRatios({ u, v: weights }, resamples, seed)
        .filter((x) => !Number.isNaN(x))
        .sort();
      const mean = rows.reduce((a, x) => a + x, 0) / rows.length;
      rowSe = Math.sqrt(rows.reduce((a, x) => a + (x - mean) ** 2, 0) / (rows.length - 1));
      gaps.se.push(result.candidate.snips.interval.standardError / rowSe - 1);
      gaps.lower.push(result.candidate.snips.interval.lower - quantile(rows, 0.025));
      const paired = rowPairedBounds({ u, v: weights }, { u: ui, v: wi }, 0.025, resamples, seed);
      expect(result.comparison.paired.difference).toBeCloseTo(paired.difference, 12);
      expect(result.comparison.paired.standardError).toBeCloseTo(paired.standardError, 12);
      gaps.bound.push(result.comparison.paired.bounds.studentized - paired.bounds.studentized);
    }
    // The SE: Monte Carlo sd ≈ √(1/2B + 1/2B + 1/2G) relative per seed; no bias beyond 4 sd of the mean.
    const relative = Math.sqrt(1 / resamples + 1 / (2 * 1024));
    for (const gap of gaps.se) expect(Math.abs(gap)).toBeLessThan(4 * relative);
    for (const key of ["se", "lower", "bound"] as const) {
      const mean = gaps[key].reduce((a, x) => a + x, 0) / seeds.length;
      expect(Math.abs(mean)).toBeLessThan((4 * sd(gaps[key])) / Math.sqrt(seeds.length) + 1e-12);
    }
    // A 2.5% quantile of 500 resamples moves by ≈ 0.09 SE between runs; allow 0.5 SE.
    for (const gap of [...gaps.lower, ...gaps.bound]) expect(Math.abs(gap)).toBeLessThan(0.5 * rowSe);
  });

  it("past G events, a policy compared with itself has Δ̂ = 0, SE = 0 and a bound of exactly 0", () => {
    const s = scenario(9000, 5);
    const accumulator = new PolicyPairAccumulator({ actionCount: K, expectedEvents: 12_000, resamples: 100 });
    for (let from = 0; from < 9000; from += 1000) {
      const choices = s.candidate.subarray(from, from + 1000);
      accumulator.add(part(s.events, from, from + 1000), choices, choices);
    }
    const { paired } = accumulator.finish().comparison;
    expect(paired.groups).toBe(4096);
    expect([paired.difference, paired.standardError, paired.lowerBound]).toEqual([0, 0, 0]);
  });

  it("past G events, the paired SE is the θ̂-centred one when the first G events give a policy no weight", () => {
    // The candidate agrees with no logged action among the first G events (Σv = 0 there: no ratio to
    // centre its terms on) and the rewards sit far from 0 (10⁸ + Bernoulli): centred on 0, the second
    // moments are ≈ 10¹⁶ times the residuals' and their difference loses every digit.
    const n = 12_000;
    const s = scenario(n, 7);
    const rewards = Float64Array.from(s.events.rewards, (r) => 1e8 + r);
    const candidate = Int32Array.from(s.candidate, (a, i) => (i < 4096 ? (s.events.actions[i]! + 1) % K : a));
    const events = createLoggedEvents({
      actions: s.events.actions,
      rewards,
      propensities: s.events.propensities,
      actionCount: K,
    });
    const accumulator = new PolicyPairAccumulator({ actionCount: K, expectedEvents: n, resamples: 200, seed: 3 });
    for (let from = 0; from < n; from += 3000) {
      accumulator.add(part(events, from, from + 3000), candidate.subarray(from, from + 3000), uniformPolicy(K));
    }
    const { paired } = accumulator.finish().comparison;
    const weights = (choices: Int32Array | null) =>
      Float64Array.from(events.propensities, (p, i) =>
        choices === null ? 1 / K / p : choices[i] === events.actions[i] ? 1 / p : 0,
      );
    const ratio = (w: Float64Array) => ({ numerators: w.map((x, i) => x * rewards[i]!), denominators: w });
    const whole = pairedDifference(ratio(weights(candidate)), ratio(weights(null)), { resamples: 200, seed: 3 });
    expect(paired.groups).toBe(4096);
    expect(Math.abs(paired.standardError / whole.standardError - 1)).toBeLessThan(1e-6);
    expect(Number.isFinite(paired.lowerBound)).toBe(true);
  });

  it("a bad batch changes nothing, and a batch of another action space or without q̂ is refused by name", () => {
    const s = scenario(5000, 4);
    const options = { resamples: 100, seed: 1, expectedEvents: 5000 };
    const accumulator = new PolicyPairAccumulator({ ...options, actionCount: K, rewardModel: true });
    const first = part(s.events, 0, 4500);
    accumulator.add(first, s.candidate.subarray(0, 4500), uniformPolicy(K), s.rewardModel.subarray(0, 4500 * K));
    const rest = part(s.events, 4500, 5000);
    const bad = Int32Array.from(s.candidate.subarray(4500, 5000));
    bad[499] = K;
    expect(() => accumulator.add(rest, bad, uniformPolicy(K), s.rewardModel.subarray(4500 * K))).toThrow(
      /`policy\[499\]` must be an action index in \[0, 3\]; received 4/,
    );
    expect(() => accumulator.add(rest, s.candidate.subarray(4500), uniformPolicy(K))).toThrow(
      /`rewardModel` is required/,
    );
    const other = createLoggedEvents({ actions: [0], rewards: [1], propensities: [0.5], actionCount: 3 });
    expect(() => accumulator.add(other, new Int32Array(1), uniformPolicy(3), new Float64Array(3))).toThrow(
      /`events` must have 4 actions like the accumulator; received 3/,
    );
    expect(accumulator.events).toBe(4500);
    accumulator.add(rest, s.candidate.subarray(4500), uniformPolicy(K), s.rewardModel.subarray(4500 * K));
    expect(accumulator.finish()).toEqual(streamed(s, 2, options));
  });

  it("refuses a batch whose actions are named otherwise than the first named batch's, and only then", () => {
    const named = (ids: string[], action: string) =>
      createLoggedEvents({ actions: [action], actionIds: ids, rewards: [1], propensities: [0.5] });
    const accumulator = new PolicyPairAccumulator({ actionCount: 2, expectedEvents: 4, resamples: 10, seed: 1 });
    // A refused batch names nothing: its ids are not the accumulator's.
    expect(() => accumulator.add(named(["x", "y"], "x"), Int32Array.of(2), Int32Array.of(0))).toThrow(/policy/);
    accumulator.add(named(["a", "b"], "a"), Int32Array.of(0), Int32Array.of(1));
    expect(() => accumulator.add(named(["b", "a"], "a"), Int32Array.of(0), Int32Array.of(1))).toThrow(
      /`events.actionIds` must be the accumulator's \(a, b\); action 0 is "b" instead of "a"/,
    );
    accumulator.add(
      createLoggedEvents({ actions: [1], rewards: [0], propensities: [0.5], actionCount: 2 }),
      Int32Array.of(1),
      Int32Array.of(1),
    );
    accumulator.add(named(["a", "b"], "b"), Int32Array.of(1), Int32Array.of(0));
    expect(accumulator.events).toBe(3);
  });

  it("refuses a bound of no events, takes one past 2³², and finishes only with an event", () => {
    expect(() => new PolicyPairAccumulator({ actionCount: K, expectedEvents: 0 })).toThrow(/expectedEvents/);
    // A bound past the permutation's 2³² domain is still a bound (it used to fail naming `size`).
    expect(new PolicyPairAccumulator({ actionCount: K, expectedEvents: 2 ** 33 }).events).toBe(0);
    expect(() => new PolicyPairAccumulator({ actionCount: K, expectedEvents: 10 }).finish()).toThrow(
      /at least one event; received 0/,
    );
  });
});

describe("PolicyPairAccumulator: replay's stream", () => {
  it("a batch refused on the incumbent puts back the draws the stochastic candidate made on it", () => {
    const s = scenario(6000, 8);
    const good = s.candidate.subarray(3000);
    const bad = Int32Array.from(good);
    bad[2999] = K;
    const run = (refusedFirst: boolean) => {
      const accumulator = new PolicyPairAccumulator({ actionCount: K, expectedEvents: 6000, resamples: 100, seed: 2 });
      accumulator.add(part(s.events, 0, 3000), uniformPolicy(K), s.candidate.subarray(0, 3000));
      const rest = part(s.events, 3000, 6000);
      if (refusedFirst) expect(() => accumulator.add(rest, uniformPolicy(K), bad)).toThrow(/`policy\[2999\]`/);
      accumulator.add(rest, uniformPolicy(K), good);
      return accumulator.finish();
    };
    expect(run(true)).toEqual(run(false));
  });
});

describe("keyed permutation and the group dealer", () => {
  it("is a permutation of [0, N) for every N, and depends on the seed", () => {
    for (const size of [1, 2, 3, 17, 1000, 4097, 65_537]) {
      const permutation = new KeyedPermutation(size, 9);
      const images = Array.from({ length: size }, (_, i) => permutation.at(i)).sort((a, b) => a - b);
      expect(images).toEqual(Array.from({ length: size }, (_, i) => i));
    }
    const a = Array.from({ length: 50 }, (_, i) => new KeyedPermutation(1000, 1).at(i));
    const b = Array.from({ length: 50 }, (_, i) => new KeyedPermutation(1000, 2).at(i));
    expect(a).not.toEqual(b);
    expect(() => new KeyedPermutation(0, 1)).toThrow(/`size` must be an integer in \[1, 2³²\]; received 0/);
  });

  it("deals N events into groups of ⌊N/G⌋ or ⌈N/G⌉, and events past N into further blocks", () => {
    const deal = groupDealer(10_003, 1000, 5);
    const sizes = new Int32Array(1000);
    for (let i = 0; i < 10_003; i++) sizes[deal(i)]!++;
    expect(Math.min(...sizes)).toBe(10);
    expect(Math.max(...sizes)).toBe(11);
    // Events in order do not land in groups in order: consecutive events are spread out.
    const firsts = Array.from({ length: 20 }, (_, i) => deal(i));
    expect(new Set(firsts).size).toBeGreaterThan(15);
    for (let i = 10_003; i < 20_006; i++) sizes[deal(i)]!++;
    expect(Math.min(...sizes)).toBe(20);
    expect(Math.max(...sizes)).toBe(22);
  });
});
