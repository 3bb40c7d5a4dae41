// The bootstrap over resampling groups' sums (src/evaluation/resampling-groups.ts) against the row
// bootstrap it replaced (test/evaluation/row-bootstrap.ts): the same answers to rounding while every
// event is its own group, the same answers within Monte Carlo error once events share groups, and one
// pass for two policies equal to the three separate calls.
import { describe, expect, it } from "vitest";
import { quantile } from "../../src/evaluation/bootstrap.js";
import {
  bootstrapRatio,
  comparePolicies,
  DEFAULT_MAX_GROUPS,
  evaluateOffPolicy,
  evaluatePolicyPair,
  pairedDifference,
  uniformPolicy,
} from "../../src/evaluation/index.js";
import { resamplingGroups } from "../../src/evaluation/resampling-groups.js";
import { rowBootstrapRatios, rowPairedBounds } from "./row-bootstrap.js";
import { drawLog, perEvent, randomProblem } from "./synthetic-logs.js";

/** SNIPS-like terms of a deterministic target on a seeded log: u = w·r, v = w (heavy-tailed weights). */
function snipsTerms(n: number, seed: number, shift = 0) {
  const problem = randomProblem(seed, 6, 5);
  const events = drawLog(problem, n, seed + 1);
  const target = perEvent(events, problem.target, 5);
  const w = new Float64Array(n);
  const u = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = (events.actions[i]! + shift) % 5;
    w[i] = target[i * 5 + a]! / events.propensities[i]!;
    u[i] = w[i]! * events.rewards[i]!;
  }
  return { u, w };
}

function sortedFinite(values: Float64Array): Float64Array {
  return values.filter((x) => !Number.isNaN(x)).sort();
}

function sd(values: readonly number[]): number {
  const mean = values.reduce((s, x) => s + x, 0) / values.length;
  return Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / (values.length - 1));
}

const close = (a: number, b: number, tolerance: number) =>
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(b)));

describe("resampling groups", () => {
  it("keeps every event its own group up to the maximum, then deals near-equal groups by seed", () => {
    expect(resamplingGroups(100, 100, 1)).toEqual({ rows: 100, count: 100, groupOf: null });
    const dealt = resamplingGroups(1003, 100, 7);
    expect(dealt.count).toBe(100);
    const sizes = new Int32Array(100);
    for (const g of dealt.groupOf!) sizes[g]!++;
    expect(Math.min(...sizes)).toBe(10);
    expect(Math.max(...sizes)).toBe(11);
    expect(resamplingGroups(1003, 100, 7).groupOf).toEqual(dealt.groupOf);
    expect(resamplingGroups(1003, 100, 8).groupOf).not.toEqual(dealt.groupOf);
  });

  it("refuses a bad `groups` option by name", () => {
    expect(() => bootstrapRatio(new Float64Array(3), undefined, { groups: 0 })).toThrow(
      /`groups` must be an integer ≥ 256 .*; received 0/,
    );
    expect(() =>
      pairedDifference({ numerators: new Float64Array(3) }, { numerators: new Float64Array(3) }, { groups: 1.5 }),
    ).toThrow(/`groups` must be an integer ≥ 256 .*; received 1.5/);
    // Too few groups: the bound's level does not hold (the measured rates are in resampling-groups.ts).
    expect(() => bootstrapRatio(new Float64Array(3), undefined, { groups: 255 })).toThrow(
      /`groups` must be an integer ≥ 256 .*; received 255/,
    );
    expect(bootstrapRatio(new Float64Array(3), undefined, { groups: 256 }).groups).toBe(3);
  });
});

describe("with at most `groups` events: the row bootstrap's answers", () => {
  const { u, w } = snipsTerms(3000, 11);
  const other = snipsTerms(3000, 11, 1);

  it("ratio intervals equal the row bootstrap's quantiles to rounding (mean, ratio, replay-like)", () => {
    const kept = Float64Array.from(w, (x) => (x > 0 ? 1 : 0));
    for (const [top, bottom] of [
      [u, undefined],
      [u, w],
      [Float64Array.from(u, (x, i) => (kept[i] ? x / w[i]! : 0)), kept],
    ] as const) {
      const grouped = bootstrapRatio(top, bottom, { resamples: 400, seed: 5 });
      const row = sortedFinite(rowBootstrapRatios({ u: top, v: bottom }, 400, 5));
      expect(grouped.groups).toBe(3000);
      close(grouped.lower, quantile(row, 0.025), 1e-12);
      close(grouped.upper, quantile(row, 0.975), 1e-12);
      expect(grouped.degenerate).toBe(400 - row.length);
    }
  });

  it("the paired bounds (studentized SE* from resampled moments) equal the row computation to 1e-9", () => {
    const paired = pairedDifference(
      { numerators: u, denominators: w },
      { numerators: other.u, denominators: other.w },
      { resamples: 400, seed: 3, alpha: 0.05 },
    );
    const row = rowPairedBounds({ u, v: w }, { u: other.u, v: other.w }, 0.05, 400, 3);
    expect(paired.difference).toBe(row.difference);
    expect(paired.standardError).toBe(row.standardError);
    for (const method of ["studentized", "percentile", "basic"] as const) {
      close(paired.bounds[method], row.bounds[method], 1e-9);
    }
    // IPS-like (v = 1): the same.
    const ips = pairedDifference({ numerators: u }, { numerators: other.u }, { resamples: 300, seed: 4 });
    const rowIps = rowPairedBounds({ u }, { u: other.u }, 0.025, 300, 4);
    close(ips.bounds.studentized, rowIps.bounds.studentized, 1e-9);
  });
});

describe("paired bootstrap where a ratio is undefined", () => {
  it("has no bound when Δ̂ is undefined, and counts the resamples without an estimate as the row bootstrap does", () => {
    const n = 40;
    const u = Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const none = pairedDifference(
      { numerators: new Float64Array(n), denominators: new Float64Array(n) },
      { numerators: u },
      { resamples: 50 },
    );
    expect(none.difference).toBeNaN();
    expect(none.bounds).toEqual({ studentized: Number.NaN, percentile: Number.NaN, basic: Number.NaN });
    expect(none.degenerate).toBe(50);
    // One event in 40 carries the candidate's weight: about e^-1 of the resamples miss it.
    const rare = new Float64Array(n);
    rare[7] = 2;
    const paired = pairedDifference(
      { numerators: rare, denominators: rare },
      { numerators: u },
      { resamples: 300, seed: 2 },
    );
    const row = rowBootstrapRatios({ u: rare, v: rare }, 300, 2);
    expect(paired.degenerate).toBe(row.filter(Number.isNaN).length);
    expect(paired.degenerate).toBeGreaterThan(60);
  });
});

describe("with more events than groups: the row bootstrap's answers within Monte Carlo error", () => {
  // n = 20,000 events in G = 1,024 groups (≈ 20 per group), 12 bootstrap seeds each way.
  const n = 20_000;
  const groups = 1024;
  const resamples = 1000;
  const seeds = Array.from({ length: 12 }, (_, s) => 100 + s);
  const { u, w } = snipsTerms(n, 21);
  const other = snipsTerms(n, 21, 2);

  it("SNIPS interval: standard error and bounds", () => {
    const grouped = seeds.map((seed) => bootstrapRatio(u, w, { resamples, seed, groups }));
    const row = seeds.map((seed) => {
      const sorted = sortedFinite(rowBootstrapRatios({ u, v: w }, resamples, seed));
      const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
      const se = Math.sqrt(sorted.reduce((s, x) => s + (x - mean) ** 2, 0) / (sorted.length - 1));
      return { se, lower: quantile(sorted, 0.025), upper: quantile(sorted, 0.975) };
    });
    expect(grouped[0]!.groups).toBe(groups);
    const se = row.reduce((s, r) => s + r.se, 0) / row.length;
    // Each bootstrap SE has a relative Monte Carlo sd of ≈ 1/√(2B), plus 1/√(2G) from the grouping.
    const relative = Math.sqrt(1 / (2 * resamples) + 1 / (2 * resamples) + 1 / (2 * groups));
    for (let s = 0; s < seeds.length; s++) {
      expect(Math.abs(grouped[s]!.standardError / row[s]!.se - 1)).toBeLessThan(4 * relative);
    }
    // The means over seeds: no bias beyond 4 standard errors of the mean difference.
    const meanOf = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    for (const key of ["lower", "upper"] as const) {
      const differences = seeds.map((_, s) => grouped[s]![key] - row[s]![key]);
      expect(Math.abs(meanOf(differences))).toBeLessThan((4 * sd(differences)) / Math.sqrt(seeds.length));
      // Each within 5 × the Monte Carlo sd of a 2.5% quantile (≈ 0.06 SE per B = 1,000) of both.
      for (const d of differences) expect(Math.abs(d)).toBeLessThan(5 * Math.SQRT2 * 0.06 * se + 1.96 * se * relative);
    }
    const seDifferences = seeds.map((_, s) => grouped[s]!.standardError - row[s]!.se);
    expect(Math.abs(meanOf(seDifferences))).toBeLessThan((4 * sd(seDifferences)) / Math.sqrt(seeds.length));
  });

  it("paired studentized bound on Δ", () => {
    const c = { numerators: u, denominators: w };
    const i = { numerators: other.u, denominators: other.w };
    // Fewer seeds and resamples than above: the row reference costs three passes over the events per resample.
    const few = seeds.slice(0, 8);
    const grouped = few.map((seed) => pairedDifference(c, i, { resamples: 500, seed, groups }));
    const row = few.map((seed) => rowPairedBounds({ u, v: w }, { u: other.u, v: other.w }, 0.025, 500, seed));
    const se = row[0]!.standardError;
    expect(grouped[0]!.standardError).toBe(se);
    for (const method of ["studentized", "percentile"] as const) {
      const differences = few.map((_, s) => grouped[s]!.bounds[method] - row[s]!.bounds[method]);
      const mean = differences.reduce((a, x) => a + x, 0) / differences.length;
      expect(Math.abs(mean)).toBeLessThan((4 * sd(differences)) / Math.sqrt(few.length));
      // A one-sided 2.5% quantile moves by ≈ 0.09 SE between two runs of 500 resamples.
      for (const d of differences) expect(Math.abs(d)).toBeLessThan(0.5 * se);
    }
  });
});

describe("evaluatePolicyPair: one pass equal to the three calls", () => {
  const problem = randomProblem(31, 6, 4);
  for (const n of [2_000, 9_000]) {
    it(`at ${n} events (${n > DEFAULT_MAX_GROUPS ? "grouped" : "every event its own group"})`, () => {
      const events = drawLog(problem, n, 32);
      const candidate = Int32Array.from({ length: n }, (_, i) => (events.contexts[i]! * 3) % 4);
      const incumbent = uniformPolicy(4);
      const rewardModel = new Float64Array(n * 4).fill(0.4);
      const options = { level: 0.9, resamples: 200, seed: 8, rewardModel };
      const both = evaluatePolicyPair(events, candidate, incumbent, { ...options, estimator: "dr" });
      expect(both.candidate).toEqual(evaluateOffPolicy(events, candidate, options));
      expect(both.incumbent).toEqual(evaluateOffPolicy(events, incumbent, options));
      const alone = comparePolicies(events, candidate, incumbent, {
        estimator: "dr",
        rewardModel,
        alpha: (1 - 0.9) / 2,
        resamples: 200,
        seed: 8,
      });
      const { paired, ...rest } = both.comparison;
      const { paired: alonePaired, ...aloneRest } = alone;
      expect(rest).toEqual(aloneRest);
      // Past G events the paired terms are centred on the first G events' ratios, not on θ̂ (not known
      // until the last event): the same sums up to rounding, and the same draws.
      const { standardError, bounds, lowerBound, ...counts } = paired;
      expect(counts).toEqual({ ...alonePaired, standardError: undefined, bounds: undefined, lowerBound: undefined });
      close(standardError, alonePaired.standardError, 1e-12);
      close(bounds.studentized, alonePaired.bounds.studentized, 1e-12);
      expect(bounds.percentile).toBe(alonePaired.bounds.percentile);
      expect(bounds.basic).toBe(alonePaired.bounds.basic);
      close(lowerBound, alonePaired.lowerBound, 1e-12);
      if (n <= DEFAULT_MAX_GROUPS) expect(paired).toEqual(alonePaired);
      expect(both.comparison.paired.groups).toBe(Math.min(n, DEFAULT_MAX_GROUPS));
    });
  }

  it("refuses bad options by name", () => {
    const events = drawLog(problem, 50, 1);
    const policy = new Int32Array(50);
    expect(() => evaluatePolicyPair(events, policy, policy, { estimator: "dr" })).toThrow(/`rewardModel` is required/);
    expect(() => evaluatePolicyPair(events, policy, policy, { alpha: 0.7 })).toThrow(
      /`alpha` must be a number in \(0, 0.5\); received 0.7/,
    );
    expect(() => evaluatePolicyPair(events, policy, policy, { groups: -1 })).toThrow(
      /`groups` must be an integer ≥ 256/,
    );
  });
});
