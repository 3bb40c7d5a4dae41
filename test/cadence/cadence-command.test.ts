import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runCli as linucb } from "../cli-run.js";
import { generateWorld } from "../../src/synthetic/index.js";
import { openDatabase, tryAcquireAdvisoryLock } from "../../src/store/index.js";
import { describeOnBackends, useFreshDatabase } from "../store/backends.js";

it("linucb cadence: --help, and usage errors that name the value received (exit 2)", async () => {
  const help = await linucb(["cadence", "--help"]);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: linucb cadence --mode warmup\|prod/);
  // The exit codes a scheduler relies on, documented in the help.
  for (const line of [
    /\n {2}0 {2}the run succeeded and its gate passed/,
    /\n {2}1 {2}the run failed/,
    /\n {2}2 {2}usage error/,
    /\n {2}3 {2}the run succeeded but its gate did not pass/,
    /\n {2}4 {2}another cadence of this mode holds the lock/,
  ]) {
    expect(help.stdout).toMatch(line);
  }
  expect(help.stdout).toMatch(/--min-propensity P .*\(default: 0\.000001\)/);
  expect(help.stdout).toMatch(/--max-feature-magnitude M .*\(default: 1000000\)/);
  const cases: [string[], RegExp][] = [
    [["cadence"], /--mode must be warmup or prod; received none/],
    [["cadence", "--mode", "daily"], /--mode must be warmup or prod; received "daily"/],
    [["cadence", "--mode", "warmup", "--held-out", "1.5"], /`--held-out` must be a number in \[0, 1\]; received "1.5"/],
    [
      ["cadence", "--mode", "warmup", "--held-out", "0"],
      /--held-out must be a share strictly between 0 and 1; received "0"/,
    ],
    [["cadence", "--mode", "prod", "--n", "10"], /--n applies to --mode warmup only; received --n "10"/],
    [
      ["cadence", "--mode", "prod", "--gate-estimator", "dm"],
      /--gate-estimator must be snips, dr or ips; received "dm"/,
    ],
    [
      ["cadence", "--mode", "warmup", "--database-url", "postgres://x", "--data-dir", "d"],
      /give --database-url or --data-dir, not both/,
    ],
    [["cadence", "--mode", "warmup", "--frobnicate"], /Unknown option '--frobnicate'/],
  ];
  for (const [argv, message] of cases) {
    const run = await linucb(argv);
    expect(run.code, argv.join(" ")).toBe(2);
    expect(run.stderr).toMatch(message);
  }
});

describeOnBackends("linucb cadence", (backend) => {
  const database = useFreshDatabase(backend);
  let reports: string;
  let target: string[];

  beforeAll(async () => {
    reports = mkdtempSync(join(tmpdir(), "linucb-cadence-reports-"));
    const fresh = database.fresh;
    target =
      fresh.options.databaseUrl !== undefined
        ? ["--database-url", fresh.options.databaseUrl]
        : ["--data-dir", fresh.options.dataDir as string];
    // The command opens the database itself: on PGlite the test's handle lets go of the folder.
    if (backend.name === "pglite") await fresh.db.close();
  });
  afterAll(() => {
    rmSync(reports, { recursive: true, force: true });
  });

  it("runs the warm-up: progress on stderr, JSON on stdout, a self-contained HTML report", async () => {
    const run = await linucb([
      "cadence",
      "--mode",
      "warmup",
      "--json",
      "--resamples",
      "200",
      "--report-dir",
      reports,
      ...target,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as {
      mode: string;
      runId: number;
      gate: { passed: boolean };
      reportFiles: { html: string; json: string; index: string };
      convergence: { cells: { cell: string }[] };
    };
    expect(result).toMatchObject({ mode: "warmup", gate: { passed: true } });
    for (const step of ["schema", "load", "judge", "split", "refit", "evaluate", "gate", "record"])
      expect(run.stderr).toMatch(new RegExp(`cadence: ${step}\\s+done in \\d+\\.\\d\\d s`));
    expect(run.stderr).toMatch(/refit\s+40000\/40000 \(100%\)/);

    const html = readFileSync(result.reportFiles.html, "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    const charts = [...html.matchAll(/<svg class="chart" data-chart="([a-z-]+)"/g)].map((m) => m[1]);
    expect(charts).toEqual(["routing-map", "traffic-shift", "estimates", "coverage-map", "cells", "learning-curve"]);
    expect(html).not.toMatch(/<script|https?:\/\/|<link /);
    for (const cell of generateWorld({ seed: 42 }).cells) expect(html).toContain(`>${cell.id}</text>`);
    expect(JSON.parse(readFileSync(result.reportFiles.json, "utf8"))).toMatchObject({
      runId: result.runId,
      mode: "warmup",
    });
    // --report-dir holds the history page too, linking this run's page.
    expect(result.reportFiles.index).toBe(join(reports, "index.html"));
    expect(readFileSync(result.reportFiles.index, "utf8")).toContain(`href="cadence-warmup-run-${result.runId}.html"`);

    const text = await linucb(["cadence", "--mode", "warmup", "--no-report", "--resamples", "100", ...target]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Cadence warmup: training run \d+/);
    expect(text.stdout).toMatch(/SNIPS\s+\d\.\d{4} \[\d\.\d{4}, \d\.\d{4}\] ess \d+/);
    expect(text.stdout).toContain("promotion     none: a warm-up never promotes");
  });

  it("exits 3 when the run succeeded but its gate did not pass, 1 when the run failed", async () => {
    const strict = await linucb([
      "cadence",
      "--mode",
      "warmup",
      "--threshold",
      "1",
      "--no-report",
      "--resamples",
      "50",
      ...target,
    ]);
    expect(strict.code).toBe(3);
    expect(strict.stderr).toMatch(/warmup run \d+ FAILED its gate/);
    const prod = await linucb(["cadence", "--mode", "prod", "--no-report", ...target]);
    expect(prod.code).toBe(1);
    expect(prod.stderr).toMatch(
      /training run \d+ failed in the split step: routing_outcomes holds no production \(source = 'prod'\) rows/,
    );
  });

  it("exits 4, doing nothing, when another cadence holds the lock (or another process the embedded database)", async () => {
    const holder = await openDatabase(database.fresh.options);
    try {
      const runsBefore = await holder.query<{ n: number }>("SELECT count(*)::int AS n FROM training_runs");
      const lock = await tryAcquireAdvisoryLock(holder, "cadence:warmup");
      expect(lock).not.toBeNull();
      const run = await linucb(["cadence", "--mode", "warmup", "--no-report", "--resamples", "50", ...target]);
      expect(run.code, run.stderr).toBe(4);
      expect(run.stderr).toMatch(
        backend.name === "postgres"
          ? /the lock "cadence:warmup" is held by another run/
          : /already open in this process/,
      );
      await lock?.release();
      expect((await holder.query<{ n: number }>("SELECT count(*)::int AS n FROM training_runs")).rows).toEqual(
        runsBefore.rows,
      );
    } finally {
      await holder.close();
    }
  });
});
