// The batch path: sufficient statistics + Cholesky must equal sequential Sherman–Morrison updates;
// chunked accumulation equals one refit; shards merged equal a single refit.
import { describe, expect, test } from "vitest";
import { LinUCBError } from "../../src/engine/errors.js";
import { createLinUCB } from "../../src/engine/linucb.js";
import { createReferenceLinUCB } from "../../src/engine/reference.js";
import { addStatistics } from "../../src/engine/statistics.js";
import type { EventBatch, LinUCBEngine } from "../../src/engine/types.js";
import { isBuildSupported, makeProblem, relativeError, type Problem } from "./problems.js";

const builds = (["scalar", "simd", "relaxed"] as const).filter((build) => isBuildSupported(build));

function slice(batch: Problem["batch"], from: number, to: number): EventBatch {
  const d = batch.contexts.length / batch.rewards.length;
  const rewards = Float64Array.from(batch.rewards);
  return {
    cells: batch.cells.slice(from, to),
    arms: batch.arms.slice(from, to),
    contexts: batch.contexts.slice(from * d, to * d),
    rewards: rewards.slice(from, to),
  };
}

function maxModelError(a: LinUCBEngine, b: LinUCBEngine, problem: Problem): number {
  let worst = 0;
  for (const cell of problem.cells) {
    for (const arm of problem.arms) {
      const x = a.model(cell, arm);
      const y = b.model(cell, arm);
      worst = Math.max(
        worst,
        relativeError(x.theta, y.theta),
        relativeError(x.covariance, y.covariance),
        relativeError(x.b, y.b),
      );
    }
  }
  return worst;
}

describe.each(builds)("build %s", (build) => {
  test.each([1, 2, 8, 16, 33, 64])("refit equals sequential updates to 1e-9, d = %i", async (d) => {
    const problem = makeProblem(500 + d, d, Math.max(200, 40 * d));
    const options = { dimension: d, arms: problem.arms, lambda: 0.5, build };
    const refitted = await createLinUCB(options);
    const sequential = await createLinUCB(options);
    refitted.refit(problem.batch);
    sequential.updateMany(problem.batch);
    expect(maxModelError(refitted, sequential, problem)).toBeLessThan(1e-9);
    const reference = await createReferenceLinUCB({ dimension: d, arms: problem.arms, lambda: 0.5 });
    reference.updateMany(problem.batch);
    expect(maxModelError(refitted, reference, problem)).toBeLessThan(1e-9);
  });

  test("refit with forgetting equals sequential discounted updates", async () => {
    const problem = makeProblem(600, 12, 900);
    const options = { dimension: 12, arms: problem.arms, discount: 0.95, build };
    const refitted = await createLinUCB(options);
    const sequential = await createLinUCB(options);
    refitted.refit(problem.batch);
    sequential.updateMany(problem.batch);
    expect(maxModelError(refitted, sequential, problem)).toBeLessThan(1e-9);
  });

  test("refit starts from the priors: a second refit forgets the first", async () => {
    const problem = makeProblem(700, 8, 400);
    const other = makeProblem(701, 8, 400);
    const options = { dimension: 8, arms: problem.arms, priors: { "arm-1": 0.3 }, build };
    const twice = await createLinUCB(options);
    twice.refit(other.batch);
    twice.refit(problem.batch);
    const once = await createLinUCB({ ...options, cells: twice.cells() });
    once.refit(problem.batch);
    expect(twice.snapshot()).toEqual(once.snapshot());
  });

  test("chunked accumulate + finalize equals one refit", async () => {
    const problem = makeProblem(800, 16, 1000);
    const options = { dimension: 16, arms: problem.arms, build };
    const whole = await createLinUCB(options);
    whole.refit(problem.batch);
    const chunked = await createLinUCB(options);
    for (let from = 0; from < 1000; from += 137)
      chunked.accumulate(slice(problem.batch, from, Math.min(1000, from + 137)));
    chunked.finalize();
    // Same rows in the same order through the same kernel: identical bits.
    expect(chunked.snapshot()).toEqual(whole.snapshot());
  });

  test("shards refitted separately and merged equal a single refit", async () => {
    const problem = makeProblem(900, 16, 1200, 5, 4);
    const options = { dimension: 16, arms: problem.arms, build };
    const single = await createLinUCB(options);
    single.refit(problem.batch);
    const shards = await Promise.all([0, 1, 2].map(() => createLinUCB(options)));
    shards.forEach((shard, s) => shard.refit(slice(problem.batch, s * 400, (s + 1) * 400)));
    const merged = await createLinUCB(options);
    for (const shard of shards) merged.mergeStatistics(shard.exportStatistics());
    expect([...merged.cells()].sort()).toEqual([...single.cells()].sort());
    const a = merged.exportStatistics(single.cells());
    const b = single.exportStatistics();
    expect([...a.counts]).toEqual([...b.counts]);
    // Sums in another order differ only by rounding.
    expect(relativeError(a.xx, b.xx)).toBeLessThan(1e-14);
    expect(relativeError(a.xr, b.xr)).toBeLessThan(1e-14);
    expect(maxModelError(merged, single, problem)).toBeLessThan(1e-12);
    // The pure helper gives the same sums as merging into an engine.
    const summed = shards.map((shard) => shard.exportStatistics()).reduce(addStatistics);
    const viaHelper = await createLinUCB(options);
    viaHelper.mergeStatistics(summed);
    expect(maxModelError(viaHelper, merged, problem)).toBeLessThan(1e-14);
  });
});

test("scalar build statistics equal the reference's bit for bit", async () => {
  const problem = makeProblem(1000, 9, 500);
  const engine = await createLinUCB({ dimension: 9, arms: problem.arms, build: "scalar", discount: 0.99 });
  const reference = await createReferenceLinUCB({ dimension: 9, arms: problem.arms, discount: 0.99 });
  engine.updateMany(problem.batch);
  reference.updateMany(problem.batch);
  const a = engine.exportStatistics();
  const b = reference.exportStatistics(engine.cells());
  expect(a.xx).toEqual(b.xx);
  expect(a.xr).toEqual(b.xr);
  expect(a.counts).toEqual(b.counts);
  expect(a.priorWeights).toEqual(b.priorWeights);
});

test("merging discounted statistics where both sides saw rows is refused and changes nothing", async () => {
  const problem = makeProblem(1100, 4, 200, 2, 2);
  const options = { dimension: 4, arms: problem.arms, discount: 0.9 };
  const a = await createLinUCB(options);
  const b = await createLinUCB(options);
  a.refit(slice(problem.batch, 0, 100));
  b.refit(slice(problem.batch, 100, 200));
  const before = a.snapshot();
  expect(() => a.mergeStatistics(b.exportStatistics())).toThrow(LinUCBError);
  expect(a.snapshot()).toEqual(before);
});

test("statistics of another shape are refused with INCOMPATIBLE", async () => {
  const a = await createLinUCB({ dimension: 4, arms: ["x", "y"] });
  const b = await createLinUCB({ dimension: 5, arms: ["x", "y"] });
  const c = await createLinUCB({ dimension: 4, arms: ["y", "x"] });
  b.addCells(["one"]);
  c.addCells(["one"]);
  for (const other of [b, c]) {
    let error: unknown;
    try {
      a.mergeStatistics(other.exportStatistics());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LinUCBError);
    expect((error as LinUCBError).code).toBe("INCOMPATIBLE");
  }
  expect(a.cells()).toEqual([]);
});

test("an engine without statistics refuses the batch path with STATISTICS_DISABLED", async () => {
  const problem = makeProblem(1200, 4, 50, 1, 2);
  const engine = await createLinUCB({ dimension: 4, arms: problem.arms, statistics: false });
  engine.updateMany(problem.batch);
  const before = engine.snapshot();
  for (const call of [
    () => engine.refit(problem.batch),
    () => engine.accumulate(problem.batch),
    () => engine.exportStatistics(),
  ]) {
    expect(call).toThrow(expect.objectContaining({ code: "STATISTICS_DISABLED" }));
  }
  expect(engine.snapshot()).toEqual(before);
  // Without statistics a model is exactly the hot part: A⁻¹ in the panel layout (8·M·(M+1)
  // doubles, M = DP/4), θ, b and a 64-byte header — within the (DP² + 2·DP)·8 + 64 budget.
  const hotBytes = (dp: number) => (8 * (dp / 4) * (dp / 4 + 1) + 2 * dp) * 8 + 64;
  expect(engine.bytesPerModel).toBe(hotBytes(4));
  for (const d of [6, 16, 33, 64]) {
    const dp = Math.ceil(d / 4) * 4;
    const other = await createLinUCB({ dimension: d, arms: problem.arms, statistics: false });
    expect(other.bytesPerModel).toBe(hotBytes(dp));
    expect(other.bytesPerModel).toBeLessThanOrEqual((dp * dp + 2 * dp) * 8 + 64);
  }
});
