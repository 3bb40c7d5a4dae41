// Every kernel build against the plain-TypeScript reference (explicit inverse) on seeded random
// problems: online updates, one by one and batched, with and without forgetting and priors.
import { describe, expect, test } from "vitest";
import { createLinUCB } from "../../src/engine/linucb.js";
import { createReferenceLinUCB } from "../../src/engine/reference.js";
import type { LinUCBEngine, LinUCBOptions } from "../../src/engine/types.js";
import { contextOf, isBuildSupported, makeProblem, relativeError, type Problem } from "./problems.js";

const builds = (["scalar", "simd", "relaxed"] as const).filter((build) => isBuildSupported(build));
const dimensions = [1, 2, 8, 16, 33, 64];
const tolerance = 1e-9;

function eventsFor(d: number): number {
  return Math.max(60, 6 * d * 4 * 3);
}

/** Compares θ, A⁻¹, b and scores of every model of every cell. */
function expectSameModels(engine: LinUCBEngine, reference: LinUCBEngine, problem: Problem): void {
  for (const cell of problem.cells) {
    for (const arm of problem.arms) {
      const got = engine.model(cell, arm);
      const want = reference.model(cell, arm);
      expect(relativeError(got.theta, want.theta), `θ ${cell} ${arm}`).toBeLessThan(tolerance);
      expect(relativeError(got.covariance, want.covariance), `A⁻¹ ${cell} ${arm}`).toBeLessThan(tolerance);
      expect(relativeError(got.b, want.b), `b ${cell} ${arm}`).toBeLessThan(tolerance);
      expect(got.count).toBe(want.count);
      expect(relativeError([got.priorWeight], [want.priorWeight])).toBeLessThan(tolerance);
    }
    for (let e = 0; e < 5; e++) {
      const context = contextOf(problem, e);
      expect(
        relativeError(engine.scores(cell, context), reference.scores(cell, context)),
        `scores ${cell}`,
      ).toBeLessThan(tolerance);
    }
  }
}

describe.each(builds)("build %s against the reference", (build) => {
  test.each(dimensions)("online updates one by one, d = %i", async (d) => {
    const problem = makeProblem(100 + d, d, eventsFor(d));
    const options: LinUCBOptions = { dimension: d, arms: problem.arms, alpha: 0.7, lambda: 1.5 };
    const engine = await createLinUCB({ ...options, build });
    const reference = await createReferenceLinUCB(options);
    expect(engine.build).toBe(build);
    const { cells, arms, rewards } = problem.batch;
    for (let e = 0; e < cells.length; e++) {
      engine.update(cells[e]!, arms[e]!, contextOf(problem, e), rewards[e]!);
      reference.update(cells[e]!, arms[e]!, contextOf(problem, e), rewards[e]!);
    }
    expectSameModels(engine, reference, problem);
  });

  test.each(dimensions)("batched updates equal one-by-one updates, d = %i", async (d) => {
    const problem = makeProblem(200 + d, d, eventsFor(d));
    const options: LinUCBOptions = { dimension: d, arms: problem.arms, build };
    const batched = await createLinUCB(options);
    const single = await createLinUCB(options);
    batched.updateMany(problem.batch);
    const { cells, arms, rewards } = problem.batch;
    for (let e = 0; e < cells.length; e++) single.update(cells[e]!, arms[e]!, contextOf(problem, e), rewards[e]!);
    // Same kernel, same order of operations: bit for bit.
    expect(batched.snapshot()).toEqual(single.snapshot());
    const reference = await createReferenceLinUCB({ dimension: d, arms: problem.arms });
    reference.updateMany(problem.batch);
    expectSameModels(batched, reference, problem);
  });

  test.each([8, 33])("forgetting (discount 0.97) stays exact, d = %i", async (d) => {
    const problem = makeProblem(300 + d, d, 400);
    const options: LinUCBOptions = { dimension: d, arms: problem.arms, discount: 0.97, lambda: 2 };
    const engine = await createLinUCB({ ...options, build });
    const reference = await createReferenceLinUCB(options);
    engine.updateMany(problem.batch);
    reference.updateMany(problem.batch);
    expectSameModels(engine, reference, problem);
    const first = engine.model(problem.cells[0]!, problem.arms[0]!);
    expect(first.priorWeight).toBeCloseTo(0.97 ** first.count, 12);
  });

  test.each([
    [8, true],
    [33, false],
  ])("forgetting past the prior floor (discount 0.9: w < 1e-6 after 132 events) stays exact, d = %i, statistics %s", async (d, statistics) => {
    const problem = makeProblem(350 + d, d, 700, 1, 2);
    const options: LinUCBOptions = {
      dimension: d,
      arms: problem.arms,
      discount: 0.9,
      lambda: 0.5,
      priors: { "arm-1": 0.4 },
    };
    const engine = await createLinUCB({ ...options, build, statistics });
    const reference = await createReferenceLinUCB(options);
    engine.updateMany(problem.batch);
    reference.updateMany(problem.batch);
    expectSameModels(engine, reference, problem);
    const model = engine.model(problem.cells[0]!, problem.arms[0]!);
    expect(model.count).toBeGreaterThan(264);
    expect(model.priorWeight).toBeGreaterThanOrEqual(1e-6);
    if (statistics) {
      // The batch path applies the same rule: a refit equals the online models.
      const refitted = await createLinUCB({ ...options, build });
      refitted.refit(problem.batch);
      expectSameModels(refitted, reference, problem);
    }
  });

  test("priors: vector and scalar prior means", async () => {
    const d = 6;
    const problem = makeProblem(400, d, 300, 2, 3);
    const options: LinUCBOptions = {
      dimension: d,
      arms: problem.arms,
      priors: { "arm-0": [0.5, -1, 0, 2, 0.25, 1], "arm-2": 0.8 },
      lambda: 3,
    };
    const engine = await createLinUCB({ ...options, build });
    const reference = await createReferenceLinUCB(options);
    engine.addCells(problem.cells);
    // Before any data θ is exactly the prior mean.
    expect([...engine.model("cell-0", "arm-0").theta]).toEqual([0.5, -1, 0, 2, 0.25, 1]);
    expect([...engine.model("cell-1", "arm-2").theta]).toEqual([0.8, 0, 0, 0, 0, 0]);
    expect([...engine.model("cell-1", "arm-1").theta]).toEqual([0, 0, 0, 0, 0, 0]);
    engine.updateMany(problem.batch);
    reference.updateMany(problem.batch);
    expectSameModels(engine, reference, problem);
  });
});

test("the plain SIMD build reproduces the scalar build's element-wise results and stays within rounding on reductions", async () => {
  const problem = makeProblem(7, 16, 2000, 2, 4);
  const scalar = await createLinUCB({ dimension: 16, arms: problem.arms, build: "scalar" });
  const simd = await createLinUCB({ dimension: 16, arms: problem.arms, build: "simd" });
  scalar.updateMany(problem.batch);
  simd.updateMany(problem.batch);
  // Statistics are element-wise (S ← S + xᵢxⱼ): identical bits in both builds.
  const a = scalar.exportStatistics();
  const b = simd.exportStatistics();
  expect(b.xx).toEqual(a.xx);
  expect(b.xr).toEqual(a.xr);
  for (const cell of problem.cells) {
    for (const arm of problem.arms) {
      expect(relativeError(simd.model(cell, arm).covariance, scalar.model(cell, arm).covariance)).toBeLessThan(1e-12);
    }
  }
});
