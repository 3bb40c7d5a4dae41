// Off-policy evaluation on real logs: the Open Bandit Dataset sample (test/fixtures/obd/README.md).
// The uniform-random logs give the on-policy click rate of the uniform policy; the Thompson-sampling
// logs, with skewed and tiny propensities, must estimate that same rate off-policy.
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  estimateIps,
  evaluateOffPolicy,
  fixedActionPolicy,
  isUniformLogging,
  readLoggedEvents,
  replayEvaluate,
  uniformPolicy,
  type LoggedEvents,
} from "../../src/evaluation/index.js";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/obd/${name}`, import.meta.url));
const ITEMS = 34;
const columns = {
  actionField: "item_id",
  rewardField: "click",
  propensityField: "propensity_score",
  contextFields: ["position"],
  actionCount: ITEMS,
} as const;

let uniformLogs: LoggedEvents;
let thompsonLogs: LoggedEvents;

beforeAll(async () => {
  uniformLogs = await readLoggedEvents(fixture("random-men.csv.gz"), columns);
  thompsonLogs = await readLoggedEvents(fixture("bts-men.csv.gz"), columns);
});

function clickRate(events: LoggedEvents, keep: (i: number) => boolean = () => true): { rate: number; count: number } {
  let clicks = 0;
  let count = 0;
  for (let i = 0; i < events.length; i++) {
    if (!keep(i)) continue;
    clicks += events.rewards[i];
    count++;
  }
  return { rate: clicks / count, count };
}

/** Per-item mean click rate of a log: the direct-method model, one row per event of `target`. */
function perItemClickModel(fitOn: LoggedEvents, target: LoggedEvents): Float64Array {
  const clicks = new Float64Array(ITEMS);
  const shown = new Float64Array(ITEMS);
  for (let i = 0; i < fitOn.length; i++) {
    clicks[fitOn.actions[i]] += fitOn.rewards[i];
    shown[fitOn.actions[i]]++;
  }
  const model = new Float64Array(target.length * ITEMS);
  for (let i = 0; i < target.length; i++) {
    for (let a = 0; a < ITEMS; a++) model[i * ITEMS + a] = shown[a] === 0 ? 0 : clicks[a] / shown[a];
  }
  return model;
}

describe("the fixtures", () => {
  it("hold 10,000 events each, with a position context, and the logging policies the README describes", () => {
    expect(uniformLogs.length).toBe(10_000);
    expect(thompsonLogs.length).toBe(10_000);
    expect(uniformLogs.dimension).toBe(1);
    expect(new Set(uniformLogs.contexts)).toEqual(new Set([1, 2, 3]));
    expect(isUniformLogging(uniformLogs)).toBe(true);
    expect(isUniformLogging(thompsonLogs)).toBe(false);
    expect(Math.min(...thompsonLogs.propensities)).toBeCloseTo(0.000165, 9);
    expect(Math.max(...thompsonLogs.propensities)).toBeCloseTo(0.72529, 9);
  });
});

describe("the uniform policy's click rate, estimated from the Thompson-sampling logs", () => {
  let observed: { rate: number; count: number };
  let result: ReturnType<typeof evaluateOffPolicy>;

  beforeAll(() => {
    observed = clickRate(uniformLogs);
    result = evaluateOffPolicy(thompsonLogs, uniformPolicy(ITEMS), {
      rewardModel: perItemClickModel(thompsonLogs, thompsonLogs),
      seed: 2020,
    });
  });

  // The observed rate is itself an estimate (46 clicks in 10,000), so the honest comparison is of two
  // noisy numbers: their intervals overlap, and they differ by less than 2 combined standard errors.
  it.each([
    "ips",
    "snips",
    "dr",
  ] as const)("%s: its 95%% interval overlaps the observed rate's 95%% interval", (name) => {
    const estimate = result[name]!;
    const onPolicy = estimateIps(uniformLogs, uniformPolicy(ITEMS), { seed: 2020 });
    expect(onPolicy.interval.lower).toBeLessThan(observed.rate);
    expect(onPolicy.interval.upper).toBeGreaterThan(observed.rate);
    expect(estimate.interval.lower).toBeLessThanOrEqual(onPolicy.interval.upper);
    expect(onPolicy.interval.lower).toBeLessThanOrEqual(estimate.interval.upper);
    // Informative, not the whole [0, 1]: the interval is narrower than the click rate itself.
    expect(estimate.interval.upper - estimate.interval.lower).toBeLessThan(observed.rate);
    expect(estimate.interval.lower).toBeGreaterThan(0);
  });

  it.each([
    "ips",
    "snips",
    "dr",
  ] as const)("%s: differs from the observed rate by less than 2 combined standard errors", (name) => {
    const estimate = result[name]!;
    const observedVariance = (observed.rate * (1 - observed.rate)) / observed.count;
    const combined = Math.sqrt(estimate.interval.standardError ** 2 + observedVariance);
    expect(Math.abs(estimate.value - observed.rate)).toBeLessThan(2 * combined);
  });

  it("reports how little the skewed logs are worth: an effective sample size far below 10,000", () => {
    // Weights 1/(34 p) reach 178 for p = 0.000165: a few events dominate.
    expect(result.ips.weights.max).toBeCloseTo(1 / (ITEMS * 0.000165), 6);
    expect(result.ips.effectiveSampleSize).toBeGreaterThan(100);
    expect(result.ips.effectiveSampleSize).toBeLessThan(thompsonLogs.length / 5);
    // Every action has π = 1/34 > 0, so no event gets weight 0.
    expect(result.ips.weights.zeroShare).toBe(0);
    // Weights average 1 in expectation when the propensities are right: within 10%.
    expect(Math.abs(result.ips.weights.mean - 1)).toBeLessThan(0.1);
  });

  it("replay on these logs flags the non-uniform logging", () => {
    expect(result.replay.uniformLogging).toBe(false);
    expect(result.replay.warnings[0]).toMatch(/unbiased only under uniform logging.*0\.000165 to 0\.72529/);
  });

  it("on the uniform logs themselves, IPS is the observed rate exactly and the ESS is every event", () => {
    const onPolicy = estimateIps(uniformLogs, uniformPolicy(ITEMS));
    expect(onPolicy.value).toBeCloseTo(observed.rate, 12);
    expect(onPolicy.effectiveSampleSize).toBeCloseTo(uniformLogs.length, 6);
  });
});

describe("replaying fixed policies on the uniform logs", () => {
  it("always-item-a keeps exactly the events that showed a, and its value is their click rate", () => {
    // The item shown most often in the uniform logs, so it has the most events to keep.
    const shown = new Float64Array(ITEMS);
    for (const a of uniformLogs.actions) shown[a]++;
    const item = shown.indexOf(Math.max(...shown));
    const result = replayEvaluate(uniformLogs, fixedActionPolicy(item, ITEMS));
    const direct = clickRate(uniformLogs, (i) => uniformLogs.actions[i] === item);
    expect(result.uniformLogging).toBe(true);
    expect(result.warnings).toEqual([]);
    expect(result.kept).toBe(direct.count);
    expect(result.value).toBe(direct.rate);
    expect(result.effectiveSampleSize).toBe(direct.count);
    // About 1/34 of the events are kept: within 5 binomial standard deviations.
    const n = uniformLogs.length;
    expect(Math.abs(result.kept - n / ITEMS)).toBeLessThan(5 * Math.sqrt(n * (1 / ITEMS) * (1 - 1 / ITEMS)));
    expect(result.interval.lower).toBeLessThanOrEqual(result.value);
    expect(result.interval.upper).toBeGreaterThanOrEqual(result.value);
  });

  it("a position-dependent policy: replay agrees with a direct count and with IPS on the same logs", () => {
    // Item by position (1, 2, 3 → items 13, 0, 23: the three items Thompson sampling showed most).
    const byPosition = [0, 13, 0, 23];
    const choices = new Int32Array(uniformLogs.length);
    for (let i = 0; i < uniformLogs.length; i++) choices[i] = byPosition[uniformLogs.contexts[i]];
    const replay = replayEvaluate(uniformLogs, choices);
    const direct = clickRate(uniformLogs, (i) => uniformLogs.actions[i] === choices[i]);
    expect(replay.kept).toBe(direct.count);
    expect(replay.value).toBeCloseTo(direct.rate, 12);
    // Under uniform logging IPS = (34/n) Σ kept·click = replay value × kept share × 34.
    const ips = estimateIps(uniformLogs, choices);
    expect(ips.value).toBeCloseTo(replay.value * replay.keptShare * ITEMS, 12);
  });

  it("the same policy estimated from the Thompson-sampling logs: the intervals overlap", () => {
    const byPosition = [0, 13, 0, 23];
    const choicesOn = (events: LoggedEvents) => Int32Array.from(events.contexts, (position) => byPosition[position]);
    const replay = replayEvaluate(uniformLogs, choicesOn(uniformLogs));
    const dr = evaluateOffPolicy(thompsonLogs, choicesOn(thompsonLogs), {
      rewardModel: perItemClickModel(thompsonLogs, thompsonLogs),
    }).dr!;
    expect(replay.interval.lower).toBeLessThanOrEqual(dr.interval.upper);
    expect(dr.interval.lower).toBeLessThanOrEqual(replay.interval.upper);
  });
});
