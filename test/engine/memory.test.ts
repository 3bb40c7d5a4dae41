// Memory growth: thousands of cells added one by one while views and earlier models stay valid,
// and capacity beyond one instance's 4 GiB refused up front.
import { expect, test } from "vitest";
import { LinUCBError } from "../../src/engine/errors.js";
import { createLinUCB } from "../../src/engine/linucb.js";
import { createReferenceLinUCB } from "../../src/engine/reference.js";
import { relativeError } from "./problems.js";

test("adding thousands of cells grows memory without losing a write", async () => {
  const arms = ["a", "b", "c", "d", "e", "f", "g", "h"];
  const d = 16;
  const engine = await createLinUCB({ dimension: d, arms, build: "simd" });
  const reference = await createReferenceLinUCB({ dimension: d, arms });
  const context = (c: number) => Float64Array.from({ length: d }, (_, i) => (i === 0 ? 1 : Math.sin(c * 0.37 + i)));
  const memoryAtStart = engine.memoryBytes;
  const cells = 4000;
  for (let c = 0; c < cells; c++) {
    const cell = `cell-${c}`;
    // Each update may grow memory (creating the cell) and then write through refreshed views.
    engine.update(cell, arms[c % 8]!, context(c), c % 3);
    if (c % 500 === 0) reference.update(cell, arms[c % 8]!, context(c), c % 3);
    // Interleave reads of an early cell so that a stale view would show up as lost or zero data.
    if (c % 97 === 0) expect(engine.model("cell-0", "a").count).toBe(1);
  }
  expect(engine.memoryBytes).toBeGreaterThan(memoryAtStart * 8);
  expect(engine.cells()).toHaveLength(cells);
  for (let c = 0; c < cells; c += 500) {
    const cell = `cell-${c}`;
    expect(relativeError(engine.scores(cell, context(c)), reference.scores(cell, context(c)))).toBeLessThan(1e-9);
    expect(engine.model(cell, arms[c % 8]!).count).toBe(1);
  }
  // A batch that introduces many cells at once also lands in full.
  const batchCells = Array.from({ length: 3000 }, (_, i) => `batch-${i}`);
  const contexts = new Float64Array(3000 * d);
  batchCells.forEach((_, i) => contexts.set(context(i), i * d));
  engine.updateMany({
    cells: batchCells,
    arms: batchCells.map((_, i) => arms[i % 8]!),
    contexts,
    rewards: batchCells.map(() => 1),
  });
  expect(engine.cells()).toHaveLength(cells + 3000);
  expect(engine.model("batch-2999", arms[2999 % 8]!).count).toBe(1);
  expect(engine.model("cell-0", "a").count).toBe(1);
});

test("capacity beyond 4 GiB is refused up front with CAPACITY_EXCEEDED and nothing changes", async () => {
  // d = 1024 with statistics: about 8.4 MB per model (two panel matrices), 67 MB per cell of
  // 8 arms: 70 cells > 4 GiB.
  const engine = await createLinUCB({ dimension: 1024, arms: ["a", "b", "c", "d", "e", "f", "g", "h"] });
  const memoryBefore = engine.memoryBytes;
  const ids = Array.from({ length: 70 }, (_, i) => `cell-${i}`);
  let error: unknown;
  try {
    engine.addCells(ids);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(LinUCBError);
  expect((error as LinUCBError).code).toBe("CAPACITY_EXCEEDED");
  expect((error as LinUCBError).message).toMatch(/560 models need .* GiB, more than one WebAssembly instance can hold/);
  expect(engine.cells()).toEqual([]);
  expect(engine.memoryBytes).toBe(memoryBefore);
  // A single model too large for any instance is refused on first use, before any allocation.
  // d = 4096 (the largest accepted), 40 arms: 40 × 134 MB per cell > 4 GiB.
  const huge = await createLinUCB({ dimension: 4096, arms: Array.from({ length: 40 }, (_, a) => `arm-${a}`) });
  expect(() => huge.select("c", new Float64Array(4096))).toThrow(
    expect.objectContaining({ code: "CAPACITY_EXCEEDED" }),
  );
  expect(huge.cells()).toEqual([]);
});
