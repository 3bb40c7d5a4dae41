/**
 * Support of the serving benchmark and fault tests: a scratch PostgreSQL database, a promoted
 * policy to serve, the `linucb serve` process, and autocannon behind a small typed facade.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createLinUCB } from "../src/engine/linucb.js";
import type { Exploration } from "../src/engine/types.js";
import { validatePolicySnapshot } from "../src/cadence/index.js";
import { promoteTrainingRun, startTrainingRun, type Db } from "../src/store/index.js";

const require = createRequire(import.meta.url);

/** What autocannon reports (the part used here). Latencies in ms. */
export interface LoadResult {
  readonly requests: { readonly average: number; readonly total: number };
  readonly latency: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly average: number;
    readonly max: number;
  };
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly duration: number;
  readonly statusCodeStats?: Record<string, { count: number }>;
}

/** One autocannon run; see its README for the options. */
export function load(options: Record<string, unknown>): Promise<LoadResult> {
  const autocannon = require("autocannon") as (
    opts: Record<string, unknown>,
    cb: (error: Error | null, result: LoadResult) => void,
  ) => unknown;
  return new Promise((resolve, reject) =>
    autocannon(options, (error, result) => (error ? reject(error) : resolve(result))),
  );
}

/** A database made on the server of `url`, dropped by `drop()`. */
export async function scratchDatabase(url: string, prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${process.pid}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  return {
    url: scratch.toString(),
    async drop() {
      const cleaner = new pg.Client({ connectionString: url });
      await cleaner.connect();
      await cleaner.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleaner.end();
    },
  };
}

/** The serving workload: `models` arms, dimension `dimension`, `cells` cells, ε-greedy. */
export interface ServeWorkload {
  readonly models: readonly string[];
  readonly dimension: number;
  readonly cells: number;
  readonly exploration: Exploration;
}

export const DEFAULT_WORKLOAD: ServeWorkload = {
  models: ["m0", "m1", "m2", "m3", "m4"],
  dimension: 16,
  cells: 60,
  exploration: { epsilon: 0.05 },
};

/** Trains an engine on random rows of every cell, promotes its snapshot; returns the version id and the bytes. */
export async function promoteBenchPolicy(
  db: Db,
  workload: ServeWorkload,
  seed: number,
): Promise<{ versionId: number; snapshot: Uint8Array }> {
  const engine = await createLinUCB({ dimension: workload.dimension, arms: [...workload.models], alpha: 1, seed });
  let state = seed >>> 0 || 1;
  const random = (): number => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296;
  const x = new Float64Array(workload.dimension);
  for (let c = 0; c < workload.cells; c++) {
    for (let i = 0; i < 50; i++) {
      for (let j = 0; j < x.length; j++) x[j] = random() - 0.5;
      const model = workload.models[Math.floor(random() * workload.models.length)]!;
      engine.update(`cell-${c}`, model, x, random());
    }
  }
  const snapshot = engine.snapshot();
  const run = await startTrainingRun(db, { cadence: "prod", seed });
  const finish = { rowsRead: 50 * workload.cells, rowsRejected: 0, cells: workload.cells };
  const promotion = await promoteTrainingRun(db, {
    trainingRunId: run.id,
    snapshot,
    parameters: { exploration: workload.exploration },
    finish,
    validateSnapshot: validatePolicySnapshot,
  });
  return { versionId: promotion.version.id, snapshot };
}

/** `count` route bodies over the workload's cells, with seeded features. */
export function routeBodies(workload: ServeWorkload, count: number, seed: number): string[] {
  let state = seed >>> 0 || 1;
  const random = (): number => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296;
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      cell: `cell-${i % workload.cells}`,
      agentId: `agent-${i % 7}`,
      features: Array.from({ length: workload.dimension }, () => Number((random() - 0.5).toFixed(6))),
    }),
  );
}

/** A running `linucb serve` process. */
export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it wrote on stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

const bin = fileURLToPath(new URL("../src/cli/bin.js", import.meta.url));

/**
 * Starts the built CLI's `serve` with `args` and the token, resolves once it listens. `nodeFlags`
 * go to node itself (e.g. `--cpu-prof`, which NODE_OPTIONS does not accept).
 */
export function startServer(
  args: readonly string[],
  token: string,
  nodeFlags: readonly string[] = [],
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeFlags, bin, "serve", "--port", "0", ...args], {
    env: { ...process.env, LINUCB_TOKEN: token },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+?),/.exec(stderr);
      if (match) resolve({ url: match[1]!, child, stderr: () => stderr, exited });
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code} before listening: ${stderr}`)));
  });
}

/** Statistics of a list of latencies (ms). */
export function percentiles(values: readonly number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? Number.NaN };
}

/**
 * Scheduler figures of a process's main thread (the event loop), from /proc/PID/schedstat (Linux):
 * nanoseconds on a CPU, and nanoseconds it was runnable but waiting for one (the machine's
 * crowding, as this thread felt it). NaN elsewhere.
 */
export function schedulerNanos(pid: number): { readonly running: number; readonly waiting: number } {
  try {
    const [running, waiting] = readFileSync(`/proc/${pid}/schedstat`, "utf8").trim().split(" ").map(Number);
    return { running: running!, waiting: waiting! };
  } catch {
    return { running: Number.NaN, waiting: Number.NaN };
  }
}

/** CPU seconds a process has used so far (/proc, Linux; NaN elsewhere), re-exported for the serve benches. */
export { processCpuSeconds } from "./server-cpu.js";
