// Bad input: a clear error naming the argument and the value, and the engine exactly as before.
import { describe, expect, test } from "vitest";
import { LinUCBError } from "../../src/engine/errors.js";
import { createLinUCB } from "../../src/engine/linucb.js";
import { createReferenceLinUCB } from "../../src/engine/reference.js";
import type { LinUCBEngine, LinUCBOptions } from "../../src/engine/types.js";
import { allFinite, firstNonFinite } from "../../src/engine/validate.js";
import { makeProblem } from "./problems.js";

const base: LinUCBOptions = { dimension: 3, arms: ["a", "b"] };

describe("options", () => {
  const cases: [
    string,
    Partial<LinUCBOptions> | Record<string, unknown>,
    typeof TypeError | typeof RangeError,
    RegExp,
  ][] = [
    ["dimension 0", { dimension: 0 }, RangeError, /`dimension`.*received 0/],
    ["dimension 2.5", { dimension: 2.5 }, RangeError, /`dimension`.*received 2\.5/],
    ["dimension '3'", { dimension: "3" }, TypeError, /`dimension`.*received "3"/],
    ["dimension NaN", { dimension: Number.NaN }, RangeError, /`dimension`.*received NaN/],
    ["empty arms", { arms: [] }, RangeError, /`arms`.*non-empty.*received Array\(0\)/],
    ["duplicate arms", { arms: ["a", "b", "a"] }, RangeError, /`arms\[2\]`.*duplicate.*received "a"/],
    ["non-string arm", { arms: ["a", 3] }, TypeError, /`arms\[1\]`.*string.*received 3/],
    ["arms not an array", { arms: "ab" }, TypeError, /`arms`.*received "ab"/],
    ["alpha < 0", { alpha: -0.1 }, RangeError, /`alpha`.*≥ 0.*received -0\.1/],
    ["alpha Infinity", { alpha: Infinity }, RangeError, /`alpha`.*finite.*received Infinity/],
    ["lambda 0", { lambda: 0 }, RangeError, /`lambda`.*> 0.*received 0/],
    ["lambda negative", { lambda: -1 }, RangeError, /`lambda`.*received -1/],
    ["discount 0", { discount: 0 }, RangeError, /`discount`.*\(0, 1\].*received 0/],
    ["discount 1.5", { discount: 1.5 }, RangeError, /`discount`.*received 1\.5/],
    ["discount NaN", { discount: Number.NaN }, RangeError, /`discount`.*received NaN/],
    ["epsilon 2", { exploration: { epsilon: 2 } }, RangeError, /`exploration\.epsilon`.*received 2/],
    ["softmax 0", { exploration: { softmax: 0 } }, RangeError, /`exploration\.softmax`.*received 0/],
    ["unknown exploration", { exploration: "thompson" }, TypeError, /`exploration`.*received "thompson"/],
    ["seed -1", { seed: -1 }, RangeError, /`seed`.*received -1/],
    ["build", { build: "gpu" }, RangeError, /`build`.*received "gpu"/],
    ["prior wrong length", { priors: { a: [1, 2] } }, RangeError, /`priors\["a"\]\.length`.*received 2/],
    ["prior NaN", { priors: { a: Number.NaN } }, RangeError, /`priors\["a"\]`.*received NaN/],
    ["prior for unknown arm", { priors: { z: 1 } }, RangeError, /`priors`.*received "z"/],
    ["interceptIndex out of range", { interceptIndex: 3 }, RangeError, /`interceptIndex`.*received 3/],
  ];
  test.each(cases)("%s", async (_name, override, type, message) => {
    const options = { ...base, ...override } as LinUCBOptions;
    await expect(createLinUCB(options)).rejects.toThrow(type);
    await expect(createLinUCB(options)).rejects.toThrow(message);
    await expect(createReferenceLinUCB(options)).rejects.toThrow(message);
  });
});

async function engines(): Promise<LinUCBEngine[]> {
  const problem = makeProblem(5, 3, 60, 2, 2);
  const options = { dimension: 3, arms: ["arm-0", "arm-1"] };
  const wasm = await createLinUCB(options);
  const reference = await createReferenceLinUCB(options);
  wasm.updateMany(problem.batch);
  reference.updateMany(problem.batch);
  return [wasm, reference];
}

describe.each(["wasm", "reference"])("bad input to the %s engine changes nothing", (which) => {
  const pick = async () => (await engines())[which === "wasm" ? 0 : 1]!;
  const contexts = (rows: number[][]) => new Float64Array(rows.flat());
  const cases: [string, (engine: LinUCBEngine) => unknown, new (...args: never[]) => Error, RegExp][] = [
    [
      "short context",
      (e) => e.update("cell-0", "arm-0", [1, 2], 1),
      RangeError,
      /`context` must have length 3.*received length 2/,
    ],
    [
      "NaN in context",
      (e) => e.update("cell-0", "arm-0", [1, Number.NaN, 2], 1),
      RangeError,
      /`context\[1\]`.*received NaN/,
    ],
    [
      "Infinity in context",
      (e) => e.select("cell-0", [1, 2, Infinity]),
      RangeError,
      /`context\[2\]`.*received Infinity/,
    ],
    ["context not an array", (e) => e.scores("cell-0", 5 as unknown as number[]), TypeError, /`context`.*received 5/],
    [
      "non-finite reward",
      (e) => e.update("cell-0", "arm-0", [1, 2, 3], Number.NaN),
      RangeError,
      /`reward`.*received NaN/,
    ],
    [
      "string reward",
      (e) => e.update("cell-0", "arm-0", [1, 2, 3], "1" as unknown as number),
      TypeError,
      /`reward`.*received "1"/,
    ],
    ["unknown arm", (e) => e.update("cell-0", "arm-9", [1, 2, 3], 1), LinUCBError, /`arm` "arm-9" is not one of/],
    ["empty cell id", (e) => e.update("", "arm-0", [1, 2, 3], 1), RangeError, /`cell`.*non-empty/],
    [
      "bad out buffer",
      (e) => e.scores("cell-0", [1, 2, 3], new Float64Array(5)),
      RangeError,
      /`out`.*length 2.*received Float64Array\(5\)/,
    ],
    ["new cell with bad context", (e) => e.update("brand-new", "arm-0", [1, 2], 1), RangeError, /length 3/],
    [
      "batch: one NaN reward among good rows",
      (e) =>
        e.updateMany({
          cells: ["cell-0", "new-1", "cell-1"],
          arms: ["arm-0", "arm-1", "arm-0"],
          contexts: contexts([
            [1, 0, 0],
            [1, 1, 1],
            [1, 2, 2],
          ]),
          rewards: [1, 0, Number.NaN],
        }),
      RangeError,
      /`batch\.rewards\[2\]`.*received NaN/,
    ],
    [
      "batch: one unknown arm",
      (e) =>
        e.updateMany({
          cells: ["new-2", "cell-1"],
          arms: ["arm-0", "nope"],
          contexts: contexts([
            [1, 0, 0],
            [1, 1, 1],
          ]),
          rewards: [1, 0],
        }),
      LinUCBError,
      /`batch\.arms\[1\]` "nope"/,
    ],
    [
      "batch: one infinite feature",
      (e) =>
        e.refit({
          cells: ["new-3", "cell-1"],
          arms: ["arm-0", "arm-1"],
          contexts: contexts([
            [1, 0, 0],
            [1, -Infinity, 1],
          ]),
          rewards: [1, 0],
        }),
      RangeError,
      /row 1 feature 1.*received -Infinity/,
    ],
    [
      "batch: contexts of the wrong length",
      (e) => e.accumulate({ cells: ["cell-0"], arms: ["arm-0"], contexts: new Float64Array(4), rewards: [1] }),
      RangeError,
      /`batch\.contexts`.*1 × 3 = 3.*received 4/,
    ],
    [
      "batch: rewards of the wrong length",
      (e) => e.updateMany({ cells: ["cell-0"], arms: ["arm-0"], contexts: new Float64Array(3), rewards: [1, 2] }),
      RangeError,
      /`batch\.rewards`.*one entry per row \(1\)/,
    ],
    [
      "batch: cell index out of range",
      (e) =>
        e.updateMany({
          cells: new Int32Array([7]),
          arms: new Int32Array([0]),
          contexts: new Float64Array(3),
          rewards: [1],
        }),
      RangeError,
      /`batch\.cells\[0\]`.*received 7/,
    ],
    [
      "selectMany: ragged contexts",
      (e) => e.selectMany("cell-0", new Float64Array(4)),
      RangeError,
      /multiple of the dimension 3.*received 4/,
    ],
    ["model of an unknown cell", (e) => e.model("nowhere", "arm-0"), LinUCBError, /`cell` "nowhere" is not a cell/],
    ["export of an unknown cell", (e) => e.exportStatistics(["nowhere"]), LinUCBError, /"nowhere" is not a cell/],
  ];
  test.each(cases)("%s", async (_name, call, type, message) => {
    const engine = await pick();
    const before = engine.snapshot();
    const cellsBefore = engine.cells();
    let thrown: unknown;
    try {
      call(engine);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(type);
    expect((thrown as Error).message).toMatch(message);
    expect(engine.cells()).toEqual(cellsBefore);
    expect(engine.snapshot()).toEqual(before);
  });
});

test("domain errors carry a code and the values involved", async () => {
  const engine = await createLinUCB(base);
  try {
    engine.update("c", "zzz", [1, 2, 3], 1);
    expect.unreachable();
  } catch (error) {
    expect(error).toBeInstanceOf(LinUCBError);
    expect((error as LinUCBError).code).toBe("UNKNOWN_ARM");
    expect((error as LinUCBError).details).toEqual({ arm: "zzz" });
  }
});

describe("index-based per-event calls", () => {
  test("updateAt and scoresAt equal update and scores", async () => {
    const problem = makeProblem(77, 5, 200, 3, 2);
    const byId = await createLinUCB({ dimension: 5, arms: problem.arms });
    const byIndex = await createLinUCB({ dimension: 5, arms: problem.arms });
    const { cells, arms, rewards, contexts } = problem.batch;
    for (let e = 0; e < cells.length; e++) {
      const context = contexts.subarray(5 * e, 5 * e + 5);
      byId.update(cells[e]!, arms[e]!, context, rewards[e]!);
      byIndex.updateAt(byIndex.cellIndex(cells[e]!), byIndex.armIndex(arms[e]!), context, rewards[e]!);
    }
    expect(byIndex.snapshot()).toEqual(byId.snapshot());
    const out = new Float64Array(2);
    expect(byIndex.scoresAt(byIndex.cellIndex("cell-1"), [1, 2, 3, 4, 5], out)).toBe(out);
    expect([...out]).toEqual([...byId.scores("cell-1", [1, 2, 3, 4, 5])]);
  });

  test("bad indices and values are refused and change nothing", async () => {
    const engine = (await engines())[0]!;
    const before = engine.snapshot();
    expect(() => engine.updateAt(5, 0, [1, 2, 3], 1)).toThrow(/`cellIndex`.*\[0, 1\].*received 5/);
    expect(() => engine.updateAt(0.5, 0, [1, 2, 3], 1)).toThrow(RangeError);
    expect(() => engine.updateAt(0, 2, [1, 2, 3], 1)).toThrow(/`armIndex`.*\[0, 1\].*received 2/);
    expect(() => engine.updateAt(0, 1, [1, Number.NaN, 3], 1)).toThrow(/`context\[1\]`.*received NaN/);
    expect(() => engine.updateAt(0, 1, new Float64Array([1, Infinity, 3]), 1)).toThrow(
      /`context\[1\]`.*received Infinity/,
    );
    expect(() => engine.updateAt(0, 1, [1, 2, 3], Number.NaN)).toThrow(/`reward`.*received NaN/);
    expect(() => engine.scoresAt(-1, [1, 2, 3], new Float64Array(2))).toThrow(/`cellIndex`/);
    expect(() => engine.scoresAt(0, [1, 2, 3], new Float64Array(3))).toThrow(/`out`/);
    expect(engine.snapshot()).toEqual(before);
  });
});

describe("finite checks (the branch-free sum and the search behind it)", () => {
  test("allFinite and firstNonFinite find NaN and ±Infinity at any position, and only within length", () => {
    const clean = Float64Array.from({ length: 37 }, (_, i) => (i - 18) * 1e300);
    expect(allFinite(clean)).toBe(true);
    expect(firstNonFinite(clean)).toBe(-1);
    // Large finite values whose differences are still 0 (x − x is exact), and −0.
    expect(allFinite(Float64Array.of(-0, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE))).toBe(true);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      for (const at of [0, 17, 36]) {
        const values = clean.slice();
        values[at] = bad;
        if (at < 36) values[36] = Number.NaN; // a later bad value must not win
        expect(allFinite(values)).toBe(false);
        expect(firstNonFinite(values)).toBe(at);
        expect(allFinite(values, at)).toBe(true); // the prefix before it is clean
      }
    }
  });
});
