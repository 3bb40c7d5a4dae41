/**
 * `npm run bench -- --serve`: throughput and latency of `linucb serve` on loopback, against a
 * scratch database on the PostgreSQL of DATABASE_URL (or --database-url). The server is the built
 * CLI in its own process; the load generator (bench/serve-client.ts) runs in this one — on this
 * machine kind client, server and PostgreSQL share the same 2 cores, so every rate is for the three
 * together. Besides rates and latencies it reports what does not depend on the crowd: CPU time per
 * request of the server, the client and the PostgreSQL backends, over a fixed request count.
 *
 *   node dist/bench/serve-load.js [--quick] [--requests N] [--duration S] [--json PATH] [--cpu-prof DIR]
 *
 * (--cpu-prof DIR: the server runs under `node --cpu-prof` and writes its profile to DIR on exit.)
 *
 * 1. route, CPU per request: N requests (closed loop, 16 connections); the server's CPU from /proc,
 *    the PostgreSQL backends' (the decision log's INSERTs), the client's own;
 * 2. route, maximum: closed loops at 1, 4, 16 and 32 connections, the best rate; autocannon at the
 *    best concurrency for comparison (its client costs more CPU per request);
 * 3. route, latency at 50% and 90% of that maximum: evenly paced open loops, latency from each
 *    request's scheduled time, with what makes the tail visible: how late the client's own timer
 *    fired, how long the server's event loop waited for a CPU (run-queue wait, /proc schedstat), and
 *    from the server's /metrics its event-loop delay and GC time over the run;
 *    when 50% of the maximum is above 7,500/s, also at 7,500/s (half of the issue's 15,000/s target,
 *    which its p99 ≤ 5 ms target is set at); then 50% again on a second server started with
 *    --durable-decisions (answers after the commit);
 * 4. the engine's share: `select` (as the server calls it) in CPU µs against the server's per route;
 * 5. outcomes: batches of 100 (16 connections) and single outcomes (32) for decisions made above,
 *    each acknowledged only after its group commit; rows counted afterwards (acknowledged = stored).
 * Workload: a promoted policy of 5 models, d = 16, 60 cells, ε = 0.05 (seed 1). About 2 minutes
 * (40 s with --quick); every closed loop stops sending at a time cap, so a crowded machine cannot
 * make it run past ~4 minutes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { restoreLinUCB } from "../src/engine/linucb.js";
import { migrateUp, openDatabase, type Db } from "../src/store/index.js";
import { closedLoad, pacedLoad, type ClientResult, type PacedResult } from "./serve-client.js";
import {
  DEFAULT_WORKLOAD,
  load,
  processCpuSeconds,
  promoteBenchPolicy,
  routeBodies,
  scratchDatabase,
  schedulerNanos,
  startServer,
  type LoadResult,
} from "./serve-support.js";

const TOKEN = "bench-token";
const HEADERS = { "content-type": "application/json", authorization: `Bearer ${TOKEN}` };

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

const round1 = (x: number): number => Number(x.toFixed(1));
const load1 = (): number => round1(os.loadavg()[0]!);

/** The route throughput target (req/s); its latency target is set at half of it. */
const ROUTE_RATE_TARGET = 15_000;

/** CPU used by the server process and the PostgreSQL backends of the scratch database. */
class CpuMeter {
  constructor(
    private readonly db: Db,
    private readonly serverPid: number,
    private readonly database: string,
  ) {}

  /** Starts a measurement; the returned function gives µs per `count` operations since. */
  async start(): Promise<
    (count: number) => Promise<{ server: number; postgres: number; serverWaitMsPerSecond: number }>
  > {
    const server = processCpuSeconds(this.serverPid);
    const postgres = await this.backendSeconds();
    const scheduler = schedulerNanos(this.serverPid);
    const started = performance.now();
    return async (count) => {
      const seconds = (performance.now() - started) / 1000;
      const waited = schedulerNanos(this.serverPid).waiting - scheduler.waiting;
      let postgresUsed = 0;
      // Backends opened since the start count whole.
      for (const [pid, now] of await this.backendSeconds()) postgresUsed += now - (postgres.get(pid) ?? 0);
      return {
        server: round1(((processCpuSeconds(this.serverPid) - server) / count) * 1e6),
        postgres: round1((postgresUsed / count) * 1e6),
        // Milliseconds per second the server's event loop was runnable but had no CPU.
        serverWaitMsPerSecond: round1(waited / 1e6 / seconds),
      };
    };
  }

  /** CPU seconds of each backend connected to the database (but this process's own query). */
  private async backendSeconds(): Promise<Map<number, number>> {
    const backends = await this.db.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
      [this.database],
    );
    return new Map(backends.rows.map((r) => [r.pid, processCpuSeconds(r.pid) || 0]));
  }
}

/**
 * The sampling interval of prom-client's event-loop monitor (its default `eventLoopMonitoringPrecision`),
 * ms. Node's `monitorEventLoopDelay` histogram records the whole time between two samples, so an idle
 * loop reads ~10 ms: the delay is what lies beyond it (an idle process on this machine: p99 ≈ 2.8 ms).
 */
const LOOP_MONITOR_INTERVAL_MS = 10;

/** The server's own view of a stretch of time, from two scrapes of its /metrics. */
interface ServerView {
  /**
   * Event-loop delay over the stretch beyond the monitor's 10 ms sampling interval (prom-client's
   * monitorEventLoopDelay, reset at each scrape), ms.
   */
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  /** Garbage collection: pauses and ms per second, over the stretch. */
  readonly gcPauses: number;
  readonly gcMsPerSecond: number;
}

/** The GC totals (seconds, count) and the loop-delay figures since the last scrape. */
async function scrape(url: string): Promise<{ gcSeconds: number; gcCount: number; p99: number; max: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = (pattern: RegExp): number =>
    [...text.matchAll(pattern)].reduce((total, match) => total + Number(match[1]), 0);
  return {
    gcSeconds: sum(/^linucb_nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)$/gm),
    gcCount: sum(/^linucb_nodejs_gc_duration_seconds_count\{[^}]*\} (\S+)$/gm),
    p99: sum(/^linucb_nodejs_eventloop_lag_p99_seconds (\S+)$/gm),
    max: sum(/^linucb_nodejs_eventloop_lag_max_seconds (\S+)$/gm),
  };
}

/** Starts watching the server; the returned function gives its view since. */
async function watchServer(url: string): Promise<() => Promise<ServerView>> {
  const before = await scrape(url);
  const started = performance.now();
  return async () => {
    const after = await scrape(url);
    const seconds = (performance.now() - started) / 1000;
    return {
      loopDelayP99Ms: round1(Math.max(0, after.p99 * 1000 - LOOP_MONITOR_INTERVAL_MS)),
      loopDelayMaxMs: round1(Math.max(0, after.max * 1000 - LOOP_MONITOR_INTERVAL_MS)),
      gcPauses: after.gcCount - before.gcCount,
      gcMsPerSecond: round1(((after.gcSeconds - before.gcSeconds) * 1000) / seconds),
    };
  };
}

/** CPU µs per engine.select on the served snapshot, called as the server calls it. */
async function engineSelectMicros(snapshot: Uint8Array, bodies: readonly string[]): Promise<number> {
  const engine = await restoreLinUCB(snapshot, { exploration: DEFAULT_WORKLOAD.exploration });
  const parsed = bodies.map((b) => JSON.parse(b) as { cell: string; features: number[] });
  const into = { arm: "", armIndex: 0, propensity: 0 };
  const rounds = 200_000;
  for (let i = 0; i < 20_000; i++)
    engine.select(parsed[i % parsed.length]!.cell, parsed[i % parsed.length]!.features, into);
  const cpu = process.cpuUsage();
  for (let i = 0; i < rounds; i++)
    engine.select(parsed[i % parsed.length]!.cell, parsed[i % parsed.length]!.features, into);
  const used = process.cpuUsage(cpu);
  return Number(((used.user + used.system) / rounds).toFixed(2));
}

/** "0", or the count and its status codes ("12 (503: 12)"). */
function non2xx(result: ClientResult): string {
  if (result.non2xx === 0) return "0";
  const codes = Object.entries(result.non2xxByStatus).map(([status, n]) => `${status}: ${n}`);
  return `${result.non2xx} (${codes.join(", ")})`;
}

function describe(result: ClientResult): string {
  return `${result.requestsPerSecond} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, non-2xx ${non2xx(result)}, errors ${result.errors}`;
}

function autocannonSummary(result: LoadResult): Record<string, number> {
  return {
    requestsPerSecond: Math.round(result.requests.total / result.duration),
    total: result.requests.total,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      requests: { type: "string" },
      duration: { type: "string" },
      quick: { type: "boolean", default: false },
      json: { type: "string" },
      "cpu-prof": { type: "string" },
      "database-url": { type: "string" },
    },
  });
  const baseUrl = values["database-url"] ?? process.env.DATABASE_URL;
  if (baseUrl === undefined || baseUrl === "") {
    log(
      "serve bench: needs a PostgreSQL (DATABASE_URL or --database-url); the decision log and outcomes are written there",
    );
    return 2;
  }
  const requests = Number(values.requests ?? (values.quick ? 30_000 : 100_000));
  const duration = Number(values.duration ?? (values.quick ? 4 : 10));
  const scratch = await scratchDatabase(baseUrl, "linucb_bench_serve");
  const db = await openDatabase({ databaseUrl: scratch.url, onWarning: () => undefined });
  const loadAtStart = load1();
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  try {
    await migrateUp(db);
    const { versionId, snapshot } = await promoteBenchPolicy(db, DEFAULT_WORKLOAD, 1);
    const profile = values["cpu-prof"];
    server = await startServer(
      ["--database-url", scratch.url],
      TOKEN,
      profile === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profile}`],
    );
    const serverPid = server.child.pid!;
    log(
      `serve bench: server at ${server.url}, policy version ${versionId}, ${os.availableParallelism()} CPUs shared by client, server and PostgreSQL, load ${loadAtStart}`,
    );
    const bodies = routeBodies(DEFAULT_WORKLOAD, 512, 1);
    const route = { url: `${server.url}/v1/route`, headers: HEADERS, bodies };
    await closedLoad({ ...route, connections: 16, amount: 20_000, maxSeconds: 15 }); // warm-up: JIT, pool, first cells
    const meter = new CpuMeter(db, serverPid, new URL(scratch.url).pathname.slice(1));

    // 1. CPU per route over a fixed request count.
    const measure = await meter.start();
    const fixed = await closedLoad({ ...route, connections: 16, amount: requests, maxSeconds: 40 });
    const perRoute = { ...(await measure(fixed.completed)), client: fixed.clientCpuMicros };
    const totalMicros = perRoute.server + perRoute.postgres + perRoute.client;
    log(
      `route CPU per request over ${fixed.completed}: server ${perRoute.server} µs, PostgreSQL ${perRoute.postgres} µs, client ${perRoute.client} µs ` +
        `(${Math.round(1e6 / perRoute.server)} req/s for a core to the server alone; ${Math.round(2e6 / totalMicros)} req/s for all three on 2 free cores); ${describe(fixed)}`,
    );

    // 2. The maximum: the best closed loop over concurrencies (on 2 shared cores fewer can be faster).
    const sweep: { connections: number; result: ClientResult }[] = [{ connections: 16, result: fixed }];
    for (const connections of [1, 4, 32]) {
      const result = await closedLoad({ ...route, connections, amount: Math.round(requests / 2), maxSeconds: 15 });
      sweep.push({ connections, result });
      log(
        `route, closed loop, ${connections} connections: ${describe(result)}, client ${result.clientCpuMicros} µs/req`,
      );
    }
    const best = sweep.reduce((a, b) => (b.result.requestsPerSecond > a.result.requestsPerSecond ? b : a));
    const maxRate = best.result.requestsPerSecond;
    log(`route maximum: ${maxRate} req/s (${best.connections} connections), load ${load1()}`);
    let next = 0;
    const cpuBeforeAutocannon = process.cpuUsage();
    const autocannon = await load({
      url: route.url,
      method: "POST",
      headers: HEADERS,
      connections: best.connections,
      duration: Math.max(2, duration / 2),
      requests: [{ setupRequest: (r: Record<string, unknown>) => ({ ...r, body: bodies[next++ % bodies.length] }) }],
    });
    const autocannonCpu = process.cpuUsage(cpuBeforeAutocannon);
    const autocannonClientMicros = round1((autocannonCpu.user + autocannonCpu.system) / autocannon.requests.total);
    log(
      `route, autocannon, ${best.connections} connections: ${autocannonSummary(autocannon).requestsPerSecond} req/s, p50 ${autocannon.latency.p50} ms, p99 ${autocannon.latency.p99} ms, client ${autocannonClientMicros} µs/req`,
    );

    // 3. Latency at 50% and 90% of the maximum, paced.
    const paced = async (
      rate: number,
      label: string,
    ): Promise<
      PacedResult &
        ServerView & { serverWaitMsPerSecond: number; clientWaitMsPerSecond: number; serverCpuMicros: number }
    > => {
      const during = await meter.start();
      const view = await watchServer(server!.url);
      const clientScheduler = schedulerNanos(process.pid);
      const result = await pacedLoad({ ...route, rate, durationSeconds: duration });
      const cpu = await during(result.completed);
      const seen = await view();
      // The load generator's own run-queue wait: a request it sends late is late in its latency too.
      const clientWaitMsPerSecond = round1(
        (schedulerNanos(process.pid).waiting - clientScheduler.waiting) / 1e6 / result.durationSeconds,
      );
      log(
        `route paced at ${label} (${result.targetRate}/s): ${result.requestsPerSecond} req/s, p50 ${result.p50Ms} ms, p90 ${result.p90Ms} ms, ` +
          `p99 ${result.p99Ms} ms, max ${result.maxMs} ms, non-2xx ${non2xx(result)}, errors ${result.errors}; client timer late p99 ${result.timerLateP99Ms} ms, ` +
          `client waited for a CPU ${clientWaitMsPerSecond} ms/s, ` +
          `server waited for a CPU ${cpu.serverWaitMsPerSecond} ms/s, ` +
          `its event loop late p99 ${seen.loopDelayP99Ms} ms ` +
          `(max ${seen.loopDelayMaxMs} ms), GC ${seen.gcMsPerSecond} ms/s in ${seen.gcPauses} pauses; load ${load1()}`,
      );
      return {
        ...result,
        ...seen,
        serverWaitMsPerSecond: cpu.serverWaitMsPerSecond,
        clientWaitMsPerSecond,
        serverCpuMicros: cpu.server,
      };
    };
    const half = await paced(Math.round(maxRate * 0.5), "50%");
    const ninety = await paced(Math.round(maxRate * 0.9), "90%");
    // The latency target reads "p99 ≤ 5 ms at half of" the 15,000 req/s throughput target:
    // when the maximum is well above 15,000, 50% of it is a harder test than that, so both are run.
    const halfTarget =
      maxRate * 0.5 > ROUTE_RATE_TARGET * 0.5 ? await paced(ROUTE_RATE_TARGET * 0.5, "half the 15,000/s target") : half;
    // The same half load on a second server that answers each route only once its decision is
    // committed (--durable-decisions): what that guarantee costs in latency.
    const durableServer = await startServer(["--database-url", scratch.url, "--durable-decisions"], TOKEN);
    let durable: PacedResult;
    try {
      const durableRoute = { ...route, url: `${durableServer.url}/v1/route` };
      await closedLoad({ ...durableRoute, connections: 64, amount: 10_000, maxSeconds: 10 }); // warm-up
      // Each answer waits for a commit, and a socket answers its pipelined requests in order: 256
      // sockets, so that the rate is not capped by one commit per socket at a time.
      durable = await pacedLoad({
        ...durableRoute,
        rate: Math.round(maxRate * 0.5),
        durationSeconds: duration / 2,
        connections: 256,
      });
    } finally {
      durableServer.child.kill("SIGTERM");
      await durableServer.exited;
    }
    log(
      `route paced at 50% with --durable-decisions (${durable.targetRate}/s): ${durable.requestsPerSecond} req/s, ` +
        `p50 ${durable.p50Ms} ms, p90 ${durable.p90Ms} ms, p99 ${durable.p99Ms} ms, non-2xx ${non2xx(durable)}; load ${load1()}`,
    );

    // 4. The engine's share.
    const selectMicros = await engineSelectMicros(snapshot, bodies);
    const engineShare = round1((selectMicros / perRoute.server) * 100);
    log(
      `engine.select: ${selectMicros} µs CPU per call, ${engineShare}% of the server's CPU per route, ` +
        `${round1((selectMicros / 1000 / half.p50Ms) * 100)}% of the p50 latency at 50%`,
    );

    // 5. Outcomes for the decisions made above (each once).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ids = (
      await db.query<{ id: string }>("SELECT id::text AS id FROM routing_decisions ORDER BY created_at")
    ).rows.map((r) => r.id);
    const outcome = (id: string, i: number): Record<string, unknown> => ({
      decisionId: id,
      completed: i % 3 !== 0,
      hallucinated: i % 11 === 0,
      refused: false,
      judgeScore: (i % 10) / 10,
    });
    const batchSize = 100;
    const batchCount = Math.min(Math.floor(ids.length / 2 / batchSize), values.quick ? 200 : 1_000);
    const singleCount = Math.min(ids.length - batchCount * batchSize, values.quick ? 5_000 : 20_000);
    const outcomes = { url: `${server.url}/v1/outcomes`, headers: HEADERS };
    const batchBodies = Array.from({ length: batchCount }, (_, b) =>
      JSON.stringify({
        outcomes: ids.slice(b * batchSize, (b + 1) * batchSize).map((id, i) => outcome(id, b * batchSize + i)),
      }),
    );
    const outcomeCpu = await meter.start();
    const batches = await closedLoad({
      ...outcomes,
      bodies: batchBodies,
      connections: 16,
      amount: batchBodies.length,
      maxSeconds: 30,
    });
    const batchCpu = await outcomeCpu(batches.completed * batchSize);
    const batchRate = Math.round(batches.requestsPerSecond * batchSize);
    log(
      `outcomes, batches of ${batchSize}: ${batchRate} outcomes/s durable, per batch p50 ${batches.p50Ms} ms, p99 ${batches.p99Ms} ms, ` +
        `non-2xx ${non2xx(batches)}; CPU per outcome: server ${batchCpu.server} µs, PostgreSQL ${batchCpu.postgres} µs; load ${load1()}`,
    );
    const singleBodies = ids
      .slice(batchCount * batchSize, batchCount * batchSize + singleCount)
      .map((id, i) => JSON.stringify(outcome(id, i)));
    const singleCpuStart = await meter.start();
    const single = await closedLoad({
      ...outcomes,
      bodies: singleBodies,
      connections: 32,
      amount: singleBodies.length,
      maxSeconds: 20,
    });
    const singleCpu = await singleCpuStart(single.completed);
    log(
      `outcomes, one per request: ${single.requestsPerSecond} outcomes/s durable, p50 ${single.p50Ms} ms, p99 ${single.p99Ms} ms, ` +
        `non-2xx ${non2xx(single)}; CPU per outcome: server ${singleCpu.server} µs, PostgreSQL ${singleCpu.postgres} µs`,
    );
    const acknowledged = single.completed - single.non2xx + (batches.completed - batches.non2xx) * batchSize;
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
        loadAverageAtStart: loadAtStart,
        loadAverageAtEnd: load1(),
      },
      note: "client (this process), server (its own process) and PostgreSQL share the same CPUs",
      workload: { ...DEFAULT_WORKLOAD, requests, durationSeconds: duration },
      route: {
        cpuMicrosPerRequest: perRoute,
        impliedRequestsPerSecond: {
          serverWithOneCore: Math.round(1e6 / perRoute.server),
          allThreeOnTwoCores: Math.round(2e6 / totalMicros),
        },
        maxRequestsPerSecond: maxRate,
        maxConnections: best.connections,
        sweep: sweep.map((run) => ({ connections: run.connections, ...run.result })),
        autocannon: {
          connections: best.connections,
          ...autocannonSummary(autocannon),
          clientCpuMicros: autocannonClientMicros,
        },
        pacedAtHalf: half,
        pacedAtNinety: ninety,
        pacedAtHalfTarget: halfTarget,
        pacedAtHalfDurableDecisions: durable,
        engineSelectMicros: selectMicros,
        engineSharePercent: engineShare,
      },
      outcomes: {
        batches: { ...batches, batchSize, outcomesPerSecond: batchRate, cpuMicrosPerOutcome: batchCpu },
        single: { ...single, cpuMicrosPerOutcome: singleCpu },
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
