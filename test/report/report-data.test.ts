import { beforeAll, describe, expect, it } from "vitest";
import {
  policyChoices,
  RoutingCollector,
  routingSummary,
  type HeldOutSlice,
  type RoutingSummary,
} from "../../src/cadence/index.js";
import { createLinUCB } from "../../src/engine/linucb.js";
import type { LinUCBEngine } from "../../src/engine/types.js";
import { createLoggedEvents } from "../../src/evaluation/index.js";
import { generateColumns, generateWorld, syntheticEngineOptions, toEventBatch } from "../../src/synthetic/index.js";

const world = generateWorld({ seed: 11 });
const batch = toEventBatch(world, generateColumns(world, { n: 3000, seed: 11 }));
const d = world.dimension;
const TRAIN = 2400;

/** Rows [from, to) of the log as a held-out slice. */
function sliceOf(from: number, to: number): HeldOutSlice {
  const events = createLoggedEvents({
    actions: batch.arms.slice(from, to),
    actionIds: world.models,
    rewards: batch.rewards.subarray(from, to),
    propensities: batch.propensities.subarray(from, to),
    contexts: batch.contexts.subarray(from * d, to * d),
    dimension: d,
  });
  return { events, cells: batch.cells.slice(from, to) };
}

async function fitted(from: number, to: number): Promise<LinUCBEngine> {
  const engine = await createLinUCB(syntheticEngineOptions(world));
  engine.refit({
    cells: batch.cells.slice(from, to),
    arms: batch.arms.slice(from, to),
    contexts: batch.contexts.subarray(from * d, to * d),
    rewards: batch.rewards.subarray(from, to),
  });
  return engine;
}

describe("routing summary", () => {
  let candidate: LinUCBEngine;
  let incumbent: LinUCBEngine;
  let slice: HeldOutSlice;
  let summary: RoutingSummary;

  beforeAll(async () => {
    candidate = await fitted(0, TRAIN);
    incumbent = await fitted(0, 600);
    slice = sliceOf(TRAIN, 3000);
    summary = await routingSummary({ candidate, incumbent, slice });
  });

  it("gives each cell of the slice, sorted, with its requests", () => {
    const cells = [...new Set(slice.cells)].sort();
    expect(summary.cells.map((c) => c.cell)).toEqual(cells);
    expect(summary.requests).toBe(600);
    expect(summary.cells.reduce((n, c) => n + c.requests, 0)).toBe(600);
    expect(summary.models).toEqual(world.models);
  });

  it("takes each policy's greedy choice at the cell's mean held-out context: argmax of θᵀx̄", () => {
    for (const c of summary.cells.slice(0, 12)) {
      const rows = slice.cells.flatMap((cell, i) => (cell === c.cell ? [i] : []));
      const mean = new Float64Array(d);
      for (const i of rows) for (let k = 0; k < d; k++) mean[k]! += slice.events.contexts[i * d + k]! / rows.length;
      const greedy = (engine: LinUCBEngine): string => {
        let best = 0;
        let bestValue = -Infinity;
        engine.arms.forEach((arm, a) => {
          const theta = engine.model(c.cell, arm).theta;
          const value = theta.reduce((sum, t, k) => sum + t * mean[k]!, 0);
          if (value > bestValue + 1e-12) [best, bestValue] = [a, value];
        });
        return engine.arms[best]!;
      };
      expect(c.candidate, c.cell).toBe(greedy(candidate));
      expect(c.incumbent, c.cell).toBe(greedy(incumbent));
    }
    // Policies fitted on different data disagree somewhere: the comparison is not vacuous.
    expect(summary.cells.some((c) => c.candidate !== c.incumbent)).toBe(true);
  });

  it("counts the logged requests per (cell, model) and their ESS from the weights 1/propensity", () => {
    const c = summary.cells[0]!;
    const rows = slice.cells.flatMap((cell, i) => (cell === c.cell ? [i] : []));
    world.models.forEach((_, a) => {
      const weights = rows.filter((i) => slice.events.actions[i] === a).map((i) => 1 / slice.events.propensities[i]!);
      const sum = weights.reduce((s, w) => s + w, 0);
      const squares = weights.reduce((s, w) => s + w * w, 0);
      expect(c.logged[a]).toBe(weights.length);
      expect(c.ess[a]).toBeCloseTo(weights.length === 0 ? 0 : (sum * sum) / squares, 10);
    });
    expect(summary.cells.reduce((n, cell) => n + cell.logged.reduce((s, r) => s + r, 0), 0)).toBe(600);
  });

  it("shares traffic as logged, and as each engine's UCB choice per request", async () => {
    const count = (choices: ArrayLike<number>, a: number): number =>
      Array.from(choices).filter((x) => x === a).length / 600;
    world.models.forEach((_, a) => {
      expect(summary.traffic.logging[a]).toBeCloseTo(count(slice.events.actions, a), 12);
    });
    const choices = await policyChoices(candidate, slice);
    world.models.forEach((_, a) => expect(summary.traffic.candidate[a]).toBeCloseTo(count(choices, a), 12));
    for (const shares of Object.values(summary.traffic))
      expect(shares.reduce((s: number, x: number) => s + x, 0)).toBeCloseTo(1, 12);
  });

  it("has no per-cell choice for the uniform policy and spreads its traffic evenly", async () => {
    const uniform = await routingSummary({ candidate, incumbent: "uniform", slice });
    expect(uniform.cells.every((c) => c.incumbent === null)).toBe(true);
    expect(uniform.traffic.incumbent).toEqual(world.models.map(() => 1 / world.models.length));
    expect(uniform.cells.map((c) => c.candidate)).toEqual(summary.cells.map((c) => c.candidate));
  });

  it("streams: chunks summed one by one give the summary of the slice whole", () => {
    const collector = new RoutingCollector(world.models, d, 0);
    for (const [from, to] of [
      [TRAIN, 2401],
      [2401, 2777],
      [2777, 3000],
    ] as const) {
      const part = sliceOf(from, to);
      collector.add(part, policyChoices(incumbent, part));
    }
    expect(collector.length).toBe(600);
    const streamed = collector.finish(candidate, incumbent);
    const { traffic, cells, ...rest } = streamed;
    expect(rest).toEqual({ models: summary.models, requests: summary.requests });
    expect(traffic).toEqual(summary.traffic);
    expect(cells).toEqual(summary.cells);
    // Finishing changes nothing collected: a second finish gives the same summary.
    expect(collector.finish(candidate, incumbent)).toEqual(streamed);
  });

  it("can be finished part-way and go on collecting: the totals stay sums", async () => {
    const collector = new RoutingCollector(world.models, d, 0);
    const first = sliceOf(TRAIN, 2500);
    collector.add(first, policyChoices(incumbent, first));
    const partWay = collector.finish(candidate, incumbent);
    expect(partWay.cells).toEqual((await routingSummary({ candidate, incumbent, slice: first })).cells);
    const rest = sliceOf(2500, 3000);
    collector.add(rest, policyChoices(incumbent, rest));
    const whole = collector.finish(candidate, incumbent);
    expect(whole.cells).toEqual(summary.cells);
    expect(whole.traffic).toEqual(summary.traffic);
  });

  it("counts the new policy's traffic on a uniform sample past the sample's size, the rest exactly", () => {
    // A sample of 150 of the 600 requests (the sample's size is given in context values: d per request).
    const collector = new RoutingCollector(world.models, d, 3, 150 * d);
    collector.add(slice, policyChoices(incumbent, slice));
    const sampled = collector.finish(candidate, incumbent);
    expect(sampled.traffic.logging).toEqual(summary.traffic.logging);
    expect(sampled.traffic.incumbent).toEqual(summary.traffic.incumbent);
    expect(sampled.cells).toEqual(summary.cells);
    expect(sampled.traffic.candidate.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    // 150 of 600 drawn without replacement: a share's standard error is √(p(1 − p)/150 · 450/599) ≤ 0.036.
    sampled.traffic.candidate.forEach((share, a) =>
      expect(Math.abs(share - summary.traffic.candidate[a]!)).toBeLessThan(4 * 0.036),
    );
    expect(sampled.traffic.candidate).not.toEqual(summary.traffic.candidate);
  });

  it("leaves the engines as they were, even for cells they have never seen", async () => {
    const before = [candidate.cells().length, incumbent.cells().length];
    const unseen = { ...slice, cells: slice.cells.map((cell, i) => (i % 2 === 0 ? "a-cell-never-seen" : cell)) };
    const result = await routingSummary({ candidate, incumbent, slice: unseen });
    expect(result.cells.some((c) => c.cell === "a-cell-never-seen")).toBe(true);
    expect([candidate.cells().length, incumbent.cells().length]).toEqual(before);
  });
});
