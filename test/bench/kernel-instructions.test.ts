// The parsers behind bench/kernel-instructions.ts (the valgrind runs themselves are not part of CI).
import { describe, expect, test } from "vitest";
import { callgrindCostsByAddress, exportedFunctionIndex, listedInstructions } from "../../bench/kernel-instructions.js";

// A hand-made module: one imported function (index 0) and two defined ones exported as "a" (1)
// and "b" (2), so that the index must count the import.
const module = Uint8Array.from([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00,
  0x01,
  0x04,
  0x01,
  0x60,
  0x00,
  0x00, // type section: () -> ()
  0x02,
  0x07,
  0x01,
  0x01,
  0x6d,
  0x01,
  0x66,
  0x00,
  0x00, // import "m" "f", a function of type 0
  0x03,
  0x03,
  0x02,
  0x00,
  0x00, // two functions of type 0
  0x07,
  0x09,
  0x02,
  0x01,
  0x61,
  0x00,
  0x01,
  0x01,
  0x62,
  0x00,
  0x02, // export "a" = 1, "b" = 2
  0x0a,
  0x07,
  0x02,
  0x02,
  0x00,
  0x0b,
  0x02,
  0x00,
  0x0b, // two empty bodies
]);

describe("kernel instruction counting", () => {
  test("exportedFunctionIndex counts imported functions first, as V8 numbers wasm-function[N]", () => {
    const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
    expect(wasm.validate(module)).toBe(true);
    expect(exportedFunctionIndex(module, "a")).toBe(1);
    expect(exportedFunctionIndex(module, "b")).toBe(2);
    expect(exportedFunctionIndex(module, "c")).toBe(-1);
    expect(() => exportedFunctionIndex(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), "a")).toThrow(/WebAssembly module/);
  });

  test("callgrindCostsByAddress adds self costs per address and skips the inclusive cost of calls", () => {
    const text = [
      "positions: instr line",
      "events: Ir",
      "fn=(1) kernel",
      "0x1000 0 5",
      "+4 0 3",
      "* 0 2", // same address again
      "calls=1 0x2000 0",
      "+2 0 1000", // inclusive cost of the call: not this address's own
      "+0 0 7",
      "-6 0 1",
    ].join("\n");
    const costs = callgrindCostsByAddress(text);
    expect(costs.get(0x1000)).toBe(5 + 1);
    expect(costs.get(0x1004)).toBe(3 + 2);
    expect(costs.get(0x1006)).toBe(7);
    expect([...costs.values()].reduce((a, b) => a + b, 0)).toBe(18);
  });

  test("listedInstructions takes the named function's instructions from a --print-wasm-code listing", () => {
    const listing = [
      "--- WebAssembly code ---",
      "name: wasm-function[3]",
      "Instructions (size = 8)",
      "0x7f0000001000     0  55                   push rbp",
      "0x7f0000001001     1  4889e5               REX.W movq rbp,rsp",
      "--- WebAssembly code ---",
      "name: wasm-function[4]",
      "0x7f0000002000     0  c3                   retl",
    ].join("\n");
    expect(listedInstructions(listing, 3)).toEqual([
      { address: 0x7f0000001000, text: "push rbp" },
      { address: 0x7f0000001001, text: "REX.W movq rbp,rsp" },
    ]);
    expect(listedInstructions(listing, 4)).toEqual([{ address: 0x7f0000002000, text: "retl" }]);
    expect(listedInstructions(listing, 5)).toEqual([]);
  });
});
