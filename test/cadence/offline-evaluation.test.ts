import { beforeAll, describe, expect, it } from "vitest";
import {
  compareOnHeldOut,
  heldOutBatch,
  HeldOutEvaluation,
  policyChoices,
  prodGate,
  rewardModelOf,
  type HeldOutSlice,
} from "../../src/cadence/index.js";
import { createLinUCB } from "../../src/engine/linucb.js";
import type { LinUCBEngine } from "../../src/engine/types.js";
import { comparePolicies, evaluateOffPolicy, uniformPolicy } from "../../src/evaluation/index.js";
import type { CorpusChunk } from "../../src/store/index.js";
import { generateColumns, generateWorld, syntheticEngineOptions, toEventBatch } from "../../src/synthetic/index.js";

const world = generateWorld({ seed: 11 });
const columns = generateColumns(world, { n: 3000, seed: 11 });
const batch = toEventBatch(world, columns);
const TRAIN = 2400;
const d = world.dimension;

/** Rows [from, to) of the generated log as a corpus chunk (what the store's reader yields). */
function chunkOf(from: number, to: number): CorpusChunk {
  const length = to - from;
  return {
    length,
    dimension: d,
    ids: Float64Array.from({ length }, (_, i) => from + i + 1),
    cells: batch.cells.slice(from, to),
    arms: batch.arms.slice(from, to),
    contexts: batch.contexts.slice(from * d, to * d),
    rewards: batch.rewards.slice(from, to),
    propensities: batch.propensities.slice(from, to),
    createdAtMs: columns.createdAtMs.slice(from, to),
    rejected: [],
    unjudged: 0,
    scanned: length,
    lastId: to,
  };
}

describe("offline evaluation of a refitted engine", () => {
  let engine: LinUCBEngine;
  let slice: HeldOutSlice;

  beforeAll(async () => {
    engine = await createLinUCB(syntheticEngineOptions(world));
    engine.refit({
      cells: batch.cells.slice(0, TRAIN),
      arms: batch.arms.slice(0, TRAIN),
      contexts: batch.contexts.subarray(0, TRAIN * d),
      rewards: batch.rewards.subarray(0, TRAIN),
    });
    slice = heldOutBatch(chunkOf(TRAIN, 3000), world.models);
  });

  it("turns a held-out chunk into logged events in order, with their cells", () => {
    expect(slice.events.length).toBe(600);
    expect(slice.cells).toEqual(batch.cells.slice(TRAIN));
    expect(Array.from(slice.events.rewards)).toEqual(Array.from(batch.rewards.subarray(TRAIN)));
    expect(Array.from(slice.events.actions)).toEqual(batch.arms.slice(TRAIN).map((arm) => world.models.indexOf(arm)));
    expect(Array.from(slice.events.contexts)).toEqual(Array.from(batch.contexts.subarray(TRAIN * d)));
  });

  it("never changes the engine it evaluates (no cell created, same snapshot)", () => {
    const before = engine.snapshot();
    const elsewhere = { ...slice, cells: slice.cells.map(() => "a-cell-never-seen") };
    policyChoices(engine, elsewhere);
    rewardModelOf(engine, elsewhere);
    expect(engine.hasCell("a-cell-never-seen")).toBe(false);
    expect(engine.snapshot()).toEqual(before);
  });

  it("evaluates the engine as its UCB argmax and models rewards as θᵀx", async () => {
    const choices = policyChoices(engine, slice);
    const predicted = rewardModelOf(engine, slice);
    const k = world.models.length;
    for (const i of [0, 17, 599]) {
      const context = slice.events.contexts.subarray(i * d, i * d + d);
      const scores = engine.scores(slice.cells[i]!, context);
      let best = 0;
      for (let a = 1; a < k; a++) if (scores[a]! > scores[best]!) best = a;
      expect(choices[i]).toBe(best);
      for (let a = 0; a < k; a++) {
        const theta = engine.model(slice.cells[i]!, world.models[a]!).theta;
        let dot = 0;
        for (let j = 0; j < d; j++) dot += theta[j]! * context[j]!;
        expect(predicted[i * k + a]).toBeCloseTo(dot, 9);
      }
    }
  });

  it("compares candidate and incumbent with the same estimators, seed and reward model", async () => {
    const settings = { level: 0.9, resamples: 300, seed: 5 };
    const comparison = compareOnHeldOut(engine, "uniform", slice, settings);
    const rewardModel = rewardModelOf(engine, slice);
    const direct = evaluateOffPolicy(slice.events, policyChoices(engine, slice), { ...settings, rewardModel });
    expect(comparison.candidate).toEqual(direct);
    expect(comparison.incumbent).toEqual(
      evaluateOffPolicy(slice.events, uniformPolicy(k()), { ...settings, rewardModel }),
    );
    // One bootstrap pass for all three: the paired comparison equals comparePolicies' on the same seed.
    expect(comparison.paired).toEqual(
      comparePolicies(slice.events, policyChoices(engine, slice), uniformPolicy(k()), {
        rewardModel,
        alpha: (1 - 0.9) / 2,
        resamples: 300,
        seed: 5,
      }),
    );
    expect(comparison.paired.estimator).toBe("snips");
    expect(comparison.paired.paired.alpha).toBeCloseTo(0.05, 12);
    expect(comparison.paired.paired.candidateValue).toBeCloseTo(comparison.candidate.snips.value, 12);
    expect(comparison.paired.paired.incumbentValue).toBeCloseTo(comparison.incumbent.snips.value, 12);
    expect(comparison.loggedValue).toBeCloseTo(Array.from(slice.events.rewards).reduce((s, r) => s + r, 0) / 600, 12);
    // An engine compared with itself is not better than itself.
    const self = compareOnHeldOut(engine, engine, slice, settings);
    expect(self.incumbent.snips.value).toBe(self.candidate.snips.value);
    expect(self.paired.paired.difference).toBe(0);
    expect(self.paired.paired.lowerBound).toBe(0);
    expect(prodGate(self.paired, { margin: 0, minEffectiveSampleSize: 0 }).passed).toBe(false);
    expect(() =>
      compareOnHeldOut(engine, "uniform", { ...slice, events: { ...slice.events, length: 0 } }, settings),
    ).toThrow(/held-out slice is empty/);
  });

  it("streams: the held-out chunks one by one give the comparison of the slice whole", () => {
    const settings = { level: 0.95, resamples: 200, seed: 9 };
    for (const incumbent of ["uniform", engine] as const) {
      const whole = compareOnHeldOut(engine, incumbent, slice, settings);
      const streamed = new HeldOutEvaluation({
        candidate: engine,
        incumbent,
        arms: world.models,
        settings,
        expectedRows: 600,
      });
      for (const [from, to] of [
        [TRAIN, 2401],
        [2401, 2650],
        [2650, 3000],
      ] as const) {
        streamed.add(heldOutBatch(chunkOf(from, to), world.models));
      }
      expect(streamed.events).toBe(600);
      expect(streamed.finish()).toEqual(whole);
    }
    const empty = new HeldOutEvaluation({
      candidate: engine,
      incumbent: "uniform",
      arms: world.models,
      settings,
      expectedRows: 5,
    });
    expect(() => empty.finish()).toThrow(/held-out slice is empty/);
  });
});

function k(): number {
  return world.models.length;
}
