// Command-line options of `npm run bench`, the filter, and the target checks.
import { expect, test } from "vitest";
import { fullSizes, matchesFilter, parseOptions, quickSizes } from "../../bench/options.js";
import type { MeasurementRecord, ModelBytes } from "../../bench/results.js";
import { checkTargets } from "../../bench/targets.js";
import { replaceFigures } from "../../bench/report.js";

test("defaults are the full workload", () => {
  const options = parseOptions([], new Date("2025-03-04T05:06:07Z"));
  expect(options.quick).toBe(false);
  expect(options.dimensions).toEqual([8, 16, 32, 64]);
  expect(options.cells).toEqual([1, 60]);
  expect(options.json).toBe("bench/results/2025-03-04T05-06-07.json");
  expect(options.sizes).toEqual(fullSizes);
  expect(options.memory).toBe(true);
  expect(options.filter).toEqual([]);
});

test("--quick, --json, --filter, --d, --cells and --no-memory", () => {
  const options = parseOptions([
    "--quick",
    "--json",
    "out.json",
    "--filter",
    "update/d16,select",
    "--filter",
    "refit",
    "--d",
    "16,64",
    "--cells",
    "60",
    "--no-memory",
  ]);
  expect(options.quick).toBe(true);
  expect(options.sizes).toEqual(quickSizes);
  expect(options.json).toBe("out.json");
  expect(options.filter).toEqual(["update/d16", "select", "refit"]);
  expect(options.dimensions).toEqual([16, 64]);
  expect(options.cells).toEqual([60]);
  expect(options.memory).toBe(false);
  expect(options.rounds).toBe(1);
});

test("bad arguments are refused with the option named", () => {
  expect(() => parseOptions(["--d", "16,x"])).toThrow(/`--d`/);
  expect(() => parseOptions(["--bogus"])).toThrow();
  expect(() => parseOptions(["--seed", "1.5"])).toThrow(/`--seed`/);
});

test("the filter matches substrings of measurement names; empty matches everything", () => {
  expect(matchesFilter("update/d16/c60/engine-relaxed/updateMany", [])).toBe(true);
  expect(matchesFilter("update/d16/c60/engine-relaxed/updateMany", ["select", "d16/c60"])).toBe(true);
  expect(matchesFilter("update/d16/c60/engine-relaxed/updateMany", ["select"])).toBe(false);
});

function record(
  task: MeasurementRecord["task"],
  d: number,
  contender: string,
  opsPerSecond: number,
  ratio: number,
): MeasurementRecord {
  return {
    name: `${task}/d${d}/c60/${contender}`,
    task,
    d,
    cells: 60,
    contender,
    label: contender,
    family: "engine",
    build: "relaxed",
    path: "batched",
    statistics: false,
    eventsPerIteration: 4096,
    iterations: 10,
    opsPerSecond,
    nsPerOp: 1e9 / opsPerSecond,
    bestOpsPerSecond: opsPerSecond,
    medianMs: 1,
    meanMs: 1,
    spreadPercent: 1,
    ratioToCarefulJs: ratio,
  };
}

test("targets pass, miss, or are not measured — never anything else", () => {
  const measurements = [
    record("update", 16, "engine-relaxed/updateMany", 8e6, 8),
    record("update", 16, "engine-relaxed/update", 6e6, 6),
    record("refit", 16, "engine-relaxed/refit", 6e6, 10),
  ];
  const bytes: ModelBytes[] = [{ d: 16, statistics: false, bytesPerModel: 2368, boundBytesPerModel: 2368 }];
  const checks = checkTargets(measurements, bytes, "relaxed");
  const byName = new Map(checks.map((c) => [c.name, c]));
  expect(byName.get("update d=16 updateMany() vs careful JS")!.pass).toBe(true);
  expect(byName.get("update d=16 update() vs careful JS")!.pass).toBe(false);
  expect(byName.get("update d=16 per-event by id vs batched")!.measured).toBeCloseTo(0.75);
  expect(byName.get("update d=16 per-event by id vs batched")!.pass).toBe(false);
  expect(byName.get("select d=64 scores(out) vs careful JS")!.pass).toBe(null);
  expect(byName.get("refit d=16 rows/s")!.pass).toBe(true);
  expect(byName.get("bytes per model d=16")!.pass).toBe(true);
  expect(byName.get("update d=16 vs C ceiling (best path)")!.stretch).toBe(true);
});

test("the README figures section is replaced between its markers only", () => {
  const readme = "# x\n<!-- figures:start -->\nold\n<!-- figures:end -->\ntail\n";
  expect(replaceFigures(readme, "new")).toBe("# x\n<!-- figures:start -->\nnew\n<!-- figures:end -->\ntail\n");
  expect(() => replaceFigures("no markers", "new")).toThrow(/figures:start/);
});
