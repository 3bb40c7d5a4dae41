// Importance weights and their diagnostics.
import { describe, expect, it } from "vitest";
import { effectiveSampleSize, importanceWeights, weightDiagnostics } from "../../src/evaluation/index.js";

describe("effectiveSampleSize (Kish)", () => {
  it("is n for equal weights, about 1 for one dominant weight, 0 for all zeros", () => {
    expect(effectiveSampleSize(new Float64Array(50).fill(3))).toBeCloseTo(50, 12);
    expect(effectiveSampleSize([1000, 1, 1, 1])).toBeLessThan(1.01);
    expect(effectiveSampleSize([0, 0])).toBe(0);
    // k equal non-zero weights among n: ESS = k.
    expect(effectiveSampleSize([2, 2, 0, 0, 2])).toBeCloseTo(3, 12);
  });
});

describe("importanceWeights and weightDiagnostics", () => {
  const target = new Float64Array([1, 0, 0.5, 1]);
  const propensities = new Float64Array([0.5, 0.5, 0.1, 0.02]);

  it("divides the target probability by the propensity, and clips", () => {
    expect([...importanceWeights(target, propensities)]).toEqual([2, 0, 5, 50]);
    expect([...importanceWeights(target, propensities, 10)]).toEqual([2, 0, 5, 10]);
  });

  it("summarises max, mean, zero share and clipped count", () => {
    const unclipped = importanceWeights(target, propensities);
    const clipped = importanceWeights(target, propensities, 10);
    expect(weightDiagnostics(unclipped)).toEqual({
      effectiveSampleSize: 57 ** 2 / (4 + 25 + 2500),
      mean: 57 / 4,
      max: 50,
      zeroShare: 0.25,
      clipped: 0,
      clip: Infinity,
    });
    expect(weightDiagnostics(clipped, 10, unclipped)).toMatchObject({ max: 10, clipped: 1, clip: 10 });
  });
});
