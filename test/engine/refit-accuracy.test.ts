// Ill-conditioned refits: at cond(A) ≈ 1e8 a refit must be within 10× of the online path's accuracy
// against an independent exact reference (rational arithmetic: ./exact-solve.ts). The data is the
// realistic bad case: an intercept and a feature nearly collinear with it (1 + ε·g), plus noise,
// with a small ridge (λ = 1e-5) so that the ridge does not hide the collinearity.
import { describe, expect, test } from "vitest";
import { createLinUCB } from "../../src/engine/linucb.js";
import { SeededRandom } from "../../src/engine/random.js";
import { exactRidgeFit } from "./exact-solve.js";
import { gaussian, isBuildSupported, relativeError } from "./problems.js";

const builds = (["scalar", "simd", "relaxed"] as const).filter((build) => isBuildSupported(build));

function collinearProblem(seed: number, epsilon: number, rows: number) {
  const d = 3;
  const random = new SeededRandom(seed);
  const contexts = new Float64Array(rows * d);
  const rewards = new Float64Array(rows);
  for (let e = 0; e < rows; e++) {
    contexts[e * d] = 1;
    contexts[e * d + 1] = 1 + epsilon * gaussian(random);
    contexts[e * d + 2] = gaussian(random);
    rewards[e] = 0.3 + 2 * contexts[e * d + 1]! - contexts[e * d + 2]! + 0.1 * gaussian(random);
  }
  const batch = {
    cells: new Array<string>(rows).fill("c"),
    arms: new Array<string>(rows).fill("a"),
    contexts,
    rewards,
  };
  return { d, contexts, rewards, batch };
}

/** ‖A‖∞·‖A⁻¹‖∞ from the exact inverse and A = λI + Σxxᵀ in f64 (plenty for an order of magnitude). */
function conditionNumber(contexts: Float64Array, d: number, lambda: number, inverse: number[]): number {
  const a = new Float64Array(d * d);
  for (let e = 0; e < contexts.length / d; e++) {
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) a[i * d + j]! += contexts[e * d + i]! * contexts[e * d + j]!;
  }
  for (let i = 0; i < d; i++) a[i * d + i]! += lambda;
  const rowSum = (m: ArrayLike<number>, i: number) =>
    Array.from({ length: d }, (_, j) => Math.abs(m[i * d + j]!)).reduce((x, y) => x + y);
  const norm = (m: ArrayLike<number>) => Math.max(...Array.from({ length: d }, (_, i) => rowSum(m, i)));
  return norm(a) * norm(inverse);
}

describe.each(builds)("build %s", (build) => {
  test.each([
    1, 2, 3,
  ])("cond(A) ≈ 1e8, seed %i: refit within 10× of the online path against the exact fit", async (seed) => {
    const lambda = 1e-5;
    const { d, contexts, rewards, batch } = collinearProblem(seed, 2e-4, 2000);
    const exact = exactRidgeFit(contexts, rewards, d, lambda);
    const condition = conditionNumber(contexts, d, lambda, exact.inverse);
    expect(condition).toBeGreaterThan(5e7);
    expect(condition).toBeLessThan(2e8);
    const refit = await createLinUCB({ dimension: d, arms: ["a"], build, lambda });
    refit.refit(batch);
    const online = await createLinUCB({ dimension: d, arms: ["a"], build, lambda });
    online.updateMany(batch);
    const r = refit.model("c", "a");
    const o = online.model("c", "a");
    const floor = 1e-16; // both at the level of f64 rounding: a ratio of two roundings means nothing
    expect(relativeError(r.theta, exact.theta)).toBeLessThanOrEqual(
      10 * Math.max(relativeError(o.theta, exact.theta), floor),
    );
    const onlineInverseError = Math.max(relativeError(o.covariance, exact.inverse), floor);
    expect(relativeError(r.covariance, exact.inverse)).toBeLessThanOrEqual(10 * onlineInverseError);
    // The statistics are those of the rows, whatever path fitted the model.
    expect(refit.exportStatistics()).toEqual(online.exportStatistics());
  });
});
