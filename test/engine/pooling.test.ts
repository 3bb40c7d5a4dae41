// Pooling: each arm's fit over all cells becomes the prior mean of that arm in every cell.
import { describe, expect, test } from "vitest";
import { createLinUCB, restoreLinUCB } from "../../src/engine/linucb.js";
import { createReferenceLinUCB } from "../../src/engine/reference.js";
import { isBuildSupported, makeProblem, relativeError } from "./problems.js";

const builds = (["scalar", "simd", "relaxed"] as const).filter((build) => isBuildSupported(build));

describe.each(builds)("build %s", (build) => {
  test.each([3, 8, 16, 33])("pooled refit matches the reference, d = %i", async (d) => {
    const problem = makeProblem(1300 + d, d, 60 * d, 6, 3);
    const options = { dimension: d, arms: problem.arms, lambda: 4, pooling: true, priors: { "arm-1": 0.2 } };
    const engine = await createLinUCB({ ...options, build });
    const reference = await createReferenceLinUCB(options);
    engine.refit(problem.batch);
    reference.refit(problem.batch);
    for (const arm of problem.arms) {
      expect(relativeError(engine.priorMean(arm), reference.priorMean(arm)), `prior ${arm}`).toBeLessThan(1e-9);
      for (const cell of problem.cells) {
        const a = engine.model(cell, arm);
        const b = reference.model(cell, arm);
        expect(relativeError(a.theta, b.theta)).toBeLessThan(1e-9);
        expect(relativeError(a.covariance, b.covariance)).toBeLessThan(1e-9);
        expect(relativeError(a.b, b.b)).toBeLessThan(1e-9);
      }
    }
  });
});

test("the pooled prior is the arm's ridge fit on the rows of all cells", async () => {
  const d = 6;
  const problem = makeProblem(1400, d, 900, 5, 3);
  const pooled = await createLinUCB({ dimension: d, arms: problem.arms, lambda: 5, pooling: { ridge: 2 } });
  pooled.refit(problem.batch);
  // One engine that sees every row in a single cell fits exactly the pooled regression.
  const single = await createLinUCB({ dimension: d, arms: problem.arms, lambda: 2 }); // = the pooling ridge
  single.refit({ ...problem.batch, cells: problem.batch.cells.map(() => "everything") });
  for (const arm of problem.arms) {
    expect(relativeError(pooled.priorMean(arm), single.model("everything", arm).theta)).toBeLessThan(1e-10);
  }
  // A cell with no rows, old or new, starts from the pooled prior; with rows it moves away.
  pooled.addCells(["never seen"]);
  for (const arm of problem.arms) {
    expect(pooled.model("never seen", arm).theta).toEqual(pooled.priorMean(arm));
    expect(relativeError(pooled.model("cell-0", arm).theta, pooled.priorMean(arm))).toBeGreaterThan(1e-6);
  }
});

test("pooling shrinks sparse cells toward the arm's global fit", async () => {
  // Two arms whose truth is shared by every cell; cells see a handful of rows each.
  const d = 4;
  const problem = makeProblem(1500, d, 240, 40, 2);
  const error = async (pooling: boolean) => {
    const engine = await createLinUCB({ dimension: d, arms: problem.arms, lambda: 3, pooling, cells: problem.cells });
    engine.refit(problem.batch);
    const everything = await createLinUCB({ dimension: d, arms: problem.arms, lambda: 1e-6 });
    everything.refit({ ...problem.batch, cells: problem.batch.cells.map(() => "all") });
    let total = 0;
    for (const cell of problem.cells) {
      for (const arm of problem.arms)
        total += relativeError(engine.model(cell, arm).theta, everything.model("all", arm).theta);
    }
    return total;
  };
  const pooledError = await error(true);
  const separateError = await error(false);
  expect(pooledError, `pooled ${pooledError}, separate ${separateError}`).toBeLessThan(separateError / 2);
});

test("snapshot keeps pooled priors; reset goes back to the configured ones", async () => {
  const problem = makeProblem(1600, 5, 400, 4, 3);
  const engine = await createLinUCB({
    dimension: 5,
    arms: problem.arms,
    pooling: true,
    priors: { "arm-0": [1, 0, 0, 0, 0] },
  });
  engine.refit(problem.batch);
  const restored = await restoreLinUCB(engine.snapshot());
  expect(restored.options.pooling).toBe(true);
  expect(restored.snapshot()).toEqual(engine.snapshot());
  for (const arm of problem.arms) expect(restored.priorMean(arm)).toEqual(engine.priorMean(arm));
  restored.addCells(["fresh"]);
  expect(restored.model("fresh", "arm-2").theta).toEqual(engine.priorMean("arm-2"));
  engine.reset();
  expect([...engine.priorMean("arm-0")]).toEqual([1, 0, 0, 0, 0]);
  expect([...engine.model("cell-1", "arm-0").theta]).toEqual([1, 0, 0, 0, 0]);
});

test("pooling needs statistics", async () => {
  await expect(createLinUCB({ dimension: 2, arms: ["a"], pooling: true, statistics: false })).rejects.toThrow(
    /`pooling`.*`statistics` is false/,
  );
  await expect(createLinUCB({ dimension: 2, arms: ["a"], pooling: "yes" as unknown as boolean })).rejects.toThrow(
    TypeError,
  );
});
