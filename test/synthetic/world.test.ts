import { describe, expect, it } from "vitest";
import {
  DIFFICULTY_BUCKETS,
  FeatureIndex,
  MAX_GAP,
  MIN_GAP,
  SYNTHETIC_DIMENSION,
  TASK_TYPES,
  cellAgentMeanContext,
  cellExpectedRewards,
  cellLoggingShares,
  generateWorld,
  loggingPropensities,
  plantedExpectedReward,
  plantedProbabilities,
  plantedRewardCoefficients,
  type SyntheticWorld,
} from "../../src/synthetic/index.js";

const SEEDS = [42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 123_456, 4_294_967_295];
const worlds = new Map<number, SyntheticWorld>(SEEDS.map((seed) => [seed, generateWorld({ seed })]));
const world42 = worlds.get(42) as SyntheticWorld;

function ranked(world: SyntheticWorld, cell: number): { best: number; second: number; values: Float64Array } {
  const values = cellExpectedRewards(world, cell);
  const order = [...values.keys()].sort((a, b) => values[b] - values[a]);
  return { best: order[0], second: order[1], values };
}

describe("generateWorld", () => {
  it("is deterministic for a seed (default 42) and differs between seeds", () => {
    const again = generateWorld({ seed: 42 });
    expect(again.rewardCoefficients).toEqual(world42.rewardCoefficients);
    expect(again.propensities).toEqual(world42.propensities);
    expect(again.agents).toEqual(world42.agents);
    expect(generateWorld().rewardCoefficients).toEqual(world42.rewardCoefficients);
    expect(generateWorld().seed).toBe(42);
    const other = worlds.get(1) as SyntheticWorld;
    expect(other.rewardCoefficients).not.toEqual(world42.rewardCoefficients);
    expect(other.agents.map((a) => a.features)).not.toEqual(world42.agents.map((a) => a.features));
  });

  it("has 24 agents, 8 models, 60 cells (12 task types × 5 difficulty buckets), and the documented dimension", () => {
    expect(world42.agents).toHaveLength(24);
    expect(world42.models).toHaveLength(8);
    expect(world42.cells).toHaveLength(60);
    expect(new Set(world42.cells.map((c) => c.id)).size).toBe(60);
    expect(world42.dimension).toBe(SYNTHETIC_DIMENSION);
    expect(world42.featureNames).toHaveLength(SYNTHETIC_DIMENSION);
    expect(world42.cells.reduce((sum, c) => sum + c.probability, 0)).toBeCloseTo(1, 12);
    expect(world42.agents.reduce((sum, a) => sum + a.activity, 0)).toBeCloseTo(1, 12);
    for (const cell of world42.cells) {
      expect(cell.agentShares.reduce((sum, p) => sum + p, 0)).toBeCloseTo(1, 12);
      expect(cell.id).toBe(`${cell.taskType}:${cell.bucket}`);
    }
  });

  it("has a reward coefficient θ(c, m) = β_c − h·β_h − r·β_r for every cell and model", () => {
    for (const world of worlds.values()) {
      const { hallucinationPenalty: h, refusalPenalty: r } = world.rewardFunction;
      let worst = 0;
      for (let i = 0; i < world.rewardCoefficients.length; i++) {
        const expected =
          world.completionCoefficients[i] - h * world.hallucinationCoefficients[i] - r * world.refusalCoefficients[i];
        worst = Math.max(worst, Math.abs(world.rewardCoefficients[i] - expected));
      }
      expect(worst).toBeLessThan(1e-12);
    }
  });

  it("shares structure: θ(c, m) − θ(c', m) is zero everywhere but the intercept (the per-cell offset ρ)", () => {
    const models = world42.models.length;
    for (let m = 0; m < models; m++) {
      const first = plantedRewardCoefficients(world42, 0, m);
      for (let c = 1; c < world42.cells.length; c++) {
        const theta = plantedRewardCoefficients(world42, c, m);
        for (let k = 1; k < SYNTHETIC_DIMENSION; k++) expect(theta[k]).toBe(first[k]);
        expect(theta[0] - first[0]).toBeCloseTo(world42.cellOffsets[c * models + m] - world42.cellOffsets[m], 12);
      }
    }
    // Offsets are the ±0.05 idiosyncratic noise, except at planted local champions and at the best
    // model of a gap-shaped cell.
    for (const cell of world42.cells) {
      const best = ranked(world42, cell.index).best;
      for (let m = 0; m < models; m++) {
        if (Math.abs(world42.cellOffsets[cell.index * models + m]) <= 0.0500001) continue;
        expect(m === world42.localChampions[cell.index] || m === best, `${cell.id} model ${m}`).toBe(true);
      }
    }
    const champions = [...world42.localChampions].filter((m) => m >= 0).length;
    expect(champions).toBeGreaterThanOrEqual(8);
  });

  it("keeps every planted probability inside [0.005, 0.99] for every agent and request of every cell", () => {
    // Linear in difficulty and input size, so the corners of their ranges bound every request.
    for (const world of worlds.values()) {
      let low = Infinity;
      let high = -Infinity;
      let sumCompletedRefused = -Infinity;
      let sumHallucinatedRefused = -Infinity;
      for (const cell of world.cells) {
        const difficulty = DIFFICULTY_BUCKETS[cell.bucketIndex].difficulty;
        const input = TASK_TYPES[cell.taskIndex].inputSize;
        const difficulties = [difficulty.start / 1e4, (difficulty.start + difficulty.count - 1) / 1e4];
        const inputs = [input.start / 1e4, (input.start + input.count - 1) / 1e4];
        for (const agent of world.agents) {
          const x = cellAgentMeanContext(world, cell.id, agent.id);
          for (const dValue of difficulties) {
            for (const sValue of inputs) {
              x[FeatureIndex.difficulty] = dValue;
              x[FeatureIndex.inputSize] = sValue;
              for (const model of world.models) {
                const p = plantedProbabilities(world, cell.id, model, x);
                low = Math.min(low, p.completed, p.hallucinated, p.refused);
                high = Math.max(high, p.completed, p.hallucinated, p.refused);
                sumCompletedRefused = Math.max(sumCompletedRefused, p.completed + p.refused);
                sumHallucinatedRefused = Math.max(sumHallucinatedRefused, p.hallucinated + p.refused);
              }
            }
          }
        }
      }
      expect(low).toBeGreaterThanOrEqual(0.005);
      expect(high).toBeLessThanOrEqual(0.99);
      expect(sumCompletedRefused).toBeLessThanOrEqual(1);
      expect(sumHallucinatedRefused).toBeLessThanOrEqual(1);
    }
  });

  it("spreads the best-vs-runner-up gaps over a realistic range in every seed", () => {
    for (const world of worlds.values()) {
      const gaps = world.cells.map((cell) => {
        const { best, second, values } = ranked(world, cell.index);
        return values[best] - values[second];
      });
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(MIN_GAP - 1e-12);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(MAX_GAP + 1e-12);
      // Several cells within a few points, and several well separated.
      expect(gaps.filter((g) => g < 0.04).length).toBeGreaterThanOrEqual(4);
      expect(gaps.filter((g) => g > 0.08).length).toBeGreaterThanOrEqual(8);
    }
  });

  it("spreads the optimum over the models: no model is optimal everywhere", () => {
    for (const world of worlds.values()) {
      const counts = new Array<number>(world.models.length).fill(0);
      for (const cell of world.cells) counts[ranked(world, cell.index).best]++;
      expect(counts.filter((c) => c > 0).length).toBeGreaterThanOrEqual(4);
      expect(Math.max(...counts)).toBeLessThanOrEqual(world.cells.length / 2);
    }
  });

  it("has a logging policy with propensities ≥ 0.02 that sum to 1, preferring a non-optimal model in ≥ half of the cells", () => {
    for (const world of worlds.values()) {
      let misled = 0;
      for (const cell of world.cells) {
        for (const agent of world.agents) {
          const p = loggingPropensities(world, cell.id, agent.id);
          expect(Math.min(...p)).toBeGreaterThanOrEqual(0.02 - 1e-15);
          expect(p.reduce((sum, v) => sum + v, 0)).toBeCloseTo(1, 12);
        }
        const shares = cellLoggingShares(world, cell.id);
        const preferred = shares.indexOf(Math.max(...shares));
        if (preferred !== ranked(world, cell.index).best) misled++;
      }
      expect(misled).toBeGreaterThanOrEqual(world.cells.length / 2);
    }
  });

  it("honours a higher logging floor and a greedier temperature, still misleading half of the cells", () => {
    const world = generateWorld({ seed: 3, loggingFloor: 0.05, loggingTemperature: 0.01 });
    expect(Math.min(...world.propensities)).toBeGreaterThanOrEqual(0.05 - 1e-15);
    expect(Math.max(...world.propensities)).toBeGreaterThan(0.5);
    let misled = 0;
    for (const cell of world.cells) {
      const shares = cellLoggingShares(world, cell.id);
      if (shares.indexOf(Math.max(...shares)) !== ranked(world, cell.index).best) misled++;
    }
    expect(misled).toBeGreaterThanOrEqual(30);
  });

  it("calibrates the expected completion rate under the logging policy to the target exactly", () => {
    for (const [options, target] of [
      [{ seed: 42 }, 0.48],
      [{ seed: 5, completionRate: 0.3 }, 0.3],
    ] as const) {
      const world = generateWorld(options);
      let expected = 0;
      for (const cell of world.cells) {
        for (const agent of world.agents) {
          const x = cellAgentMeanContext(world, cell.id, agent.id);
          const p = loggingPropensities(world, cell.id, agent.id);
          world.models.forEach((model, m) => {
            expected +=
              cell.probability *
              cell.agentShares[agent.index] *
              p[m] *
              plantedProbabilities(world, cell.id, model, x).completed;
          });
        }
      }
      expect(expected).toBeCloseTo(target, 10);
    }
  });

  it("changes the planted rewards, not the completion model, with the reward function", () => {
    const lenient = generateWorld({ seed: 42, reward: { hallucinationPenalty: 0, refusalPenalty: 0 } });
    const x = cellAgentMeanContext(lenient, 0, 0);
    const p = plantedProbabilities(lenient, 0, 0, x);
    expect(plantedExpectedReward(lenient, 0, 0, x)).toBeCloseTo(p.completed, 12);
    const harsh = generateWorld({ seed: 42, reward: { hallucinationPenalty: 1, refusalPenalty: 1 } });
    const q = plantedProbabilities(harsh, 0, 0, x);
    expect(plantedExpectedReward(harsh, 0, 0, x)).toBeCloseTo(q.completed - q.hallucinated - q.refused, 12);
  });

  it("rejects bad options with errors that name the option and the value", () => {
    expect(() => generateWorld({ seed: -1 })).toThrow(RangeError);
    expect(() => generateWorld({ seed: -1 })).toThrow(/options\.seed.*-1/);
    expect(() => generateWorld({ seed: 1.5 })).toThrow(/options\.seed.*1\.5/);
    expect(() => generateWorld({ seed: 2 ** 32 })).toThrow(RangeError);
    expect(() => generateWorld({ seed: "42" as never })).toThrow(TypeError);
    expect(() => generateWorld({ completionRate: 0.9 })).toThrow(/options\.completionRate.*0\.9/);
    expect(() => generateWorld({ loggingFloor: 0.2 })).toThrow(/options\.loggingFloor.*0\.2/);
    expect(() => generateWorld({ loggingFloor: 0 })).toThrow(RangeError);
    expect(() => generateWorld({ loggingFloor: 0.125 })).toThrow(/options\.loggingFloor.*0\.125/);
    expect(() => generateWorld({ loggingTemperature: 0 })).toThrow(/options\.loggingTemperature/);
    expect(() => generateWorld({ loggingTemperature: Number.NaN })).toThrow(RangeError);
    expect(() => generateWorld({ reward: { hallucinationPenalty: -1 } })).toThrow(
      /options\.reward\.hallucinationPenalty.*-1/,
    );
    expect(() => generateWorld({ reward: "strict" as never })).toThrow(/options\.reward.*strict/);
    expect(() => generateWorld(7 as never)).toThrow(TypeError);
  });

  it("rejects bad arguments of the accessors with clear errors", () => {
    expect(() => plantedExpectedReward(world42, "nope:hard", 0, new Float64Array(SYNTHETIC_DIMENSION))).toThrow(
      /cell.*"nope:hard"/,
    );
    expect(() => plantedExpectedReward(world42, 0, 8, new Float64Array(SYNTHETIC_DIMENSION))).toThrow(
      /model.*\[0, 7\].*8/,
    );
    expect(() => plantedExpectedReward(world42, 0, 0, new Float64Array(3))).toThrow(/context.*length 10.*3/);
    expect(() => plantedExpectedReward(world42, 0, 0, [1, 2, 3, 4, 5, 6, 7, 8, 9, Number.NaN])).toThrow(/context\[9\]/);
    expect(() => loggingPropensities(world42, 0, "agent-99")).toThrow(/agent.*"agent-99"/);
    expect(() => cellExpectedRewards({} as never, 0)).toThrow(/world/);
  });
});
