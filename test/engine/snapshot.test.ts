// Snapshots: bit-identical round trips, deterministic bytes, and typed refusal of bad bytes.
import { describe, expect, test } from "vitest";
import { LinUCBError } from "../../src/engine/errors.js";
import { createLinUCB, restoreLinUCB } from "../../src/engine/linucb.js";
import { createReferenceLinUCB } from "../../src/engine/reference.js";
import { codeOf, makeProblem, relativeError } from "./problems.js";

async function trainedEngine(statistics = true) {
  const problem = makeProblem(42, 7, 600, 4, 3);
  const engine = await createLinUCB({
    dimension: 7,
    arms: problem.arms,
    alpha: 0.5,
    lambda: 2,
    discount: 0.999,
    priors: { "arm-1": 0.25 },
    exploration: { epsilon: 0.1 },
    seed: 9,
    statistics,
    build: "simd",
  });
  engine.updateMany(problem.batch);
  for (let i = 0; i < 10; i++) engine.select("cell-0", [1, 0, 0, 0, 0, 0, i]);
  return { engine, problem };
}

async function restoreCode(bytes: Uint8Array): Promise<string | undefined> {
  try {
    await restoreLinUCB(bytes);
  } catch (error) {
    if (error instanceof LinUCBError) return error.code;
    throw error;
  }
  return undefined;
}

describe("snapshot", () => {
  test("restore can serve the models under another exploration, models and stream kept", async () => {
    const { engine, problem } = await trainedEngine();
    const bytes = engine.snapshot();
    const greedy = await restoreLinUCB(bytes, { exploration: "ucb" });
    expect(greedy.options.exploration).toBe("ucb");
    const softmax = await restoreLinUCB(bytes, { exploration: { softmax: 0.2 } });
    expect(softmax.options.exploration).toEqual({ softmax: 0.2 });
    const cell = problem.cells[0] as string;
    const arm = problem.arms[0] as string;
    expect(softmax.model(cell, arm).theta).toEqual(engine.model(cell, arm).theta);
    const context = [1, 0, 0, 0, 0, 0, 3];
    expect(greedy.select(cell, context).propensity).toBe(1);
    const choice = softmax.select(cell, context);
    expect(choice.propensity).toBeGreaterThan(0);
    expect(choice.propensity).toBeLessThan(1);
    // The snapshot's own setting when none is given.
    expect((await restoreLinUCB(bytes)).options.exploration).toEqual({ epsilon: 0.1 });
    await expect(restoreLinUCB(bytes, { exploration: { epsilon: 2 } })).rejects.toThrow(/options\.exploration/);
    await expect(restoreLinUCB(bytes, null as never)).rejects.toThrow(TypeError);
  });

  test.each([true, false])("round trip is bit-identical (statistics: %s)", async (statistics) => {
    const { engine, problem } = await trainedEngine(statistics);
    const bytes = engine.snapshot();
    const restored = await restoreLinUCB(bytes, { build: "scalar" });
    expect(restored.snapshot()).toEqual(bytes);
    expect(restored.cells()).toEqual(engine.cells());
    expect(restored.options).toEqual(
      expect.objectContaining({ alpha: 0.5, lambda: 2, discount: 0.999, seed: 9, statistics }),
    );
    for (const cell of problem.cells) {
      for (const arm of problem.arms) {
        const a = engine.model(cell, arm);
        const b = restored.model(cell, arm);
        expect(b.theta).toEqual(a.theta);
        expect(b.covariance).toEqual(a.covariance);
        expect(b.b).toEqual(a.b);
        expect(b.count).toBe(a.count);
      }
    }
    // The random stream continues where it was.
    const context = [1, 0, 0.5, 0, 0, 0, 1];
    for (let i = 0; i < 50; i++)
      expect(restored.select("cell-2", context).armIndex).toBe(engine.select("cell-2", context).armIndex);
    // And the restored engine keeps learning like the original.
    engine.update("cell-1", "arm-0", context, 1);
    restored.update("cell-1", "arm-0", context, 1);
    expect(relativeError(restored.model("cell-1", "arm-0").theta, engine.model("cell-1", "arm-0").theta)).toBeLessThan(
      1e-12,
    );
  });

  test("the same inputs give the same bytes", async () => {
    const a = (await trainedEngine()).engine.snapshot();
    const b = (await trainedEngine()).engine.snapshot();
    expect(a).toEqual(b);
  });

  test("a reference engine's snapshot restores into the WebAssembly engine", async () => {
    const problem = makeProblem(3, 5, 300, 2, 3);
    const reference = await createReferenceLinUCB({ dimension: 5, arms: problem.arms });
    reference.updateMany(problem.batch);
    const restored = await restoreLinUCB(reference.snapshot());
    for (const cell of problem.cells) {
      expect(
        relativeError(restored.scores(cell, [1, 1, 1, 1, 1]), reference.scores(cell, [1, 1, 1, 1, 1])),
      ).toBeLessThan(1e-12);
    }
  });

  test("every truncation is refused with SNAPSHOT_TRUNCATED", async () => {
    const bytes = (await trainedEngine()).engine.snapshot();
    for (const length of [0, 1, 7, 8, 12, 15, 16, 91, 200, bytes.length >> 1, bytes.length - 5, bytes.length - 1]) {
      const code = await restoreCode(bytes.slice(0, length));
      expect(code, `length ${length}`).toBe("SNAPSHOT_TRUNCATED");
    }
  });

  test("a flipped bit anywhere is refused with a typed error", async () => {
    const bytes = (await trainedEngine()).engine.snapshot();
    const positions = [
      0,
      5,
      8,
      9,
      12,
      14,
      20,
      33,
      64,
      80,
      100,
      150,
      bytes.length >> 1,
      bytes.length - 10,
      bytes.length - 1,
    ];
    for (const position of positions) {
      const corrupted = bytes.slice();
      corrupted[position]! ^= 0x10;
      const code = await restoreCode(corrupted);
      // Magic → foreign; length field → truncated or corrupted; anything else → checksum mismatch.
      const allowed =
        position < 8
          ? ["SNAPSHOT_FOREIGN"]
          : position < 12
            ? ["SNAPSHOT_TRUNCATED", "SNAPSHOT_CORRUPTED"]
            : ["SNAPSHOT_CORRUPTED"];
      expect(allowed, `byte ${position} gave ${code}`).toContain(code);
    }
  });

  test("foreign bytes, trailing garbage and other versions are refused", async () => {
    const bytes = (await trainedEngine()).engine.snapshot();
    expect(await restoreCode(new TextEncoder().encode('{"not": "a snapshot"} and more bytes to pass the header'))).toBe(
      "SNAPSHOT_FOREIGN",
    );
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    expect(await restoreCode(longer)).toBe("SNAPSHOT_CORRUPTED");
    // A future format version with a valid checksum is a version error, not corruption.
    const { crc32 } = await import("../../src/engine/crc32.js");
    const future = bytes.slice();
    const view = new DataView(future.buffer);
    view.setUint16(12, 99, true);
    view.setUint32(future.length - 4, crc32(future.subarray(0, future.length - 4)), true);
    expect(await restoreCode(future)).toBe("SNAPSHOT_VERSION");
    await expect(restoreLinUCB("nope" as unknown as Uint8Array)).rejects.toThrow(TypeError);
    expect(codeOf(() => undefined)).toBeUndefined();
  });
});
