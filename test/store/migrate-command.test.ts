import { expect, it } from "vitest";
import { runCli as linucb } from "../cli-run.js";
import { migrations } from "../../src/store/migrations/index.js";
import { migrateUp } from "../../src/store/migrator.js";
import { openDatabase } from "../../src/store/open-database.js";
import { validatePolicySnapshot } from "../../src/cadence/snapshot-check.js";
import { createLinUCB } from "../../src/engine/linucb.js";
import { promoteTrainingRun } from "../../src/store/promote.js";
import { loadSyntheticOutcomes } from "../../src/store/synthetic-loader.js";
import { startTrainingRun } from "../../src/store/training-runs.js";
import { describeOnBackends, useFreshDatabase, type FreshDatabase } from "./backends.js";

/** A real (validating) policy snapshot, distinct per seed. */
async function tinySnapshot(seed: number): Promise<Uint8Array> {
  return (await createLinUCB({ dimension: 1, arms: ["m"], seed })).snapshot();
}

const latest = migrations.length;

describeOnBackends("linucb migrate", (backend) => {
  const database = useFreshDatabase(backend);

  /** The command opens the database itself: on PGlite the test's handle must let go of the folder first. */
  async function withDatabaseReleased<T>(fn: (target: string[]) => Promise<T>): Promise<T> {
    const fresh: FreshDatabase = database.fresh;
    const target =
      fresh.options.databaseUrl !== undefined
        ? ["--database-url", fresh.options.databaseUrl]
        : ["--data-dir", fresh.options.dataDir as string];
    if (backend.name === "pglite") await fresh.db.close();
    return fn(target);
  }

  it("applies, lists and reverts migrations, one step down by default", async () => {
    await withDatabaseReleased(async (target) => {
      const before = await linucb(["migrate", "status", ...target]);
      expect(before.code).toBe(0);
      expect(before.stdout).toContain(`schema version 0 of ${latest}`);
      expect(before.stdout).toMatch(/\n\s+1 {2}routing_outcomes\s+pending\n/);
      expect(before.stderr).toMatch(backend.name === "pglite" ? /embedded database in / : /PostgreSQL at postgres:/);

      const up = await linucb(["migrate", "up", ...target, "--to", "2"]);
      expect(up).toMatchObject({
        code: 0,
        stdout: `applied 001_routing_outcomes\napplied 002_routing_outcomes_source\nschema version 2 of ${latest}\n`,
      });
      const rest = await linucb(["migrate", "up", ...target]);
      expect(rest.stdout.split("\n").filter((line) => line.startsWith("applied"))).toHaveLength(latest - 2);
      expect((await linucb(["migrate", "up", ...target])).stdout).toBe(
        `nothing to do: schema version ${latest} of ${latest}\n`,
      );

      const json = await linucb(["migrate", "status", "--json", ...target]);
      const status = JSON.parse(json.stdout) as { current: number; migrations: { appliedAt: string | null }[] };
      expect(status.current).toBe(latest);
      expect(status.migrations.every((m) => m.appliedAt !== null)).toBe(true);

      const down = await linucb(["migrate", "down", ...target]);
      const newest = migrations.at(-1)!;
      const reverted = `reverted ${String(newest.version).padStart(3, "0")}_${newest.name}`;
      expect(down).toMatchObject({ code: 0, stdout: `${reverted}\nschema version ${latest - 1} of ${latest}\n` });
      const all = await linucb(["migrate", "down", "--all", ...target]);
      expect(all.stdout.split("\n").filter((line) => line.startsWith("reverted"))).toHaveLength(latest - 1);
      expect(all.stdout).toContain(`schema version 0 of ${latest}`);
    });
  });

  it("refuses a down that would drop promoted policies (exit 1, counts per table), forces it, and goes up again", async () => {
    const fresh: FreshDatabase = database.fresh;
    if (backend.name === "pglite") await fresh.db.close();
    const db = await openDatabase(fresh.options);
    try {
      await migrateUp(db);
      const run = await startTrainingRun(db, { cadence: "prod" });
      await promoteTrainingRun(db, {
        trainingRunId: run.id,
        snapshot: await tinySnapshot(7),
        finish: { rowsRead: 5, rowsRejected: 0, cells: 1 },
        validateSnapshot: validatePolicySnapshot,
      });
      const row = {
        agentId: "a",
        cell: "c",
        model: "m",
        features: Float64Array.from([1]),
        propensity: 1,
        completed: true,
        hallucinated: false,
        refused: false,
        judgeScore: null,
        judgeModel: null,
        reward: 1,
        policyVersion: null,
        source: "synthetic_test_v1",
        synthetic: true as const,
        seed: 1,
        affinityVersion: "v1",
        difficulty: 0,
      };
      await loadSyntheticOutcomes(db, [row, row]);
    } finally {
      await db.close();
    }
    const target =
      fresh.options.databaseUrl !== undefined
        ? ["--database-url", fresh.options.databaseUrl]
        : ["--data-dir", fresh.options.dataDir as string];

    const refused = await linucb(["migrate", "down", "--to", "4", ...target]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toContain(
      "reverting would drop stored data: migration 5 (policy_versions) drops active_policy: 1 row, policy_versions: 1 row, " +
        "training_runs.policy_version_id: 1 reference to policy_versions (set to null). Nothing was changed",
    );
    expect((await linucb(["migrate", "status", ...target])).stdout).toContain(`schema version ${latest} of ${latest}`);

    const forced = await linucb(["migrate", "down", "--to", "4", "--force", ...target]);
    expect(forced.code, forced.stderr).toBe(0);
    const above4 = migrations
      .filter((m) => m.version > 4)
      .map((m) => `${String(m.version).padStart(3, "0")}_${m.name}`);
    expect(forced.stdout).toBe(
      `${[...above4]
        .reverse()
        .map((name) => `reverted ${name}\n`)
        .join("")}schema version 4 of ${latest}\n`,
    );
    expect(forced.stderr).toContain(
      "reverting 005_policy_versions dropped active_policy: 1 row, policy_versions: 1 row",
    );
    const up = await linucb(["migrate", "up", ...target]);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toBe(
      `${above4.map((name) => `applied ${name}\n`).join("")}schema version ${latest} of ${latest}\n`,
    );

    const keep = await linucb(["migrate", "retire-synthetic", ...target]);
    expect(keep.code).toBe(1);
    expect(keep.stderr).toContain(
      "retiring the synthetic table would delete its 2 rows (training runs and policy versions are kept); nothing was changed",
    );
    const retired = await linucb(["migrate", "retire-synthetic", "--force", ...target]);
    expect(retired).toMatchObject({
      code: 0,
      stdout: "retired routing_outcomes_synthetic: 2 rows deleted; training runs and policy versions kept\n",
    });
  });

  it("reports usage errors with exit code 2 and the help", async () => {
    for (const argv of [
      ["migrate"],
      ["migrate", "sideways"],
      ["migrate", "up", "--to", "two"],
      ["migrate", "down", "--all", "--to", "1"],
      ["migrate", "status", "--to", "1"],
      ["migrate", "up", "--all"],
      ["migrate", "up", "--database-url", "postgres://x/y", "--data-dir", "d"],
      ["migrate", "up", "--no-such-flag"],
      ["migrate", "status", "--database-url", "not a url"],
    ]) {
      const run = await linucb(argv);
      expect(run.code, argv.join(" ")).toBe(2);
      // One line: the problem, then where the usage is.
      expect(run.stderr).toMatch(/^linucb migrate: [^\n]+; see `linucb migrate --help`\n$/);
    }
  });

  it("fails with exit code 1 and one clear line when the database is unreachable", async () => {
    const run = await linucb(["migrate", "status"], { DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^linucb migrate: PostgreSQL at postgres:\/\/nobody@127\.0\.0\.1:1\/none\nlinucb migrate: cannot connect to PostgreSQL at postgres:\/\/nobody@127\.0\.0\.1:1\/none: [^\n]+\n$/,
    );
  });
});
