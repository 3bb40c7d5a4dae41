import { describe, expect, it } from "vitest";
import {
  SYNTHETIC_DIMENSION,
  convergenceReport,
  generateColumns,
  generateWorld,
  pooledLimitChoices,
  pooledLimitCoefficients,
  type ConvergenceEngine,
  type SyntheticColumns,
} from "../../src/synthetic/index.js";

/**
 * TEST DOUBLE of a learner that shares strength across cells: one ridge least-squares fit per model
 * over all cells' rows (λ = 1), reported for every cell. Only what the convergence report reads.
 */
function pooledLeastSquares(
  world: ReturnType<typeof generateWorld>,
  columns: SyntheticColumns,
): ConvergenceEngine & { thetas: Float64Array[] } {
  const d = world.dimension;
  const thetas = world.models.map((_, m) => {
    const a = new Float64Array(d * d);
    const b = new Float64Array(d);
    for (let k = 0; k < d; k++) a[k * d + k] = 1;
    for (let i = 0; i < columns.count; i++) {
      if (columns.modelIndices[i] !== m) continue;
      for (let j = 0; j < d; j++) {
        const xj = columns.contexts[i * d + j];
        b[j] += columns.rewards[i] * xj;
        for (let k = 0; k < d; k++) a[j * d + k] += xj * columns.contexts[i * d + k];
      }
    }
    return solveSymmetric(a, b, d);
  });
  return {
    thetas,
    dimension: d,
    arms: world.models,
    hasCell: () => true,
    model: (_cell: string, arm: string) => {
      const theta = thetas[world.models.indexOf(arm)];
      return { theta, covariance: new Float64Array(d * d), b: theta, count: 0, priorWeight: 1 };
    },
  };
}

/** Solves a·x = b for a symmetric positive definite a (Cholesky). */
function solveSymmetric(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j];
      for (let k = 0; k < j; k++) s -= l[i * d + k] * l[j * d + k];
      l[i * d + j] = i === j ? Math.sqrt(s) : s / l[j * d + j];
    }
  }
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * d + k] * y[k];
    y[i] = s / l[i * d + i];
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < d; k++) s -= l[k * d + i] * x[k];
    x[i] = s / l[i * d + i];
  }
  return x;
}

describe("the planted world's shared structure", () => {
  it("lets a learner that pools each model's rows over all cells recover the optimum where cells do not deviate", () => {
    const world = generateWorld({ seed: 42 });
    const columns = generateColumns(world, { n: 40_000 });
    const report = convergenceReport(world, pooledLeastSquares(world, columns), columns, {
      minRowsPerModel: 0,
      minCoveredCells: 1,
    });
    expect(report.coverage).toBe(1);
    const plain = report.cells.filter((c) => !c.deviating);
    expect(plain.filter((c) => c.match).length / plain.length).toBeGreaterThanOrEqual(0.85);
    // …and misses the deviating cells: their optimum is a per-cell offset the pooled fit cannot see.
    expect(report.deviating.matchShare).toBeLessThanOrEqual(0.2);
    expect(report.value.regret).toBeLessThan(0.3 * report.value.loggingRegret);
  });

  it("converges to the pooled limit computed exactly from the world (pooled-limit.ts)", () => {
    const world = generateWorld({ seed: 42 });
    const columns = generateColumns(world, { n: 400_000, seed: 7 });
    const learner = pooledLeastSquares(world, columns);
    const limit = pooledLimitCoefficients(world);
    const choices = pooledLimitChoices(world);
    let agree = 0;
    for (const cell of world.cells) {
      let best = 0;
      let bestValue = -Infinity;
      learner.thetas.forEach((theta, m) => {
        let value = 0;
        for (let k = 0; k < SYNTHETIC_DIMENSION; k++) value += theta[k] * cell.meanContext[k];
        if (value > bestValue) [best, bestValue] = [m, value];
        // The fitted value at the cell's mean context is within sampling noise of the limit's.
        let exact = 0;
        for (let k = 0; k < SYNTHETIC_DIMENSION; k++) exact += limit[m * SYNTHETIC_DIMENSION + k] * cell.meanContext[k];
        expect(Math.abs(value - exact), `${cell.id} ${world.models[m]}`).toBeLessThan(0.03);
      });
      if (best === choices[cell.index]) agree++;
    }
    expect(agree).toBeGreaterThanOrEqual(55);
  });
});
