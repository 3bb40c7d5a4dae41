// The workload is the fixed one of issue 3 and is reproducible from its seed.
import { expect, test } from "vitest";
import { armCount, generateEvents, toBursts } from "../../bench/workload.js";

test("contexts are unit-norm, arms and cells uniform indices, rewards 0 or 1", () => {
  const block = generateEvents({ d: 16, cells: 60 }, 4000, 1);
  for (let e = 0; e < block.length; e++) {
    let norm = 0;
    for (let i = 0; i < 16; i++) norm += block.contexts[e * 16 + i]! ** 2;
    expect(Math.abs(norm - 1)).toBeLessThan(1e-12);
    expect(block.models[e]).toBe(block.cellIndices[e]! * armCount + block.armIndices[e]!);
    expect(block.cellIds[e]).toBe(`cell-${block.cellIndices[e]}`);
    expect(block.armIds[e]).toBe(`arm-${block.armIndices[e]}`);
    expect([0, 1]).toContain(block.rewards[e]);
    expect(block.contextViews[e]).toEqual(block.contexts.subarray(e * 16, e * 16 + 16));
  }
  // Uniform: every arm and every cell is drawn, each arm about 1/8 of the time.
  const perArm = new Array<number>(armCount).fill(0);
  for (const arm of block.armIndices) perArm[arm]!++;
  for (const count of perArm) expect(Math.abs(count - 500)).toBeLessThan(100);
  expect(new Set(block.cellIndices).size).toBe(60);
});

test("the same seed gives the same block, and a shorter block is a prefix", () => {
  const a = generateEvents({ d: 8, cells: 3 }, 300, 9);
  const b = generateEvents({ d: 8, cells: 3 }, 300, 9);
  const prefix = generateEvents({ d: 8, cells: 3 }, 100, 9);
  const other = generateEvents({ d: 8, cells: 3 }, 300, 10);
  expect(b.contexts).toEqual(a.contexts);
  expect(b.rewards).toEqual(a.rewards);
  expect(prefix.contexts).toEqual(a.contexts.subarray(0, 800));
  expect(prefix.models).toEqual(a.models.subarray(0, 100));
  expect(other.contexts).not.toEqual(a.contexts);
});

test("bursts cover the block in order, one cell each", () => {
  const block = generateEvents({ d: 4, cells: 5 }, 100, 2);
  const bursts = toBursts(block, 32);
  expect(bursts.map((b) => b.count)).toEqual([32, 32, 32, 4]);
  expect(bursts[1]!.contexts).toEqual(block.contexts.subarray(32 * 4, 64 * 4));
  expect(bursts[1]!.cell).toBe(block.cellIndices[32]);
  expect(bursts[1]!.cellId).toBe(`cell-${block.cellIndices[32]}`);
});
