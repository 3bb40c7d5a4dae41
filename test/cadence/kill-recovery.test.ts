/**
 * Prod cadences killed with SIGKILL at random moments (child processes running the built CLI,
 * `linucb cadence --mode prod`), as a crash or an OOM kill would: after every kill the active pointer
 * names a complete policy version whose run succeeded (never a partial promotion), at most the
 * killed run is left 'running', and the next cadence marks it 'abandoned' as it starts — so after
 * the last one, no run is left running.
 *
 * The delays are drawn from a seeded generator (seed 20261204) over [0, 1.1 × the duration of one
 * uninterrupted run], so the kills land in every step, from the process start to the promote
 * transaction; the steps they landed in are printed. PGlite runs fewer kills: each child opens the
 * embedded database (WebAssembly start-up and, after a kill, crash recovery), which takes seconds.
 * Before each child the active pointer is cleared, so every child that gets as far promotes (the
 * gate compares with the uniform policy) and kills can land in the promote transaction. On
 * PostgreSQL one more kill is aimed there for certain: a second session holds the active-policy
 * row's insert open, the child's promote transaction waits on it, and is killed while waiting.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { validatePolicySnapshot } from "../../src/cadence/index.js";
import {
  getTrainingRun,
  migrateUp,
  openDatabase,
  readActivePolicy,
  type Db,
  type OpenDatabaseOptions,
} from "../../src/store/index.js";
import { describeOnBackends, secondSession, type FreshDatabase } from "../store/backends.js";
import { insertOutcomes } from "./fixtures.js";
import { createSeededRandom } from "../../src/evaluation/random.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const SEED = 20261204;
/** The progress lines of the cadence's steps on stderr. */
const STEP_LINE = /linucb cadence: (database|schema|judge|split|refit|evaluate|gate|promote|record)\b/g;

/** Seeded uniform draws in [0, 1): the project's own generator (src/engine/random.ts). */
function uniform(seed: number): () => number {
  const random = createSeededRandom(seed);
  return () => random.nextFloat();
}

/** What one child did: its exit (code or signal), the last cadence step it started, how long it lived. */
interface ChildRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly lastStep: string;
  readonly seconds: number;
}

/** Starts `linucb cadence --mode prod` from dist/ in a child; kills it with SIGKILL after `killAfterMs` if given. */
function startChild(
  target: readonly string[],
  killAfterMs?: number,
): { readonly child: ChildProcess; readonly done: Promise<ChildRun> } {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      "--experimental-wasm-relaxed-simd",
      "dist/src/cli/bin.js",
      "cadence",
      "--mode",
      "prod",
      "--no-report",
      "--resamples",
      "200",
      ...target,
    ],
    { cwd: root, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, DATABASE_URL: "" } },
  );
  let stderr = "";
  child.stderr?.on("data", (data: Buffer) => {
    stderr += data.toString();
  });
  const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
  const done = new Promise<ChildRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const steps = [...stderr.matchAll(STEP_LINE)].map((m) => m[1] as string);
      const finished = /linucb cadence: prod run \d+ (PASSED|FAILED) its gate/.test(stderr);
      resolve({
        code,
        signal,
        lastStep: finished ? "(finished)" : (steps.at(-1) ?? "(start-up)"),
        seconds: (performance.now() - started) / 1000,
      });
    });
  });
  return { child, done };
}

/** Runs a child to its end (or its kill after `killAfterMs`). */
function cadenceChild(target: readonly string[], killAfterMs?: number): Promise<ChildRun> {
  return startChild(target, killAfterMs).done;
}

/** A run to completion; a LOCKED exit (4: the killed child's session not yet gone on the server) is retried. */
async function completedRun(target: readonly string[]): Promise<ChildRun> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const run = await cadenceChild(target);
    if (run.code !== 4) return run;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error("the cadence lock stayed held for 5 s after its holder was killed");
}

/** The invariants after a kill; returns the ids of runs left running. */
async function checkInvariants(db: Db): Promise<number[]> {
  // Every policy version belongs to a run that succeeded: the version, the run's end and the pointer
  // are one transaction, so a kill inside it leaves none of them.
  const partial = await db.query<{ id: number }>(
    "SELECT v.id FROM policy_versions v JOIN training_runs r ON r.id = v.training_run_id WHERE r.status <> 'succeeded' OR r.policy_version_id IS DISTINCT FROM v.id",
  );
  expect(partial.rows).toEqual([]);
  const active = await readActivePolicy(db); // verifies the stored checksum
  if (active !== null) {
    expect(await getTrainingRun(db, active.trainingRunId)).toMatchObject({
      status: "succeeded",
      promoted: true,
      policyVersionId: active.id,
    });
    await validatePolicySnapshot(active.snapshot);
  }
  const running = await db.query<{ id: number }>("SELECT id FROM training_runs WHERE status = 'running' ORDER BY id");
  return running.rows.map((row) => row.id);
}

describeOnBackends("prod cadences killed with SIGKILL", (backend) => {
  const kills = backend.name === "postgres" ? 20 : 8;
  let fresh: FreshDatabase;
  let options: OpenDatabaseOptions;
  let target: string[];

  beforeAll(async () => {
    // The children run the built CLI: build it from the sources under test.
    const build = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], {
      cwd: root,
      encoding: "utf8",
    });
    if (build.status !== 0) throw new Error(`tsc failed: ${build.stdout}${build.stderr}`);
    fresh = await backend.fresh();
    options = fresh.options;
    target =
      options.databaseUrl !== undefined
        ? ["--database-url", options.databaseUrl]
        : ["--data-dir", options.dataDir as string];
    await migrateUp(fresh.db);
    await insertOutcomes(fresh.db, { n: 3000, source: "prod" });
    await fresh.db.close(); // PGlite: one process per folder; the children open it
  });
  afterAll(async () => {
    await fresh?.dispose();
  });

  it(
    `leaves no run running and never a partial promotion (${kills} kills at random moments)`,
    { timeout: 600_000 },
    async () => {
      const reference = await completedRun(target);
      expect([0, 3]).toContain(reference.code);
      // The first run pays cold caches; the kills are timed on the faster of two, so that most land
      // in flight rather than after a warm run has already exited.
      const warm = await completedRun(target);
      expect([0, 3]).toContain(warm.code);
      const runSeconds = Math.min(reference.seconds, warm.seconds);
      const draw = uniform(SEED);
      const landed: string[] = [];
      const orphans: number[] = [];
      for (let i = 0; i < kills; i++) {
        const delay = draw() * 1.1 * runSeconds * 1000;
        const child = await cadenceChild(target, delay);
        landed.push(child.signal === "SIGKILL" ? child.lastStep : `exited ${child.code}`);
        const db = await openDatabase(options);
        try {
          const running = await checkInvariants(db);
          // The next child compares with the uniform policy, so it promotes if it gets that far:
          // the kills can land in the promote transaction too.
          await db.exec("DELETE FROM active_policy");
          // At most the run just killed is running: the cadence it interrupted abandoned the one before.
          expect(running.length).toBeLessThanOrEqual(1);
          if (running.length === 1) {
            const newest = await db.query<{ id: number }>("SELECT max(id) AS id FROM training_runs");
            expect(running[0]).toBe(newest.rows[0]?.id);
            orphans.push(running[0] as number);
          }
        } finally {
          await db.close();
        }
      }
      console.log(
        `[kill -9, ${backend.name}] uninterrupted run ${runSeconds.toFixed(2)} s; kills landed in: ${landed.join(", ")}`,
      );

      const last = await completedRun(target);
      expect([0, 3]).toContain(last.code);
      const db = await openDatabase(options);
      try {
        expect(await checkInvariants(db)).toEqual([]);
        for (const id of orphans) {
          const run = await getTrainingRun(db, id);
          expect(run).toMatchObject({ status: "abandoned", promoted: false, policyVersionId: null });
          expect(run?.error).toMatch(/^abandoned: found running by the next prod cadence/);
        }
        // The kills hit runs in flight, not only start-up.
        expect(orphans.length).toBeGreaterThanOrEqual(Math.floor(kills / 4));
      } finally {
        await db.close();
      }
    },
  );

  // A second session holds the promote transaction open: PostgreSQL only.
  if (backend.name === "postgres") {
    it("writes nothing of the promotion, and the next cadence abandons the run", { timeout: 120_000 }, async () => {
      const db = await openDatabase(options);
      try {
        const versionsBefore = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM policy_versions");
        expect(versionsBefore.rows[0]?.n).toBeGreaterThan(0); // a version the blocking session can point at
        await db.exec("DELETE FROM active_policy");
        const blocker = await secondSession(options);
        try {
          await blocker.query("BEGIN");
          await blocker.query("INSERT INTO active_policy (policy_version_id) SELECT max(id) FROM policy_versions");
          const { child, done } = startChild(target);
          // Wait until the child's promote transaction waits on the held row: its version inserted
          // and its run finished, uncommitted.
          const waiting = async (): Promise<boolean> => {
            const r = await db.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO active_policy%'",
            );
            return (r.rows[0]?.n ?? 0) > 0;
          };
          for (let i = 0; i < 600 && !(await waiting()); i++) await new Promise((r) => setTimeout(r, 50));
          expect(await waiting()).toBe(true);
          child.kill("SIGKILL");
          const killed = await done;
          expect(killed.signal).toBe("SIGKILL");
          expect(killed.lastStep).toBe("promote");
        } finally {
          await blocker.query("ROLLBACK");
          await blocker.end();
        }
        expect((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM policy_versions")).rows).toEqual(
          versionsBefore.rows,
        );
        expect(await readActivePolicy(db)).toBeNull();
        const running = await checkInvariants(db);
        expect(running).toHaveLength(1);
        const last = await completedRun(target);
        expect(last.code).toBe(0);
        expect(await checkInvariants(db)).toEqual([]);
        expect(await getTrainingRun(db, running[0] as number)).toMatchObject({
          status: "abandoned",
          policyVersionId: null,
          promoted: false,
        });
      } finally {
        await db.close();
      }
    });
  }
});
