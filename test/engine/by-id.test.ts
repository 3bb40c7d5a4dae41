// The per-event calls by id look cells and arms up in prototype-free dictionary objects (faster than
// a Map): ids that are names of Object.prototype members or look like indices must resolve like any
// other id, and values that are not strings must be refused, never coerced to a key.
import { describe, expect, test } from "vitest";
import { createLinUCB } from "../../src/engine/linucb.js";
import { createReferenceLinUCB } from "../../src/engine/reference.js";
import type { LinUCBEngine } from "../../src/engine/types.js";
import { codeOf, contextOf, makeProblem } from "./problems.js";

const arms = ["__proto__", "toString", "0", "constructor", "hasOwnProperty"];
const cells = ["__proto__", "valueOf", "1", "cell"];

describe.each(["wasm", "reference"] as const)("%s engine", (which) => {
  const create = (): Promise<LinUCBEngine> =>
    (which === "wasm" ? createLinUCB : createReferenceLinUCB)({ dimension: 3, arms, cells, seed: 3 });

  test("update by id equals updateAt by index, bit for bit, for ids named like prototype members", async () => {
    const [byId, byIndex] = await Promise.all([create(), create()]);
    const problem = makeProblem(7, 3, 200, cells.length, arms.length);
    for (let e = 0; e < 200; e++) {
      const cell = cells[problem.cells.indexOf(problem.batch.cells[e]!)]!;
      const arm = arms[problem.arms.indexOf(problem.batch.arms[e]!)]!;
      const reward = problem.batch.rewards[e]!;
      byId.update(cell, arm, contextOf(problem, e), reward);
      byIndex.updateAt(byIndex.cellIndex(cell), byIndex.armIndex(arm), contextOf(problem, e), reward);
    }
    expect(byId.snapshot()).toEqual(byIndex.snapshot());
    // Such ids also survive a snapshot round trip (the priors object is keyed by arm id).
    expect((await byId.clone()).snapshot()).toEqual(byId.snapshot());
    const context = contextOf(problem, 0);
    for (const cell of cells) {
      const viaId = byId.select(cell, context, { arm: "", armIndex: -1, propensity: 0 });
      const viaIndex = byId.selectAt(byId.cellIndex(cell), context, { arm: "", armIndex: -1, propensity: 0 });
      expect(viaId).toEqual(viaIndex);
    }
  });

  test("ids that are not strings are refused, not coerced to a key; unknown ids are refused", async () => {
    const engine = await create();
    const before = engine.snapshot();
    const context = [1, 0, 0];
    const target = { arm: "", armIndex: -1, propensity: 0 };
    // 0 and 1 would coerce to the arm "0" and the cell "1".
    expect(() => engine.update("cell", 0 as unknown as string, context, 1)).toThrow(TypeError);
    expect(() => engine.update(1 as unknown as string, "0", context, 1)).toThrow(TypeError);
    expect(() => engine.select(1 as unknown as string, context, target)).toThrow(TypeError);
    expect(() => engine.scores(1 as unknown as string, context)).toThrow(TypeError);
    expect(codeOf(() => engine.update("cell", "valueOf", context, 1))).toBe("UNKNOWN_ARM");
    expect(codeOf(() => engine.update("cell", "toString ", context, 1))).toBe("UNKNOWN_ARM");
    expect(engine.snapshot()).toEqual(before);
    // An unknown cell is created on first use, as always.
    engine.update("hasOwnProperty", "toString", context, 1);
    expect(engine.cells()).toEqual([...cells, "hasOwnProperty"]);
  });
});
