import { describe, expect, it } from "vitest";
import {
  AGENT_FEATURE_COUNT,
  DIFFICULTY_BUCKETS,
  FeatureIndex,
  SYNTHETIC_DIMENSION,
  SYNTHETIC_EPOCH_MS,
  SYNTHETIC_WINDOW_MS,
  TASK_FEATURE_COUNT,
  TASK_TYPES,
  cellMeanContext,
  generateColumns,
  generateOutcomes,
  generateWorld,
  loggingPropensities,
  outcomeAt,
  rewardOf,
  toEventBatch,
} from "../../src/synthetic/index.js";

const world = generateWorld({ seed: 42 });
const d = SYNTHETIC_DIMENSION;
const models = world.models.length;
// One large sample shared by the statistical tests.
const large = generateColumns(world, { n: 1_000_000 });

describe("generateColumns / generateOutcomes", () => {
  it("is deterministic for a seed (default: the world's) and differs between seeds", () => {
    const a = generateColumns(world, { n: 2000, seed: 42 });
    const b = generateColumns(world, { n: 2000 });
    expect(b).toEqual(a);
    expect(generateOutcomes(world, { n: 300 })).toEqual(generateOutcomes(world, { n: 300, seed: 42 }));
    const c = generateColumns(world, { n: 2000, seed: 43 });
    expect(c.modelIndices).not.toEqual(a.modelIndices);
    expect(c.contexts).not.toEqual(a.contexts);
    expect(generateColumns(world).count).toBe(4000);
  });

  it("writes rows with ids 1…n, non-decreasing created_at inside the 14-day window, and the provenance", () => {
    const rows = generateOutcomes(world, { n: 500, seed: 9 });
    const columns = generateColumns(world, { n: 500, seed: 9 });
    rows.forEach((row, i) => {
      expect(row.id).toBe(i + 1);
      expect(row.source).toBe("synthetic_coldstart_v2");
      expect(row.synthetic).toBe(true);
      expect(row.seed).toBe(9);
      expect(row.affinityVersion).toBe(world.affinityVersion);
      expect(row.judgeModel).toBe("planted_oracle");
      expect(row.judgeScore).toBe(row.reward);
      expect(row.policyVersion).toBeNull();
      expect(row.difficulty).toBe(row.features[FeatureIndex.difficulty]);
      expect(row).toEqual(outcomeAt(world, columns, i));
    });
    const times = rows.map((r) => r.createdAt.getTime());
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThanOrEqual(times[i - 1]);
    expect(times[0]).toBeGreaterThanOrEqual(SYNTHETIC_EPOCH_MS);
    expect(times[times.length - 1]).toBeLessThan(SYNTHETIC_EPOCH_MS + SYNTHETIC_WINDOW_MS);
    // Spread over the window, not bunched at its start.
    expect(times[times.length - 1] - times[0]).toBeGreaterThan(0.95 * SYNTHETIC_WINDOW_MS);
  });

  it("builds each context from the documented layout, and logs the exact propensity of the chosen model", () => {
    const columns = generateColumns(world, { n: 5000, seed: 3 });
    let mismatches = 0;
    for (let i = 0; i < columns.count; i++) {
      const x = columns.contexts.subarray(i * d, i * d + d);
      const cell = world.cells[columns.cellIndices[i]];
      const agent = world.agents[columns.agentIndices[i]];
      const task = TASK_TYPES[cell.taskIndex];
      const bucket = DIFFICULTY_BUCKETS[cell.bucketIndex];
      const problems = [
        x[0] !== 1,
        x[FeatureIndex.difficulty] < bucket.difficulty.start / 1e4,
        x[FeatureIndex.difficulty] >= (bucket.difficulty.start + bucket.difficulty.count) / 1e4,
        x[FeatureIndex.inputSize] < task.inputSize.start / 1e4,
        x[FeatureIndex.inputSize] >= (task.inputSize.start + task.inputSize.count) / 1e4,
        Array.from({ length: AGENT_FEATURE_COUNT }, (_, k) => x[FeatureIndex.agent + k]).join() !==
          agent.features.join(),
        Array.from({ length: TASK_FEATURE_COUNT }, (_, k) => x[FeatureIndex.task + k]).join() !== task.features.join(),
        columns.propensities[i] !== loggingPropensities(world, cell.index, agent.index)[columns.modelIndices[i]],
      ];
      if (problems.some(Boolean)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it("draws outcomes consistently: a refusal is never completed nor hallucinated, and the reward is the reward function's", () => {
    let bad = 0;
    for (let i = 0; i < 100_000; i++) {
      const completed = large.completed[i] === 1;
      const hallucinated = large.hallucinated[i] === 1;
      const refused = large.refused[i] === 1;
      if (refused && (completed || hallucinated)) bad++;
      if (large.rewards[i] !== rewardOf(world.rewardFunction, completed, hallucinated, refused)) bad++;
    }
    expect(bad).toBe(0);
  });

  it("completes about 48% of the requests overall (n = 10⁶)", () => {
    let completed = 0;
    for (let i = 0; i < large.count; i++) completed += large.completed[i];
    const rate = completed / large.count;
    // The expectation is exactly 0.48; the standard error at n = 10⁶ is 0.0005.
    expect(Math.abs(rate - 0.48)).toBeLessThan(0.0025);
  });

  it("logs each model as often as its propensities say", () => {
    // Given the contexts, the expected count of model m in a cell is the sum of π(m | row's context).
    const expected = new Float64Array(world.cells.length * models);
    const observed = new Float64Array(world.cells.length * models);
    for (let i = 0; i < large.count; i++) {
      const p = world.propensities;
      const base = (large.cellIndices[i] * world.agents.length + large.agentIndices[i]) * models;
      for (let m = 0; m < models; m++) expected[large.cellIndices[i] * models + m] += p[base + m];
      observed[large.cellIndices[i] * models + large.modelIndices[i]]++;
    }
    let chiSquare = 0;
    let worstZ = 0;
    for (let j = 0; j < expected.length; j++) {
      chiSquare += (observed[j] - expected[j]) ** 2 / expected[j];
      worstZ = Math.max(worstZ, Math.abs(observed[j] - expected[j]) / Math.sqrt(expected[j]));
    }
    // 480 (cell, model) counts: chi-square with ~420 degrees of freedom; its 99.9% quantile is ~515.
    expect(chiSquare).toBeLessThan(515);
    expect(worstZ).toBeLessThan(4.5);
  });

  it("draws each cell's contexts with the mean the world documents", () => {
    const sums = new Float64Array(world.cells.length * d);
    const counts = new Float64Array(world.cells.length);
    for (let i = 0; i < large.count; i++) {
      const c = large.cellIndices[i];
      counts[c]++;
      for (let k = 0; k < d; k++) sums[c * d + k] += large.contexts[i * d + k];
    }
    let worst = 0;
    for (const cell of world.cells) {
      const mean = cellMeanContext(world, cell.id);
      for (let k = 0; k < d; k++)
        worst = Math.max(worst, Math.abs(sums[cell.index * d + k] / counts[cell.index] - mean[k]));
      // The cell's share of rows matches its documented probability.
      expect(Math.abs(counts[cell.index] / large.count - cell.probability)).toBeLessThan(
        5 * Math.sqrt(cell.probability / large.count),
      );
    }
    // ~16,000 rows per cell; features lie in [0, 1], so 0.02 is several standard errors.
    expect(worst).toBeLessThan(0.02);
  });

  it("gives the columnar batch a refit takes, sharing the context buffer", () => {
    const columns = generateColumns(world, { n: 1000, seed: 5 });
    const batch = toEventBatch(world, columns);
    expect(batch.contexts).toBe(columns.contexts);
    expect(batch.rewards).toBe(columns.rewards);
    expect(batch.propensities).toBe(columns.propensities);
    expect(batch.cells).toHaveLength(1000);
    const rows = generateOutcomes(world, { n: 1000, seed: 5 });
    expect(batch.cells).toEqual(rows.map((r) => r.cell));
    expect(batch.arms).toEqual(rows.map((r) => r.model));
  });

  it("rejects bad options and arguments with clear errors", () => {
    expect(() => generateColumns(world, { n: -1 })).toThrow(/options\.n.*-1/);
    expect(() => generateColumns(world, { n: 2.5 })).toThrow(RangeError);
    expect(() => generateColumns(world, { n: "10" as never })).toThrow(TypeError);
    expect(() => generateColumns(world, { n: 1e9 })).toThrow(/options\.n/);
    expect(() => generateColumns(world, { seed: -3 })).toThrow(/options\.seed.*-3/);
    expect(() => generateOutcomes(world, null as never)).toThrow(/options/);
    expect(() => generateColumns({ seed: 1 } as never)).toThrow(/world/);
    expect(() => outcomeAt(world, generateColumns(world, { n: 3 }), 3)).toThrow(/`i`.*\[0, 2\].*3/);
    expect(generateColumns(world, { n: 0 }).count).toBe(0);
  });
});
