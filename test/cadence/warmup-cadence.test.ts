import { beforeAll, beforeEach, expect, it } from "vitest";
import { CadenceError, runCadence, type CadenceProgress, type CadenceStep } from "../../src/cadence/index.js";
import { getTrainingRun, loadSyntheticOutcomes, migrateUp } from "../../src/store/index.js";
import { generateOutcomes, generateWorld, runConvergenceGate } from "../../src/synthetic/index.js";
import { describeOnBackends, useFreshDatabase } from "../store/backends.js";
import { resetTables, scalar } from "./fixtures.js";

/** Records progress events. */
function recorder(): CadenceProgress & {
  started: CadenceStep[];
  finished: CadenceStep[];
  advanced: Map<CadenceStep, [number, number][]>;
} {
  const started: CadenceStep[] = [];
  const finished: CadenceStep[] = [];
  const advanced = new Map<CadenceStep, [number, number][]>();
  return {
    started,
    finished,
    advanced,
    stepStarted: (step) => started.push(step),
    stepAdvanced: (step, done, total) => advanced.set(step, [...(advanced.get(step) ?? []), [done, total]]),
    stepFinished: (step) => finished.push(step),
  };
}

describeOnBackends("warm-up cadence", (backend) => {
  const database = useFreshDatabase(backend);

  beforeAll(async () => {
    await migrateUp(database.db);
  });
  beforeEach(async () => {
    await resetTables(database.db);
  });

  it("loads the seed-42 world, refits through the store and grades exactly as the in-memory convergence gate", async () => {
    const { db } = database;
    const progress = recorder();
    const result = await runCadence(db, { mode: "warmup", progress, resamples: 200 });
    const gate = await runConvergenceGate({ seed: 42 });
    const n = 40_000; // the calibrated gate's n, the warm-up's default

    expect(result.load).toEqual({ source: gate.world.source, seed: 42, n, inserted: n, skipped: 0 });
    expect(result.corpus).toMatchObject({
      table: "routing_outcomes_synthetic",
      sourceFilter: null,
      rowsRead: n,
      rowsRejected: 0,
      cells: gate.world.cells.length,
    });
    expect(result.corpus.split.training + result.corpus.split.heldOut).toBe(n);
    expect(result.corpus.split.heldOut).toBeGreaterThanOrEqual(7990);
    expect(result.corpus.split.heldOut).toBeLessThanOrEqual(8010);
    const report = result.convergence!;
    expect(report.cells.map((c) => [c.cell, c.rows, c.learned])).toEqual(
      gate.report.cells.map((c) => [c.cell, c.rows, c.learned]),
    );
    expect(report.matchShare).toBe(gate.report.matchShare);
    report.cells.forEach((c, i) => expect(c.learnedEstimate).toBeCloseTo(gate.report.cells[i]!.learnedEstimate!, 9));
    expect(result.gate.passed).toBe(gate.verdict.pass);
    expect(result.gate.passed).toBe(true);

    // The learning curve: one point per chunk, n growing to the corpus, ending at the final report.
    const ns = result.learningCurve.map((p) => p.n);
    expect(ns).toEqual([...ns].sort((a, b) => a - b));
    expect(ns.at(-1)).toBe(n);
    expect(result.learningCurve.at(-1)).toEqual({
      n,
      coveredCells: report.coveredCells,
      matches: report.matches,
      matchShare: report.matchShare,
    });

    // The held-out evaluation ran on the held-out rows, against the uniform policy.
    expect(result.evaluation!.events).toBe(result.corpus.split.heldOut);
    expect(result.evaluation!.incumbent).toEqual({ kind: "uniform", policyVersionId: null });
    expect(result.evaluation!.candidate.dr).toBeDefined();

    expect(progress.started).toEqual(["schema", "load", "judge", "split", "refit", "evaluate", "gate", "record"]);
    expect(progress.finished).toEqual(progress.started);
    expect(progress.advanced.get("refit")?.at(-1)).toEqual([n, n]);
    expect(result.timings.map((t) => t.step)).toEqual(progress.started);

    const run = await getTrainingRun(db, result.runId);
    expect(run).toMatchObject({
      cadence: "synthetic_warmup",
      status: "succeeded",
      seed: 42,
      rowsRead: n,
      cells: gate.world.cells.length,
      promoted: false,
      policyVersionId: null,
    });
    expect(run?.metrics).toMatchObject({
      gate: { passed: result.gate.passed },
      convergence: { matches: report.matches },
    });
    // What the warm-up hands on: integrity (engine = SQL), the coverage table, the chosen shrinkage
    // and the calibration record of the procedure it validated.
    // biome-ignore lint/suspicious/noExplicitAny: the run's free-form metrics JSON
    const metrics = run!.metrics as Record<string, any>;
    expect(metrics.integrity).toMatchObject({ ok: true, engineRows: n, sqlRows: n, mismatchCount: 0 });
    expect(metrics.coverage.rows).toBe(n);
    expect(metrics.coverage.cells).toHaveLength(60);
    expect(Object.keys(metrics.coverage.cells[0].models)).toEqual([...gate.world.models]);
    expect(metrics.shrinkage.mode).toBe("auto");
    expect(metrics.shrinkage.strength).toBeCloseTo(gate.engine.shrinkage().strength, 3);
    expect(metrics.calibration).toMatchObject({
      rowsNeeded: n,
      poolingRidge: 1,
      alpha: 1,
      shrinkage: { mode: "auto" },
    });
    expect(await scalar(db, "SELECT count(*)::int8 AS value FROM policy_versions")).toBe(0);
  });

  it("loads idempotently: a second warm-up writes no rows and refits on the same corpus", async () => {
    const { db } = database;
    const first = await runCadence(db, { mode: "warmup", n: 1500, resamples: 100 });
    const second = await runCadence(db, { mode: "warmup", n: 1500, resamples: 100 });
    expect(second.load).toMatchObject({ inserted: 0, skipped: 1500 });
    expect(second.corpus.rowsRead).toBe(1500);
    expect(second.convergence?.cells.map((c) => c.learned)).toEqual(first.convergence?.cells.map((c) => c.learned));
    expect(second.runId).toBeGreaterThan(first.runId);
  });

  it("refuses a synthetic table that mixes worlds, and marks the run failed", async () => {
    const { db } = database;
    await loadSyntheticOutcomes(db, generateOutcomes(generateWorld({ seed: 5 }), { n: 100, seed: 5 }));
    const error = await runCadence(db, { mode: "warmup", n: 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CadenceError);
    expect((error as CadenceError).step).toBe("load");
    expect((error as Error).message).toMatch(/other synthetic worlds \(synthetic_coldstart_v2 seed 5: 100 rows\)/);
    expect(await getTrainingRun(db, (error as CadenceError).runId!)).toMatchObject({
      status: "failed",
      cadence: "synthetic_warmup",
    });
  });

  it("rejects bad options by name and value before touching the database", async () => {
    const { db } = database;
    await expect(runCadence(db, { mode: "weekly" as never })).rejects.toThrow(
      /`mode` must be 'warmup' or 'prod'; received "weekly"/,
    );
    await expect(runCadence(db, { mode: "warmup", heldOutShare: 1 })).rejects.toThrow(
      /`heldOutShare` must be a number in \(0, 1\); received 1/,
    );
    await expect(runCadence(db, { mode: "warmup", chunkSize: 0 })).rejects.toThrow(
      /`chunkSize` must be an integer in \[1, 1000000\]; received 0/,
    );
    await expect(runCadence(db, { mode: "prod", gateEstimator: "dm" as never })).rejects.toThrow(
      /`gateEstimator` must be 'snips', 'dr' or 'ips'; received "dm"/,
    );
    expect(await scalar(db, "SELECT count(*)::int8 AS value FROM training_runs")).toBe(0);
  });
});
