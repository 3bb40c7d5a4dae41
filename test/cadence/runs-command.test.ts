/**
 * `linucb runs [--json]`: the training runs and the policy versions, the active one marked, through
 * the CLI on both back ends — after a promoted prod run, a warm-up, a run left running by a dead
 * process (abandoned by the next cadence) and a failed one.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { runCadence } from "../../src/cadence/index.js";
import { failTrainingRun, migrateUp, openDatabase, startTrainingRun } from "../../src/store/index.js";
import { runCli as linucb } from "../cli-run.js";
import { describeOnBackends, type FreshDatabase } from "../store/backends.js";
import { insertOutcomes } from "./fixtures.js";

it("linucb runs: --help, and usage errors (exit 2)", async () => {
  const help = await linucb(["runs", "--help"]);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/^Usage: linucb runs \[options\]/);
  expect(help.stdout).toContain("abandoned");
  for (const argv of [
    ["runs", "extra"],
    ["runs", "--limit", "0"],
    ["runs", "--limit", "x"],
    ["runs", "--frobnicate"],
  ]) {
    expect((await linucb(argv)).code, argv.join(" ")).toBe(2);
  }
});

describeOnBackends("linucb runs", (backend) => {
  let fresh: FreshDatabase;
  let target: string[];
  const ids = { promoted: 0, version: 0, orphan: 0, failed: 0, next: 0 };

  beforeAll(async () => {
    fresh = await backend.fresh();
    const { db } = fresh;
    await migrateUp(db);
    await insertOutcomes(db, { n: 3000, source: "prod" });
    const promoted = await runCadence(db, { mode: "prod", resamples: 100 });
    expect(promoted.promoted).toBe(true);
    ids.promoted = promoted.runId;
    ids.version = promoted.policyVersionId as number;
    // A run whose process died: left running until the next prod cadence.
    ids.orphan = (await startTrainingRun(db, { cadence: "prod" })).id;
    const failed = await startTrainingRun(db, { cadence: "synthetic_warmup" });
    await failTrainingRun(db, failed.id, new Error("injected"));
    ids.failed = failed.id;
    const next = await runCadence(db, { mode: "prod", resamples: 100 });
    expect(next.abandonedRuns).toEqual([ids.orphan]);
    ids.next = next.runId;
    await db.close();
    target =
      fresh.options.databaseUrl !== undefined
        ? ["--database-url", fresh.options.databaseUrl]
        : ["--data-dir", fresh.options.dataDir as string];
  });
  afterAll(async () => {
    fresh = { ...fresh, db: await openDatabase(fresh.options) } as FreshDatabase;
    await fresh.dispose();
  });

  it("lists runs newest first with their status, and the versions with the active one marked (--json)", async () => {
    const run = await linucb(["runs", "--json", ...target]);
    expect(run.code, run.stderr).toBe(0);
    const listed = JSON.parse(run.stdout) as {
      trainingRuns: { id: number; status: string; error: string | null; promoted: boolean }[];
      policyVersions: { id: number; trainingRunId: number; active: boolean }[];
      activePolicyVersionId: number | null;
    };
    expect(listed.trainingRuns.map((r) => [r.id, r.status])).toEqual([
      [ids.next, "succeeded"],
      [ids.failed, "failed"],
      [ids.orphan, "abandoned"],
      [ids.promoted, "succeeded"],
    ]);
    expect(listed.trainingRuns.find((r) => r.id === ids.orphan)?.error).toMatch(
      /^abandoned: found running by the next prod cadence/,
    );
    expect(listed.activePolicyVersionId).not.toBeNull();
    const active = listed.policyVersions.filter((v) => v.active);
    expect(active.map((v) => v.id)).toEqual([listed.activePolicyVersionId]);
    expect(listed.policyVersions.map((v) => v.id)).toContain(ids.version);
  });

  it("prints the same as tables, the active version marked with *", async () => {
    const run = await linucb(["runs", "--limit", "3", ...target]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split("\n");
    const runLines = lines.filter((line) => /^\s+\d+ {2}(prod|synthetic_warmup)/.test(line));
    expect(runLines).toHaveLength(3);
    expect(runLines[2]).toMatch(new RegExp(`^\\s+${ids.orphan}  prod\\s+abandoned`));
    expect(run.stdout).toMatch(/\n {9}abandoned: found running by the next prod cadence/);
    expect(run.stdout).toMatch(/\n {9}Error: injected/);
    expect(lines.filter((line) => line.startsWith("* "))).toHaveLength(1);
    expect(run.stdout).toMatch(/active policy: version \d+\n$/);
  });
});
