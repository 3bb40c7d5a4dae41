/**
 * `npm run bench -- --serve`: throughput and latency of `linucb serve` on loopback, against a
 * scratch database on the PostgreSQL of DATABASE_URL (or --database-url). The server is the built
 * CLI in its own process; the load generator is autocannon in this one — on this machine kind both
 * share the same 2 cores, so every figure is for client and server together.
 *
 *   node dist/bench/serve-load.js [--duration S] [--connections N] [--quick] [--json PATH]
 *
 * 1. route: the maximum rate (autocannon as fast as it can, at 32 and at 1, 4, 16 connections) and
 *    the server's CPU per request; then an evenly paced open-loop load at 50% and 90% of that
 *    maximum with latencies from each request's scheduled time (µs resolution); the engine's share
 *    of a route (select alone, on the same snapshot, against the server's CPU per request);
 * 2. outcomes: single-outcome requests and batches of 100 for decisions the route phase made,
 *    each acknowledged only after its group commit; the rows are counted afterwards.
 * Workload: a promoted policy of 5 models, d = 16, 60 cells, ε = 0.05 (seed 1).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { restoreLinUCB } from "../src/engine/linucb.js";
import { migrateUp, openDatabase } from "../src/store/index.js";
import {
  DEFAULT_WORKLOAD,
  load,
  pacedLoad,
  processCpuSeconds,
  promoteBenchPolicy,
  routeBodies,
  scratchDatabase,
  startServer,
  type LoadResult,
  type PacedResult,
} from "./serve-support.js";

const TOKEN = "bench-token";

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function summary(result: LoadResult): Record<string, number> {
  return {
    requestsPerSecond: Math.round(result.requests.total / result.duration),
    total: result.requests.total,
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** µs per engine.select on the served snapshot (the engine's part of a route). */
async function engineSelectMicros(snapshot: Uint8Array, bodies: readonly string[]): Promise<number> {
  const engine = await restoreLinUCB(snapshot, { exploration: DEFAULT_WORKLOAD.exploration });
  const parsed = bodies
    .map((b) => JSON.parse(b) as { cell: string; features: number[] })
    .map((b) => ({ cell: b.cell, x: Float64Array.from(b.features) }));
  const rounds = 200_000;
  for (let i = 0; i < 20_000; i++) engine.select(parsed[i % parsed.length]!.cell, parsed[i % parsed.length]!.x);
  const started = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) engine.select(parsed[i % parsed.length]!.cell, parsed[i % parsed.length]!.x);
  return Number(process.hrtime.bigint() - started) / 1000 / rounds;
}

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      duration: { type: "string" },
      connections: { type: "string" },
      quick: { type: "boolean", default: false },
      json: { type: "string" },
      "database-url": { type: "string" },
    },
  });
  const baseUrl = values["database-url"] ?? process.env.DATABASE_URL;
  if (baseUrl === undefined || baseUrl === "") {
    log(
      "serve bench: needs a PostgreSQL (DATABASE_URL or --database-url); the outcome figures are about its group commit",
    );
    return 2;
  }
  const duration = Number(values.duration ?? (values.quick ? 3 : 10));
  const connections = Number(values.connections ?? 32);
  const scratch = await scratchDatabase(baseUrl, "linucb_bench_serve");
  const db = await openDatabase({ databaseUrl: scratch.url, onWarning: () => undefined });
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  try {
    await migrateUp(db);
    const { versionId, snapshot } = await promoteBenchPolicy(db, DEFAULT_WORKLOAD, 1);
    server = await startServer(["--database-url", scratch.url], TOKEN);
    log(
      `serve bench: server at ${server.url}, policy version ${versionId}, ${os.availableParallelism()} CPUs shared by client and server, load ${os.loadavg()[0]!.toFixed(2)}`,
    );
    const bodies = routeBodies(DEFAULT_WORKLOAD, 512, 1);
    let next = 0;
    const routeRequest = {
      url: `${server.url}/v1/route`,
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      connections,
      requests: [
        { setupRequest: (request: Record<string, unknown>) => ({ ...request, body: bodies[next++ % bodies.length] }) },
      ],
    };
    await load({ ...routeRequest, duration: 2 }); // warm-up (JIT, pool)
    const cpuBefore = processCpuSeconds(server.child.pid!);
    const max = await load({ ...routeRequest, duration });
    // The server's own CPU per request: what the rate would be with a core to itself.
    const serverCpuMicros = ((processCpuSeconds(server.child.pid!) - cpuBefore) / max.requests.total) * 1e6;
    const maxRate = Math.round(max.requests.total / max.duration);
    log(
      `route max: ${maxRate} req/s, p50 ${max.latency.p50} ms, p99 ${max.latency.p99} ms, non-2xx ${max.non2xx}; server CPU ${serverCpuMicros.toFixed(1)} µs per request`,
    );
    // The maximum: the best of the 32-connection run and closed-loop runs at fewer connections (on
    // 2 shared cores, fewer connections can be faster). Then latency at 50% and 90% of it under an
    // evenly paced open-loop load (autocannon's overallRate sends each second's quota in a burst).
    const sweep: { connections: number; result: LoadResult }[] = [];
    for (const c of [1, 4, 16].filter((c) => c < connections)) {
      const result = await load({ ...routeRequest, connections: c, duration: Math.max(2, duration / 2) });
      sweep.push({ connections: c, result });
      log(
        `route, ${c} connections: ${Math.round(result.requests.total / result.duration)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
      );
    }
    const best = Math.max(maxRate, ...sweep.map((run) => Math.round(run.result.requests.total / run.result.duration)));
    const paced = (share: number): Promise<PacedResult> =>
      pacedLoad({
        url: routeRequest.url,
        headers: routeRequest.headers,
        bodies,
        rate: Math.round(best * share),
        durationSeconds: duration,
      });
    const half = await paced(0.5);
    log(
      `route paced at 50% of ${best}: ${half.requestsPerSecond} req/s, p50 ${half.p50Ms} ms, p90 ${half.p90Ms} ms, p99 ${half.p99Ms} ms, non-2xx ${half.non2xx}, errors ${half.errors}`,
    );
    const ninety = await paced(0.9);
    log(
      `route paced at 90% of ${best}: ${ninety.requestsPerSecond} req/s, p50 ${ninety.p50Ms} ms, p90 ${ninety.p90Ms} ms, p99 ${ninety.p99Ms} ms, non-2xx ${ninety.non2xx}, errors ${ninety.errors}`,
    );
    const selectMicros = await engineSelectMicros(snapshot, bodies);
    log(
      `engine.select: ${selectMicros.toFixed(2)} µs per call, ${((selectMicros / serverCpuMicros) * 100).toFixed(1)}% of the server's CPU per route`,
    );

    // Outcomes for the decisions made above (each once).
    await new Promise((resolve) => setTimeout(resolve, 200));
    const ids = (
      await db.query<{ id: string }>("SELECT id::text AS id FROM routing_decisions ORDER BY created_at")
    ).rows.map((r) => r.id);
    const outcomeRequest = {
      url: `${server.url}/v1/outcomes`,
      method: "POST",
      headers: routeRequest.headers,
      connections,
    };
    let cursor = 0;
    const outcome = (id: string, i: number): Record<string, unknown> => ({
      decisionId: id,
      completed: i % 3 !== 0,
      hallucinated: i % 11 === 0,
      refused: false,
      judgeScore: (i % 10) / 10,
    });
    const singleAmount = Math.min(Math.floor(ids.length / 3), values.quick ? 5_000 : 60_000);
    const single = await load({
      ...outcomeRequest,
      amount: singleAmount,
      requests: [
        {
          setupRequest: (request: Record<string, unknown>) => ({
            ...request,
            body: JSON.stringify(outcome(ids[cursor]!, cursor++)),
          }),
        },
      ],
    });
    log(
      `outcomes, one per request: ${summary(single).requestsPerSecond} outcomes/s, p50 ${single.latency.p50} ms, p99 ${single.latency.p99} ms, non-2xx ${single.non2xx}`,
    );
    const batchSize = 100;
    const batchAmount = Math.min(Math.floor((ids.length - cursor) / batchSize), values.quick ? 100 : 1_500);
    const batches = await load({
      ...outcomeRequest,
      connections: Math.min(connections, 8),
      amount: batchAmount,
      requests: [
        {
          setupRequest: (request: Record<string, unknown>) => {
            const items = ids.slice(cursor, cursor + batchSize).map((id, i) => outcome(id, cursor + i));
            cursor += batchSize;
            return { ...request, body: JSON.stringify({ outcomes: items }) };
          },
        },
      ],
    });
    const batchOutcomesPerSecond = Math.round((batches.requests.total * batchSize) / batches.duration);
    log(
      `outcomes, batches of ${batchSize}: ${batchOutcomesPerSecond} outcomes/s, p50 ${batches.latency.p50} ms per batch, p99 ${batches.latency.p99} ms, non-2xx ${batches.non2xx}`,
    );
    const acknowledged = single.requests.total - single.non2xx + (batches.requests.total - batches.non2xx) * batchSize;
    const stored = Number(
      (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM routing_outcomes")).rows[0]!.n,
    );
    log(`outcome rows: ${stored} stored, ${acknowledged} acknowledged`);

    const report = {
      date: new Date().toISOString(),
      machine: {
        cpu: os.cpus()[0]?.model.trim(),
        cpus: os.availableParallelism(),
        node: process.version,
        loadAverage: os.loadavg()[0],
      },
      note: "client (autocannon) and server processes share the same CPUs",
      workload: { ...DEFAULT_WORKLOAD, connections, durationSeconds: duration },
      route: {
        max: summary(max),
        bestRequestsPerSecond: best,
        sweep: sweep.map((run) => ({ connections: run.connections, ...summary(run.result) })),
        pacedAtHalf: half,
        pacedAtNinety: ninety,
        engineSelectMicros: selectMicros,
        serverCpuMicrosPerRequest: serverCpuMicros,
      },
      outcomes: {
        single: summary(single),
        batches: { ...summary(batches), batchSize, outcomesPerSecond: batchOutcomesPerSecond },
        acknowledged,
        stored,
      },
    };
    const out = values.json ?? `bench/results/serve-${report.date.slice(0, 19).replaceAll(":", "-")}.json`;
    mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    log(`results: ${out}`);
    return stored >= acknowledged ? 0 : 1;
  } finally {
    if (server !== null) {
      server.child.kill("SIGTERM");
      await server.exited;
    }
    await db.close();
    await scratch.drop();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(`serve bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  },
);
