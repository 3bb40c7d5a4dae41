// Hostile snapshots with a valid checksum: sizes that would make restore allocate far more than the
// bytes justify, and contents no engine can hold (NaN, negative counts, duplicate cells, an A⁻¹
// that is not positive definite). Each is written through the real encoder, so its CRC is right,
// and each must be refused with a typed LinUCBError before anything is allocated or written.
import { describe, expect, test } from "vitest";
import { LinUCBError } from "../../src/engine/errors.js";
import { createLinUCB, restoreLinUCB } from "../../src/engine/linucb.js";
import { resolveOptions } from "../../src/engine/options.js";
import { encodeSnapshot, type ModelRecord } from "../../src/engine/snapshot.js";
import { packedLength } from "../../src/engine/statistics.js";
import type { LinUCBOptions } from "../../src/engine/types.js";

/** A model record at its prior: A⁻¹ = I/λ (packed), θ = 0, b = 0, n = 0, w = 1. */
function priorRecord(d: number, lambda = 1, statistics = true): ModelRecord {
  const inverse = new Float64Array(packedLength(d));
  let p = 0;
  for (let i = 0; i < d; i++) {
    inverse[p] = 1 / lambda;
    p += d - i;
  }
  const record = { inverse, theta: new Float64Array(d), b: new Float64Array(d), count: 0, priorWeight: 1 };
  return statistics ? { ...record, xx: new Float64Array(packedLength(d)), xr: new Float64Array(d) } : record;
}

interface Crafted {
  readonly options?: Partial<LinUCBOptions>;
  readonly cells?: readonly string[];
  /** Changes one model's record (cell 0, arm 0 unless `at` says otherwise). */
  readonly record?: (record: ModelRecord) => ModelRecord;
  readonly at?: [number, number];
  readonly randomState?: readonly number[];
  readonly effectivePrior?: Float64Array;
}

/** Snapshot bytes with a valid checksum, written by the library's own encoder. */
function craft(crafted: Crafted = {}): Uint8Array {
  const options = resolveOptions({ dimension: 3, arms: ["a", "b"], ...crafted.options });
  const d = options.dimension;
  const [atCell, atArm] = crafted.at ?? [0, 0];
  return encodeSnapshot({
    options,
    cells: crafted.cells ?? ["c0", "c1"],
    randomState: crafted.randomState ?? [1, 2, 3, 4],
    effectivePriors: options.arms.map((_, arm) => (arm === 0 && crafted.effectivePrior) || new Float64Array(d)),
    readModel: (cell, arm) => {
      const record = priorRecord(d, options.lambda, options.statistics);
      return cell === atCell && arm === atArm && crafted.record ? crafted.record(record) : record;
    },
  });
}

async function refusal(bytes: Uint8Array, options = {}): Promise<LinUCBError> {
  try {
    await restoreLinUCB(bytes, options);
  } catch (error) {
    expect(error, String(error)).toBeInstanceOf(LinUCBError);
    return error as LinUCBError;
  }
  throw new Error("restore accepted the snapshot");
}

const withValue =
  (field: "inverse" | "theta" | "b" | "xx" | "xr", index: number, value: number) =>
  (record: ModelRecord): ModelRecord => {
    const values = Float64Array.from(record[field]!);
    values[index] = value;
    return { ...record, [field]: values };
  };

describe("restore checks sizes before it allocates", () => {
  test("a 65 KB snapshot of a d = 4096 engine with no cells is refused, not given 521 MiB", async () => {
    const bytes = craft({ options: { dimension: 4096, arms: ["a"] }, cells: [] });
    expect(bytes.length).toBeLessThan(70_000);
    const error = await refusal(bytes);
    expect(error.code).toBe("CAPACITY_EXCEEDED");
    expect(error.message).toMatch(/MiB/);
    expect(error.message).toMatch(/maxMemoryBytes/);
  });

  test("a 524 KB snapshot of 8 arms at d = 4096 is refused", async () => {
    const bytes = craft({ options: { dimension: 4096, arms: ["a", "b", "c", "d", "e", "f", "g", "h"] }, cells: [] });
    expect(bytes.length).toBeLessThan(600_000);
    expect((await refusal(bytes)).code).toBe("CAPACITY_EXCEEDED");
  });

  test("the caller can raise the limit; an ordinary snapshot restores under the default", async () => {
    const engine = await createLinUCB({ dimension: 3, arms: ["a", "b"], cells: ["c0"] });
    engine.update("c0", "a", [1, 2, 3], 1);
    const restored = await restoreLinUCB(engine.snapshot());
    expect(restored.snapshot()).toEqual(engine.snapshot());
    const bytes = craft({ options: { dimension: 512, arms: ["a"] }, cells: [] });
    expect((await refusal(bytes, { maxMemoryBytes: 1 << 20 })).code).toBe("CAPACITY_EXCEEDED");
    expect((await restoreLinUCB(bytes, { maxMemoryBytes: 2 ** 31 })).dimension).toBe(512);
    await expect(restoreLinUCB(bytes, { maxMemoryBytes: -1 })).rejects.toThrow(/maxMemoryBytes/);
  });
});

describe("restore validates every value", () => {
  const cases: [string, Crafted, RegExp][] = [
    ["NaN in A⁻¹", { record: withValue("inverse", 1, Number.NaN) }, /cell "c0" arm "a".*A⁻¹/],
    ["Infinity in θ", { record: withValue("theta", 2, Infinity) }, /θ/],
    ["NaN in b", { record: withValue("b", 0, Number.NaN) }, /\bb\b/],
    ["NaN in Σxxᵀ", { record: withValue("xx", 0, Number.NaN), at: [1, 1] }, /cell "c1" arm "b".*Σxxᵀ/],
    ["-Infinity in Σrx", { record: withValue("xr", 0, -Infinity) }, /Σrx/],
    ["a negative count", { record: (r) => ({ ...r, count: -1 }) }, /count.*-1/],
    ["a fractional count", { record: (r) => ({ ...r, count: 2.5 }) }, /count.*2\.5/],
    ["a prior weight of 0", { record: (r) => ({ ...r, priorWeight: 0 }) }, /prior weight.*0/],
    ["a prior weight above 1", { record: (r) => ({ ...r, priorWeight: 1.5 }) }, /prior weight.*1\.5/],
    ["an A⁻¹ with a negative diagonal", { record: withValue("inverse", 0, -1) }, /positive definite/],
    ["an A⁻¹ that is not positive definite", { record: withValue("inverse", 1, 5) }, /positive definite/],
    ["an A⁻¹ larger than the prior allows", { record: withValue("inverse", 0, 1e12) }, /positive definite|larger/],
    ["a Σxxᵀ with a negative diagonal", { record: withValue("xx", 0, -1) }, /Σxxᵀ/],
    ["duplicate cell ids", { cells: ["c0", "c1", "c0"] }, /cell id "c0".*twice/],
    ["an empty cell id", { cells: ["c0", ""] }, /cell id/],
    ["a NaN effective prior", { effectivePrior: Float64Array.of(0, Number.NaN, 0) }, /prior/],
    ["an all-zero random state", { randomState: [0, 0, 0, 0] }, /random/],
    ["a NaN alpha", { options: { alpha: 0 } }, /alpha/],
  ];
  test.each(cases)("%s is refused with SNAPSHOT_CORRUPTED", async (_name, crafted, message) => {
    let bytes = craft(crafted);
    if (_name === "a NaN alpha") {
      // No encoder writes a NaN option: patch it in and fix the checksum.
      const { crc32 } = await import("../../src/engine/crc32.js");
      const view = new DataView(bytes.buffer);
      view.setFloat64(32, Number.NaN, true);
      view.setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true);
      bytes = bytes.slice();
    }
    const error = await refusal(bytes);
    expect(error.code).toBe("SNAPSHOT_CORRUPTED");
    expect(error.message).toMatch(message);
  });

  test("thousands of duplicate cell ids give the typed error, not a WebAssembly trap", async () => {
    const cells = Array.from({ length: 5000 }, (_, i) => `c${i % 7}`);
    const error = await refusal(craft({ cells }));
    expect(error.code).toBe("SNAPSHOT_CORRUPTED");
  });

  test("a clean crafted snapshot restores (the checks refuse only what is wrong)", async () => {
    const restored = await restoreLinUCB(craft());
    expect(restored.cells()).toEqual(["c0", "c1"]);
    expect([...restored.scores("c0", [1, 0, 0])]).toEqual([1, 1]);
  });
});
