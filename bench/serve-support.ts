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

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name; clock ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** What a {@link pacedLoad} run measured; latencies in ms, from each request's scheduled start. */
export interface PacedResult {
  readonly targetRate: number;
  readonly requestsPerSecond: number;
  readonly completed: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * An open-loop load at a steady `rate`: requests spread evenly over each millisecond tick (not sent
 * in per-second bursts, as autocannon's overallRate does), over `connections` keep-alive sockets
 * with HTTP/1.1 pipelining (a request due while its socket is busy queues behind it, as it would at
 * a real client), latencies measured from each request's scheduled time (no coordinated omission)
 * at µs resolution. A minimal raw-socket client, since Node's http client costs several times
 * autocannon's CPU per request and would itself be the bottleneck on 2 shared cores. Responses
 * must carry Content-Length (fastify's JSON replies do).
 */
export async function pacedLoad(options: {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly bodies: readonly string[];
  readonly rate: number;
  readonly durationSeconds: number;
  readonly connections?: number;
}): Promise<PacedResult> {
  const { connect } = await import("node:net");
  const target = new URL(options.url);
  const head = (body: string): string =>
    `POST ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\n` +
    Object.entries(options.headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("") +
    `content-length: ${Buffer.byteLength(body)}\r\n\r\n`;
  const requests = options.bodies.map((body) => Buffer.from(head(body) + body));
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const sockets = await Promise.all(
    Array.from(
      { length: options.connections ?? 16 },
      () =>
        new Promise<{ socket: import("node:net").Socket; waiting: number[] }>((resolve, reject) => {
          const socket = connect(Number(target.port), target.hostname, () => resolve({ socket, waiting }));
          const waiting: number[] = [];
          let buffer: Buffer = Buffer.alloc(0);
          socket.setNoDelay(true);
          socket.on("error", (error) => {
            errors += waiting.length;
            waiting.length = 0;
            reject(error);
          });
          socket.on("data", (chunk: Buffer) => {
            buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
            for (;;) {
              const end = buffer.indexOf("\r\n\r\n");
              if (end < 0) return;
              const header = buffer.subarray(0, end).toString("latin1");
              const length = Number(/content-length:\s*(\d+)/i.exec(header)?.[1] ?? 0);
              if (buffer.length < end + 4 + length) return;
              buffer = buffer.subarray(end + 4 + length);
              const status = Number(header.slice(9, 12));
              if (status < 200 || status >= 300) non2xx++;
              latencies.push(performance.now() - waiting.shift()!);
            }
          });
        }),
    ),
  );
  let sent = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000;
      if (elapsed >= options.durationSeconds) {
        clearInterval(timer);
        resolve();
        return;
      }
      // Send what the schedule owes up to now, each stamped with its own scheduled time, to the
      // socket with the fewest requests outstanding.
      const due = Math.floor(elapsed * options.rate);
      for (; sent < due; sent++) {
        let target = sockets[0]!;
        for (const candidate of sockets) if (candidate.waiting.length < target.waiting.length) target = candidate;
        target.waiting.push(started + (sent / options.rate) * 1000);
        target.socket.write(requests[sent % requests.length]!);
      }
    }, 1);
  });
  const deadline = performance.now() + 10_000;
  while (sockets.some((s) => s.waiting.length > 0) && performance.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 5));
  for (const { socket, waiting } of sockets) {
    errors += waiting.length;
    socket.destroy();
  }
  const elapsed = (performance.now() - started) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number): number =>
    Number((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN).toFixed(3));
  return {
    targetRate: options.rate,
    requestsPerSecond: Math.round(latencies.length / elapsed),
    completed: latencies.length,
    non2xx,
    errors,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: Number((sorted.at(-1) ?? Number.NaN).toFixed(3)),
  };
}
