// Failed calls never change state: a finalize, refit or merge that fails leaves the engine exactly
// as it was before the rows it could not fit (models, cells, priors), and every later call works.
import { describe, expect, test } from "vitest";
import { LinUCBError } from "../../src/engine/errors.js";
import { createLinUCB } from "../../src/engine/linucb.js";
import type { EventBatch, LinUCBEngine } from "../../src/engine/types.js";
import { codeOf, isBuildSupported, makeProblem } from "./problems.js";

const builds = (["scalar", "simd", "relaxed"] as const).filter((build) => isBuildSupported(build));

/** Rows that no f64 Cholesky can fit: A = λI + 10¹⁸·[[1, 1], [1, 1]] is singular to working precision. */
const unfittable: EventBatch = {
  cells: ["cell-0"],
  arms: ["arm-0"],
  contexts: new Float64Array([1e9, 1e9]),
  rewards: [1],
};
/** Finite rows whose statistics overflow (x·xᵀ = 10⁶⁰⁰). */
const overflowing: EventBatch = {
  cells: ["cell-1"],
  arms: ["arm-1"],
  contexts: new Float64Array([1e300, -1e300]),
  rewards: [1e300],
};

/** Every read and write of the public API still works (and the engine answers like `twin`). */
function expectWorking(engine: LinUCBEngine, twin: LinUCBEngine): void {
  expect(engine.scores("cell-0", [1, 0.5])).toEqual(twin.scores("cell-0", [1, 0.5]));
  expect(engine.select("cell-1", [0.3, 1]).armIndex).toBe(twin.select("cell-1", [0.3, 1]).armIndex);
  expect(engine.model("cell-0", "arm-0")).toEqual(twin.model("cell-0", "arm-0"));
  expect(engine.snapshot()).toEqual(twin.snapshot());
  engine.update("cell-0", "arm-1", [1, 2], 0.5);
  twin.update("cell-0", "arm-1", [1, 2], 0.5);
  expect(engine.snapshot()).toEqual(twin.snapshot());
}

describe.each(builds)("build %s", (build) => {
  async function trained(pooling = false): Promise<LinUCBEngine> {
    const problem = makeProblem(31, 2, 200, 2, 2);
    const engine = await createLinUCB({ dimension: 2, arms: problem.arms, build, pooling });
    engine.refit(problem.batch);
    return engine;
  }

  test("a failed finalize (singular rows) keeps the previous models and the engine keeps working", async () => {
    const engine = await trained();
    const twin = await trained();
    const before = engine.snapshot();
    engine.accumulate(unfittable);
    expect(codeOf(() => engine.finalize())).toBe("NOT_POSITIVE_DEFINITE");
    expect(engine.snapshot()).toEqual(before);
    expectWorking(engine, twin);
  });

  test("a finalize whose fit overflows (finite statistics, θ beyond f64) is refused with NON_FINITE", async () => {
    const options = { dimension: 2, arms: ["arm-0", "arm-1"], lambda: 1e-20, build } as const;
    const engine = await createLinUCB(options);
    engine.refit({ cells: ["cell-0"], arms: ["arm-0"], contexts: new Float64Array([1, 0]), rewards: [1] });
    const before = engine.snapshot();
    // Σrx = 1e296 and A = 1e-20 + 1e-24 are finite; θ = A⁻¹b ≈ 1e316 is not.
    engine.accumulate({ cells: ["cell-0"], arms: ["arm-1"], contexts: new Float64Array([1e-12, 0]), rewards: [1e308] });
    expect(codeOf(() => engine.finalize())).toBe("NON_FINITE");
    expect(engine.snapshot()).toEqual(before);
    expect(engine.model("cell-0", "arm-1").count).toBe(0);
  });

  test("an accumulate whose sums would overflow is refused whole and changes nothing", async () => {
    const engine = await trained();
    const twin = await trained();
    const before = engine.snapshot();
    const rows: EventBatch = {
      cells: ["cell-0", "brand-new", "cell-1"],
      arms: ["arm-0", "arm-1", "arm-1"],
      contexts: new Float64Array([1, 2, 3, 4, 1e300, -1e300]),
      rewards: [1, 0, 1e300],
    };
    const stats = engine.exportStatistics();
    expect(codeOf(() => engine.accumulate(rows))).toBe("NON_FINITE");
    expect(engine.exportStatistics()).toEqual(stats);
    expect(engine.cells()).toEqual(twin.cells());
    expect(engine.snapshot()).toEqual(before);
    expectWorking(engine, twin);
  });

  test("a finalize that fails through an implicit settle (scores) also leaves the previous state", async () => {
    const engine = await trained();
    const twin = await trained();
    engine.accumulate(unfittable);
    expect(codeOf(() => engine.scores("cell-0", [1, 1]))).toBe("NOT_POSITIVE_DEFINITE");
    expectWorking(engine, twin);
  });

  test("a failed pooled finalize restores the pooled priors too", async () => {
    const engine = await trained(true);
    const twin = await trained(true);
    const prior = engine.priorMean("arm-0");
    engine.accumulate(unfittable);
    expect(codeOf(() => engine.finalize())).toBeDefined();
    expect(engine.priorMean("arm-0")).toEqual(prior);
    expectWorking(engine, twin);
  });

  test.each([
    ["singular", unfittable],
    ["overflowing", overflowing],
  ] as const)("a failed refit (%s rows) leaves the previous models and cells, as its message says", async (_name, rows) => {
    const engine = await trained();
    const twin = await trained();
    const before = engine.snapshot();
    const batch: EventBatch = { ...rows, cells: ["brand-new"] };
    let error: unknown;
    try {
      engine.refit(batch);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LinUCBError);
    expect((error as Error).message).toMatch(/previous state is kept/);
    expect(engine.cells()).toEqual(twin.cells());
    expect(engine.snapshot()).toEqual(before);
    expectWorking(engine, twin);
    // The cell the failed refit would have created can be created afterwards, from its prior.
    engine.update("brand-new", "arm-0", [1, 1], 1);
    twin.update("brand-new", "arm-0", [1, 1], 1);
    expect(engine.snapshot()).toEqual(twin.snapshot());
  });

  test("a failed merge leaves models and cells as they were", async () => {
    const engine = await trained();
    const twin = await trained();
    const source = await createLinUCB({ dimension: 2, arms: engine.arms, build });
    source.accumulate({ ...unfittable, cells: ["merged-new"] });
    source.accumulate(unfittable);
    const stats = source.exportStatistics();
    const before = engine.snapshot();
    expect(codeOf(() => engine.mergeStatistics(stats))).toBe("NOT_POSITIVE_DEFINITE");
    expect(engine.cells()).toEqual(twin.cells());
    expect(engine.snapshot()).toEqual(before);
    expectWorking(engine, twin);
  });
});
