// select(cell, context, into) and selectAt: the per-event select that allocates nothing, writing
// into a caller-owned target — the same choices, propensities, random stream and scores as select.
import { describe, expect, test } from "vitest";
import { createLinUCB } from "../../src/engine/linucb.js";
import { createReferenceLinUCB } from "../../src/engine/reference.js";
import type { Exploration, LinUCBEngine, SelectionTarget } from "../../src/engine/types.js";
import { contextOf, makeProblem } from "./problems.js";

const explorations: Exploration[] = ["ucb", { epsilon: 0.3 }, { softmax: 0.5 }];

describe.each(["wasm", "reference"] as const)("%s engine", (which) => {
  async function trainedPair(exploration: Exploration): Promise<[LinUCBEngine, LinUCBEngine]> {
    const problem = makeProblem(91, 4, 300, 3, 3);
    const options = { dimension: 4, arms: problem.arms, exploration, seed: 5 };
    const create = which === "wasm" ? createLinUCB : createReferenceLinUCB;
    const [a, b] = await Promise.all([create(options), create(options)]);
    a.updateMany(problem.batch);
    b.updateMany(problem.batch);
    return [a, b];
  }

  test.each(explorations)("select into a target equals select (exploration %j)", async (exploration) => {
    const [plain, into] = await trainedPair(exploration);
    const problem = makeProblem(92, 4, 60, 3, 3);
    const withScores: SelectionTarget = { arm: "", armIndex: -1, propensity: 0, scores: new Float64Array(3) };
    const without: SelectionTarget = { arm: "", armIndex: -1, propensity: 0 };
    for (let e = 0; e < 60; e++) {
      const cell = problem.batch.cells[e]!;
      const context = contextOf(problem, e);
      const expected = plain.select(cell, context);
      const target = e % 2 === 0 ? withScores : without;
      const got =
        e % 3 === 0 ? into.selectAt(into.cellIndex(cell), context, target) : into.select(cell, context, target);
      expect(got).toBe(target);
      expect([got.arm, got.armIndex, got.propensity]).toEqual([expected.arm, expected.armIndex, expected.propensity]);
      if (target === withScores) expect([...target.scores!]).toEqual([...expected.scores]);
    }
    expect(without.scores).toBeUndefined();
    expect(into.snapshot()).toEqual(plain.snapshot());
  });

  test("a new cell is created from its prior; bad targets and contexts are refused and change nothing", async () => {
    const [engine] = await trainedPair("ucb");
    const target: SelectionTarget = { arm: "", armIndex: 0, propensity: 0 };
    expect(engine.select("fresh", [1, 0, 0, 0], target).propensity).toBe(1);
    expect(engine.hasCell("fresh")).toBe(true);
    const before = engine.snapshot();
    const cells = engine.cells();
    expect(() => engine.select("other", [1, 0, 0, 0], { ...target, scores: new Float64Array(2) })).toThrow(
      /`into\.scores`.*length 3/,
    );
    expect(() => engine.select("other", [1, Number.NaN, 0, 0], target)).toThrow(/`context\[1\]`/);
    expect(() => engine.select("other", [1, 0, 0, 0], null as unknown as SelectionTarget)).toThrow(/`into`/);
    expect(() => engine.selectAt(99, [1, 0, 0, 0], target)).toThrow(/`cellIndex`/);
    expect(engine.cells()).toEqual(cells);
    expect(engine.snapshot()).toEqual(before);
  });
});
