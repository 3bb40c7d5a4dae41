import { describe, expect, it } from "vitest";
import { generateColumns, generateWorld, plantedOptimum } from "../../src/synthetic/index.js";

const world = generateWorld({ seed: 42 });
const key = plantedOptimum(world);
const models = world.models;

describe("plantedOptimum (the answer key)", () => {
  it("names, per cell, the argmax of its own expected rewards, the runner-up and the gap", () => {
    expect(key.cells).toHaveLength(60);
    for (const cell of key.cells) {
      const ranked = Object.entries(cell.expectedRewards).sort((a, b) => b[1] - a[1]);
      expect(cell.optimal).toBe(ranked[0][0]);
      expect(cell.optimalReward).toBe(ranked[0][1]);
      expect(cell.runnerUp).toBe(ranked[1][0]);
      expect(cell.runnerUpReward).toBe(ranked[1][1]);
      expect(cell.gap).toBeCloseTo(ranked[0][1] - ranked[1][1], 14);
      const shares = Object.entries(cell.loggingShares).sort((a, b) => b[1] - a[1]);
      expect(cell.loggingPreferred).toBe(shares[0][0]);
      expect(Object.values(cell.loggingShares).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    }
    expect(key.loggingPrefersNonOptimal).toBe(key.cells.filter((c) => c.loggingPreferred !== c.optimal).length);
    expect(key.loggingPrefersNonOptimal).toBeGreaterThanOrEqual(30);
    expect(Object.values(key.optimalCellCounts).reduce((s, v) => s + v, 0)).toBe(60);
  });

  it("computes the policy values as the cell-weighted sums of its per-cell values", () => {
    const weighted = (f: (c: (typeof key.cells)[number]) => number): number =>
      key.cells.reduce((sum, c) => sum + c.probability * f(c), 0);
    expect(key.policyValue.optimum).toBeCloseTo(
      weighted((c) => c.optimalReward),
      12,
    );
    expect(key.policyValue.logging).toBeCloseTo(
      weighted((c) => c.loggingReward),
      12,
    );
    const mean = (c: (typeof key.cells)[number]): number =>
      Object.values(c.expectedRewards).reduce((s, v) => s + v, 0) / models.length;
    expect(key.policyValue.uniform).toBeCloseTo(weighted(mean), 12);
    // The logging policy is suboptimal by construction, and better than choosing blindly.
    expect(key.policyValue.optimum).toBeGreaterThan(key.policyValue.logging);
    expect(key.policyValue.logging).toBeGreaterThan(key.policyValue.uniform);
    const gaps = key.cells.map((c) => c.gap).sort((a, b) => a - b);
    expect(key.gaps.min).toBe(gaps[0]);
    expect(key.gaps.max).toBe(gaps[59]);
    expect(key.gaps.median).toBeCloseTo((gaps[29] + gaps[30]) / 2, 14);
  });

  it("is JSON: it survives a round trip unchanged", () => {
    expect(JSON.parse(JSON.stringify(key))).toEqual(key);
  });

  it("agrees with a Monte Carlo estimate from 10⁶ logged rows (inverse propensity weighting)", () => {
    const n = 1_000_000;
    const columns = generateColumns(world, { n, seed: 2024 });
    const cells = world.cells.length;
    const k = models.length;
    // Per (cell, model): sums of w = 1[model]·r/π and w², over the rows of the cell.
    const sum = new Float64Array(cells * k);
    const sumSquares = new Float64Array(cells * k);
    const rowsPerCell = new Float64Array(cells);
    let totalReward = 0;
    let totalRewardSquares = 0;
    let optimumSum = 0;
    let optimumSquares = 0;
    const optimalIndex = key.cells.map((c) => models.indexOf(c.optimal));
    for (let i = 0; i < n; i++) {
      const c = columns.cellIndices[i];
      const w = columns.rewards[i] / columns.propensities[i];
      const j = c * k + columns.modelIndices[i];
      sum[j] += w;
      sumSquares[j] += w * w;
      rowsPerCell[c]++;
      totalReward += columns.rewards[i];
      totalRewardSquares += columns.rewards[i] ** 2;
      if (columns.modelIndices[i] === optimalIndex[c]) {
        optimumSum += w;
        optimumSquares += w * w;
      }
    }
    let zSquares = 0;
    let worstZ = 0;
    key.cells.forEach((cell, c) => {
      models.forEach((model, m) => {
        const j = c * k + m;
        const mean = sum[j] / rowsPerCell[c];
        const variance = sumSquares[j] / rowsPerCell[c] - mean * mean;
        const z = (mean - (cell.expectedRewards[model] as number)) / Math.sqrt(variance / rowsPerCell[c]);
        zSquares += z * z;
        worstZ = Math.max(worstZ, Math.abs(z));
      });
    });
    // 480 estimates: if the key is right, the z-scores are ~standard normal.
    expect(worstZ).toBeLessThan(4.5);
    expect(zSquares / (cells * k)).toBeGreaterThan(0.75);
    expect(zSquares / (cells * k)).toBeLessThan(1.25);

    const loggingMean = totalReward / n;
    const loggingSe = Math.sqrt((totalRewardSquares / n - loggingMean ** 2) / n);
    expect(Math.abs(loggingMean - key.policyValue.logging)).toBeLessThan(4.5 * loggingSe);
    const optimumMean = optimumSum / n;
    const optimumSe = Math.sqrt((optimumSquares / n - optimumMean ** 2) / n);
    expect(Math.abs(optimumMean - key.policyValue.optimum)).toBeLessThan(4.5 * optimumSe);
  });

  it("names the best model that a large-sample IPS estimate picks in every cell whose gap it resolves", () => {
    const n = 1_000_000;
    const columns = generateColumns(world, { n, seed: 77 });
    const k = models.length;
    const optimalIndex = key.cells.map((c) => models.indexOf(c.optimal));
    // Per cell and model m: the paired difference d_i = y_i(optimal) − y_i(m), y_i(m) = 1[m_i = m]·r_i/π_i.
    const sum = new Float64Array(60 * k);
    const sumSquares = new Float64Array(60 * k);
    const rows = new Float64Array(60);
    for (let i = 0; i < n; i++) {
      const c = columns.cellIndices[i];
      const y = columns.rewards[i] / columns.propensities[i];
      const logged = columns.modelIndices[i];
      rows[c]++;
      for (let m = 0; m < k; m++) {
        const d = (logged === optimalIndex[c] ? y : 0) - (logged === m ? y : 0);
        sum[c * k + m] += d;
        sumSquares[c * k + m] += d * d;
      }
    }
    let resolved = 0;
    for (let c = 0; c < 60; c++) {
      let allResolved = true;
      for (let m = 0; m < k; m++) {
        if (m === optimalIndex[c]) continue;
        const mean = sum[c * k + m] / rows[c];
        const se = Math.sqrt((sumSquares[c * k + m] / rows[c] - mean * mean) / rows[c]);
        // Never contradicted: no model is estimated significantly better than the key's best.
        expect(mean, `${key.cells[c].cell}: ${models[m]} vs ${key.cells[c].optimal}`).toBeGreaterThan(-3.5 * se);
        if (mean < 3 * se) allResolved = false;
      }
      if (allResolved) resolved++;
    }
    // Where the estimate resolves every gap, its argmax is the key's best; that is most cells.
    expect(resolved).toBeGreaterThanOrEqual(20);
    // The deviating cells are in the key, and are audited like the others.
    expect(key.deviatingCells.length).toBeGreaterThanOrEqual(10);
  });

  it("rejects something that is not a world", () => {
    expect(() => plantedOptimum({} as never)).toThrow(TypeError);
    expect(() => plantedOptimum(undefined as never)).toThrow(/world/);
  });
});
