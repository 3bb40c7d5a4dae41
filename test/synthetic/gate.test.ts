// The convergence gate in CI: the refit pipeline must learn the planted optimum of the synthetic
// world — on seed 42, on ten more seeds (so the gate is not tuned to one), and with more data.
import { describe, expect, test } from "vitest";
import { createReferenceLinUCB } from "../../src/engine/reference.js";
import { convergenceReport } from "../../src/synthetic/convergence.js";
import { runConvergenceGate, syntheticEngineOptions } from "../../src/synthetic/gate.js";
import { toEventBatch } from "../../src/synthetic/generator.js";
import { runCli } from "../cli-run.js";

describe("convergence gate", () => {
  test("seed 42, n = 4,000: at least 70% of covered cells match the planted optimum", async () => {
    const { report } = await runConvergenceGate({ seed: 42, n: 4000 });
    expect(report.coveredCells).toBeGreaterThanOrEqual(50);
    expect(report.matchShare).toBeGreaterThanOrEqual(0.7);
    expect(report.pass).toBe(true);
    // Learning, not luck: far better than the logging policy the log came from.
    expect(report.value.learned).toBeGreaterThan(report.value.logging);
    expect(report.value.relativeRegret).toBeLessThan(0.1);
  });

  test("ten more seeds at n = 4,000: at least 9 of 10 pass", async () => {
    const shares: number[] = [];
    for (let seed = 1; seed <= 10; seed++) shares.push((await runConvergenceGate({ seed, n: 4000 })).report.matchShare);
    const passing = shares.filter((share) => share >= 0.7).length;
    expect(passing, `match shares ${shares.map((s) => s.toFixed(3)).join(", ")}`).toBeGreaterThanOrEqual(9);
  });

  test("seed 42, n = 40,000: at least 90% match", async () => {
    const { report } = await runConvergenceGate({ seed: 42, n: 40_000 });
    expect(report.matchShare).toBeGreaterThanOrEqual(0.9);
  });

  test("the reference engine reaches the same choices (the gate does not rest on one kernel)", async () => {
    const { world, columns, report } = await runConvergenceGate({ seed: 42, n: 4000 });
    const reference = await createReferenceLinUCB(syntheticEngineOptions(world));
    reference.refit(toEventBatch(world, columns));
    const referenceReport = convergenceReport(world, reference, columns);
    expect(referenceReport.cells.map((cell) => cell.learned)).toEqual(report.cells.map((cell) => cell.learned));
  });

  test("a pipeline bug is caught: shuffled arm labels fail the gate", async () => {
    const { world, columns } = await runConvergenceGate({ seed: 42, n: 4000 });
    const batch = toEventBatch(world, columns);
    const { createLinUCB } = await import("../../src/engine/linucb.js");
    const engine = await createLinUCB(syntheticEngineOptions(world));
    // Off-by-one in the model mapping: every row is credited to the next model.
    const models = world.models;
    engine.refit({ ...batch, arms: batch.arms.map((arm) => models[(models.indexOf(arm) + 1) % models.length]!) });
    const report = convergenceReport(world, engine, columns);
    expect(report.pass).toBe(false);
  });

  test("CLI: exit 0 on pass with the report on stdout, exit 2 on a bad argument", async () => {
    const passed = await runCli(["gate", "--seed", "42", "--n", "4000", "--json"]);
    expect(passed.code).toBe(0);
    expect(JSON.parse(passed.stdout).pass).toBe(true);
    expect(passed.stderr).toMatch(/gate PASSED/);
    const bad = await runCli(["gate", "--threshold", "2"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/`--threshold` must be a number in \[0, 1\]; received "2"/);
    const failing = await runCli(["gate", "--n", "300"]);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/gate FAILED/);
  });
});
