// The memory probe measures what it says, on a small number of cells (the benchmark runs it with
// 10,000 in a child process).
import { expect, test } from "vitest";
import { boundBytesPerModel, estimatedBytes, memorySpecs, runMemoryProbe } from "../../bench/memory.js";

test("the bound is (DP² + 2·DP)·8 + 64 with DP = d rounded up to a multiple of 4", () => {
  expect(boundBytesPerModel(16)).toBe((256 + 32) * 8 + 64);
  expect(boundBytesPerModel(5)).toBe(boundBytesPerModel(8));
  expect(boundBytesPerModel(64)).toBe(33_856);
});

test("engine probe: a serving engine's model is within the bound; statistics add to it", async () => {
  const serving = await runMemoryProbe({ implementation: "engine", d: 16, statistics: false, cells: 20 });
  expect(serving.models).toBe(160);
  expect(serving.bytesPerModel).toBeLessThanOrEqual(serving.boundBytesPerModel);
  expect(serving.heldBytes).toBeGreaterThanOrEqual(serving.bytesPerModel * serving.models);
  expect(serving.peakRssBytes).toBeGreaterThan(0);
  const withStatistics = await runMemoryProbe({ implementation: "engine", d: 16, statistics: true, cells: 20 });
  expect(withStatistics.bytesPerModel).toBeGreaterThan(serving.bytesPerModel);
});

test("careful-JS and ml-matrix probes run and report per-model bytes", async () => {
  const careful = await runMemoryProbe({ implementation: "careful-js", d: 8, statistics: false, cells: 20 });
  expect(careful.bytesPerModel).toBe((64 + 16) * 8);
  const ml = await runMemoryProbe({ implementation: "ml-matrix", d: 8, statistics: false, cells: 20 });
  expect(Number.isFinite(ml.bytesPerModel)).toBe(true);
});

test("the engine with statistics at d = 64 and 10,000 cells is estimated past wasm32's 4 GiB", () => {
  const specs = memorySpecs([64], true);
  const withStatistics = specs.find((s) => s.implementation === "engine" && s.statistics)!;
  expect(estimatedBytes(withStatistics)).toBeGreaterThan(4 * 2 ** 30);
  expect(specs.find((s) => s.implementation === "ml-matrix")!.cells).toBe(1000);
});
