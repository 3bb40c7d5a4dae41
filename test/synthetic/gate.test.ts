// The convergence gate in CI. Seed 42 is the regression fixture; claims about other seeds are the
// calibration's measured distribution (README "Warm-up gate"), not re-measured here.
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { createReferenceLinUCB } from "../../src/engine/reference.js";
import { runPipelineVariant } from "../../src/synthetic/calibration.js";
import { convergenceReport } from "../../src/synthetic/convergence.js";
import { WARMUP_GATE, runConvergenceGate, syntheticEngineOptions } from "../../src/synthetic/gate.js";
import { generateColumns, toEventBatch } from "../../src/synthetic/generator.js";
import { generateWorld, writeSyntheticDataset } from "../../src/synthetic/index.js";
import { runCli } from "../cli-run.js";

describe("convergence gate, seed 42", () => {
  test("the correct pipeline passes the calibrated rule and the plan's 70% headline", async () => {
    const { report, verdict, engine } = await runConvergenceGate({ seed: 42 });
    expect(verdict.reasons).toEqual([]);
    expect(verdict.pass).toBe(true);
    expect(report.coveredCells).toBeGreaterThanOrEqual(WARMUP_GATE.minCoveredCells);
    expect(report.completeness.complete).toBe(true);
    expect(report.headline.met).toBe(true);
    expect(report.value.relativeRegret).toBeLessThanOrEqual(WARMUP_GATE.maxRegret);
    expect(report.structure.error).toBeLessThanOrEqual(WARMUP_GATE.maxStructureError);
    // Learning, not luck: far better than the logging policy the log came from.
    expect(report.value.learned).toBeGreaterThan(report.value.logging);
    // The data chose the shrinkage: a finite between-cell variance, well inside the search bounds.
    const shrinkage = engine.shrinkage();
    expect(shrinkage.mode).toBe("auto");
    expect(shrinkage.strength).toBeGreaterThan(10);
    expect(shrinkage.strength).toBeLessThan(1e4);
  });

  test("the default learner beats a pooled-only learner on the deviating cells at n = 40,000", async () => {
    const learned = await runConvergenceGate({ seed: 42 });
    const pooledOnly = await runConvergenceGate({
      seed: 42,
      engine: { lambda: 1e8, pooling: { ridge: 1, shrinkage: 1e8 } },
    });
    expect(learned.report.deviating.matchShare).toBeGreaterThan(pooledOnly.report.deviating.matchShare + 0.2);
    expect(learned.report.matchShare).toBeGreaterThan(pooledOnly.report.matchShare);
  });

  test("the reference engine reaches the same choices (the gate does not rest on one kernel)", async () => {
    const { world, columns, report } = await runConvergenceGate({ seed: 42 });
    const reference = await createReferenceLinUCB(syntheticEngineOptions(world));
    reference.refit(toEventBatch(world, columns));
    const referenceReport = convergenceReport(world, reference, columns);
    expect(referenceReport.cells.map((cell) => cell.learned)).toEqual(report.cells.map((cell) => cell.learned));
  });

  test.each([
    "shuffled-rewards",
    "arm-shift",
    "cell-permutation",
    "contexts-ignored",
    "first-chunk",
    "half-dropped",
    "logging-preferred",
  ] as const)("the broken pipeline %s fails", async (variant) => {
    const run = await runPipelineVariant({ seed: 42, variant });
    expect(run.verdict.pass).toBe(false);
    expect(run.verdict.reasons.length).toBeGreaterThan(0);
  });
});

describe("linucb gate (CLI)", () => {
  test("--seed: exit 0 on pass with the report on stdout; exit 2 on a bad argument", async () => {
    const passed = await runCli(["gate", "--seed", "42", "--json"]);
    expect(passed.code).toBe(0);
    const json = JSON.parse(passed.stdout);
    expect(json.pass).toBe(true);
    expect(json.matchShare).toBeGreaterThanOrEqual(WARMUP_GATE.threshold);
    expect(json.cells).toHaveLength(60);
    expect(Object.keys(json.cells[0])).toEqual(
      expect.arrayContaining(["cell", "planted", "learned", "match", "deviating", "pooledChoice"]),
    );
    expect(json.deviating.cells.length).toBeGreaterThanOrEqual(10);
    expect(passed.stderr).toMatch(/gate PASSED/);
    const bad = await runCli(["gate", "--threshold", "2"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/`--threshold` must be a number in \[0, 1\]; received "2"/);
    const failing = await runCli(["gate", "--n", "300"]);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(/gate FAILED/);
    expect((await runCli(["gate", "--seeds", "5..2"])).code).toBe(2);
  });

  test("--outcomes/--key grades a corpus: the written corpus passes, permuted cell labels and shuffled rewards fail", async () => {
    const dir = await mkdtemp(join(tmpdir(), "linucb-gate-"));
    const world = generateWorld({ seed: 42 });
    const written = await writeSyntheticDataset(dir, world, generateColumns(world, { n: WARMUP_GATE.n, seed: 42 }));
    const lines = (await readFile(written.outcomesPath, "utf8"))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    const grade = (file: string) => runCli(["gate", "--outcomes", file, "--key", written.answerKeyPath, "--json"]);

    const correct = await grade(written.outcomesPath);
    expect(correct.code).toBe(0);
    expect(JSON.parse(correct.stdout).pass).toBe(true);

    // Cell labels permuted: every cell's rows filed under the next cell id.
    const cellIds = world.cells.map((c) => c.id);
    const permuted = join(dir, "permuted.jsonl");
    await writeFile(
      permuted,
      lines
        .map((row) => JSON.stringify({ ...row, cell: cellIds[(cellIds.indexOf(row.cell) + 1) % cellIds.length] }))
        .join("\n"),
    );
    const permutedRun = await grade(permuted);
    expect(permutedRun.code).toBe(1);
    expect(JSON.parse(permutedRun.stdout).pass).toBe(false);

    // Rewards shuffled across rows (reversed: a fixed permutation).
    const rewards = lines.map((row) => row.reward).reverse();
    const shuffled = join(dir, "shuffled.jsonl");
    await writeFile(shuffled, lines.map((row, i) => JSON.stringify({ ...row, reward: rewards[i] })).join("\n"));
    const shuffledRun = await grade(shuffled);
    expect(shuffledRun.code).toBe(1);
    expect(shuffledRun.stderr).toMatch(/gate FAILED/);

    // A key of another seed is refused, naming the problem.
    const foreignKey = join(dir, "foreign.json");
    const key = JSON.parse(await readFile(written.answerKeyPath, "utf8"));
    await writeFile(foreignKey, JSON.stringify({ ...key, seed: 43 }));
    const foreign = await runCli(["gate", "--outcomes", written.outcomesPath, "--key", foreignKey]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toMatch(/not that of seed 43/);
  }, 120_000);
});
