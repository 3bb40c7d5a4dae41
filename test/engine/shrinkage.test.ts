// Data-chosen shrinkage (pooling.shrinkage 'auto'): the type-II ML strength against the closed form
// of the balanced random-intercept model, both engines against each other, priors, snapshots.
import { describe, expect, test } from "vitest";
import { createLinUCB, restoreLinUCB } from "../../src/engine/linucb.js";
import { createReferenceLinUCB } from "../../src/engine/reference.js";
import { estimateShrinkage, shrinkageBounds, symmetricEigen } from "../../src/engine/shrinkage.js";
import { SeededRandom } from "../../src/engine/random.js";
import { gaussian, isBuildSupported, makeProblem, relativeError } from "./problems.js";

const builds = (["scalar", "simd", "relaxed"] as const).filter((build) => isBuildSupported(build));

/** C cells × n rows of y = μ + u_c + ε (u ~ N(0, τ²), ε ~ N(0, σ²)), one arm, x = [1]. */
function randomIntercept(seed: number, cells: number, n: number, tau: number, sigma: number) {
  const random = new SeededRandom(seed);
  const rewards = new Float64Array(cells * n);
  const rowCells: string[] = [];
  for (let c = 0; c < cells; c++) {
    const u = tau * gaussian(random);
    for (let i = 0; i < n; i++) {
      rewards[c * n + i] = 0.4 + u + sigma * gaussian(random);
      rowCells.push(`cell-${c}`);
    }
  }
  const batch = {
    cells: rowCells,
    arms: rowCells.map(() => "a"),
    contexts: new Float64Array(cells * n).fill(1),
    rewards,
  };
  return { batch, rewards };
}

/** The closed form: σ̂² = W / (C(n − 1)), σ̂² + nτ̂² = B / C, λ = σ̂² / τ̂², around a known mean θ₀. */
function closedForm(rewards: Float64Array, cells: number, n: number, theta0: number) {
  let within = 0;
  let between = 0;
  for (let c = 0; c < cells; c++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += rewards[c * n + i]! / n;
    for (let i = 0; i < n; i++) within += (rewards[c * n + i]! - mean) ** 2;
    between += n * (mean - theta0) ** 2;
  }
  const sigma2 = within / (cells * (n - 1));
  const tau2 = (between / cells - sigma2) / n;
  return { lambda: sigma2 / tau2, sigma2, tau2 };
}

test("the estimate is the closed-form ML of the balanced random-intercept model", () => {
  const cells = 30;
  const n = 20;
  const { rewards } = randomIntercept(11, cells, n, 0.3, 1);
  const theta0 = 0.37;
  const inputs = Array.from({ length: cells }, (_, c) => {
    let s = 0;
    let yy = 0;
    for (let i = 0; i < n; i++) {
      s += rewards[c * n + i]!;
      yy += rewards[c * n + i]! ** 2;
    }
    return { xx: Float64Array.of(n), xr: Float64Array.of(s), yy, count: n, prior: Float64Array.of(theta0) };
  });
  const estimate = estimateShrinkage(inputs, 1)!;
  const expected = closedForm(rewards, cells, n, theta0);
  expect(expected.tau2).toBeGreaterThan(0);
  expect(Math.abs(estimate.strength / expected.lambda - 1)).toBeLessThan(1e-7);
  expect(Math.abs(estimate.noiseVariance / expected.sigma2 - 1)).toBeLessThan(1e-7);
  expect(Math.abs(estimate.betweenCellVariance / expected.tau2 - 1)).toBeLessThan(1e-7);
});

test("cells that do not differ give the upper bound (every cell is the pooled fit)", () => {
  // Every cell's rows are ±e around the same mean 0.4: no between-cell spread at all (B = 0).
  const random = new SeededRandom(12);
  const inputs = Array.from({ length: 40 }, () => {
    const e = Array.from({ length: 5 }, () => gaussian(random));
    const rows = [...e.map((v) => 0.4 + v), ...e.map((v) => 0.4 - v)];
    return {
      xx: Float64Array.of(10),
      xr: Float64Array.of(rows.reduce((a, b) => a + b, 0)),
      yy: rows.reduce((a, b) => a + b * b, 0),
      count: 10,
      prior: Float64Array.of(0.4),
    };
  });
  expect(estimateShrinkage(inputs, 1)!.strength).toBeGreaterThan(shrinkageBounds.max * 0.99);
  const estimate = estimateShrinkage(inputs, 1)!;
  expect(estimate.betweenCellVariance).toBeLessThan(1e-6 * estimate.noiseVariance);
});

test("symmetricEigen reconstructs the matrix", () => {
  const random = new SeededRandom(3);
  const d = 7;
  const m = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) m[i * d + j] = m[j * d + i] = gaussian(random);
  const { values, vectors } = symmetricEigen(m, d);
  const back = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++)
      for (let k = 0; k < d; k++) back[i * d + j]! += vectors[i * d + k]! * values[k]! * vectors[j * d + k]!;
  expect(relativeError(back, m)).toBeLessThan(1e-12);
});

describe.each(builds)("build %s", (build) => {
  test("an engine with shrinkage 'auto' chooses the closed-form strength and shrinks each cell by it", async () => {
    const cells = 25;
    const n = 16;
    const ridge = 1e-3;
    const { batch, rewards } = randomIntercept(21, cells, n, 0.25, 0.8);
    const options = { dimension: 1, arms: ["a"], pooling: { ridge, shrinkage: "auto" as const } };
    for (const engine of [await createLinUCB({ ...options, build }), await createReferenceLinUCB(options)]) {
      engine.refit(batch);
      const theta0 = rewards.reduce((a, b) => a + b, 0) / (cells * n + ridge);
      expect(engine.priorMean("a")[0]).toBeCloseTo(theta0, 12);
      const { lambda } = closedForm(rewards, cells, n, theta0);
      const state = engine.shrinkage();
      expect(state.mode).toBe("auto");
      expect(Math.abs(state.strength / lambda - 1)).toBeLessThan(1e-7);
      for (let c = 0; c < cells; c++) {
        const sum = rewards.subarray(c * n, c * n + n).reduce((a, b) => a + b, 0);
        expect(engine.model(`cell-${c}`, "a").theta[0]).toBeCloseTo(
          (sum + state.strength * theta0) / (n + state.strength),
          10,
        );
      }
    }
  });

  test("auto shrinkage matches the reference engine, d = 6", async () => {
    const problem = makeProblem(1700, 6, 2400, 12, 3);
    const options = {
      dimension: 6,
      arms: problem.arms,
      pooling: { shrinkage: "auto" as const },
      priors: { "arm-1": 0.2 },
    };
    const engine = await createLinUCB({ ...options, build });
    const reference = await createReferenceLinUCB(options);
    engine.refit(problem.batch);
    reference.refit(problem.batch);
    // The optimum of f is flat: last-bit differences of the pooled prior move its argmin by ~√ε.
    expect(Math.abs(engine.shrinkage().strength / reference.shrinkage().strength - 1)).toBeLessThan(1e-6);
    // Given the strength, the kernel's models are the reference's.
    const fixed = await createReferenceLinUCB({ ...options, pooling: { shrinkage: engine.shrinkage().strength } });
    fixed.refit(problem.batch);
    for (const arm of problem.arms) {
      for (const cell of problem.cells) {
        expect(relativeError(engine.model(cell, arm).theta, fixed.model(cell, arm).theta)).toBeLessThan(1e-9);
        expect(relativeError(engine.model(cell, arm).covariance, fixed.model(cell, arm).covariance)).toBeLessThan(1e-9);
      }
    }
  });
});

test("a user's prior is the prior of the pooled fit and moves the cell estimate as the formula says", async () => {
  // d = 1: θ_cell = (s_c + λθ₀)/(n_c + λ), θ₀ = (ρ·prior + Σs)/(ρ + N). Moving the prior by 0.9
  // moves θ_cell by 0.9 · ρ/(ρ + N) · λ/(n_c + λ): with ρ = N and λ = n_c, by 0.9/4.
  const { batch } = randomIntercept(31, 10, 20, 0.2, 0.5);
  const make = async (prior: number) => {
    const engine = await createLinUCB({
      dimension: 1,
      arms: ["a"],
      priors: { a: prior },
      pooling: { ridge: 200, shrinkage: 20 },
    });
    engine.refit(batch);
    return engine;
  };
  const [without, withPrior] = [await make(0), await make(0.9)];
  expect(withPrior.priorMean("a")[0]! - without.priorMean("a")[0]!).toBeCloseTo(0.45, 12);
  for (let c = 0; c < 10; c++) {
    expect(withPrior.model(`cell-${c}`, "a").theta[0]! - without.model(`cell-${c}`, "a").theta[0]!).toBeCloseTo(
      0.225,
      12,
    );
  }
});

test("a numeric shrinkage is the per-cell ridge; lambda beside it must agree", async () => {
  const engine = await createLinUCB({ dimension: 2, arms: ["a"], pooling: { shrinkage: 7 } });
  expect(engine.options.lambda).toBe(7);
  expect(engine.shrinkage()).toEqual({ mode: "fixed", strength: 7, estimate: null });
  await expect(createLinUCB({ dimension: 2, arms: ["a"], lambda: 3, pooling: { shrinkage: 7 } })).rejects.toThrow(
    /pooling.shrinkage.*equal to `lambda`/,
  );
  await expect(
    createLinUCB({ dimension: 2, arms: ["a"], pooling: { shrinkage: "big" as unknown as number } }),
  ).rejects.toThrow(TypeError);
  await expect(createLinUCB({ dimension: 2, arms: ["a"], pooling: { shrinkage: -1 } })).rejects.toThrow(
    /pooling.shrinkage.*> 0, within.*; received -1/,
  );
  expect((await createLinUCB({ dimension: 2, arms: ["a"] })).shrinkage().mode).toBe("none");
});

test("snapshots and twins keep the strength; merged statistics re-estimate the same one", async () => {
  const problem = makeProblem(1800, 4, 1500, 8, 2);
  const options = { dimension: 4, arms: problem.arms, pooling: { shrinkage: "auto" as const } };
  const engine = await createLinUCB(options);
  engine.refit(problem.batch);
  const strength = engine.shrinkage().strength;
  const restored = await restoreLinUCB(engine.snapshot());
  expect(restored.options.shrinkage).toBe("auto");
  expect(restored.shrinkage().strength).toBe(strength);
  expect(restored.model("cell-3", "arm-1").theta).toEqual(engine.model("cell-3", "arm-1").theta);
  const twin = await createLinUCB(options);
  twin.mergeStatistics(engine.exportStatistics());
  expect(twin.shrinkage().strength).toBe(strength);
  // A snapshot of a fixed-strength engine stays in format 1.
  const fixed = await createLinUCB({ ...options, pooling: true });
  expect(new DataView(fixed.snapshot().buffer).getUint16(12, true)).toBe(1);
  expect(new DataView(engine.snapshot().buffer).getUint16(12, true)).toBe(2);
});
