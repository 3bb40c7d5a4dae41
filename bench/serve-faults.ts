/**
 * Fault tests of `linucb serve` (issue 13 item 5), as a script because they kill and restart
 * processes: `node dist/bench/serve-faults.js [--only kill|kill-durable|promote|restart]`, with DATABASE_URL
 * (the first two use a scratch database on it; the third starts its own throwaway PostgreSQL
 * cluster on a free port as user postgres, like .ci/run, and never touches DATABASE_URL's server).
 *
 * - kill: kill -9 the server during an outcome load; every outcome acknowledged before the kill
 *   must be in routing_outcomes (the client's acknowledged ids are compared with the rows).
 * - kill-durable: kill -9 a server started with --durable-decisions during a route load; every
 *   decision answered with 200 must be in routing_decisions.
 * - promote: a promotion lands during a route load; no request may fail and the version changes.
 * - restart: the throwaway PostgreSQL is stopped and started again during a route load; requests
 *   must fail fast (503, p99 under a second as the client sees it — the server answers without
 *   touching the database, instead of waiting out the 15 s connection timeout) while it is down,
 *   the server must recover by itself, and every decision acknowledged with 200 must be stored.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { migrateUp, openDatabase, type Db } from "../src/store/index.js";
import {
  DEFAULT_WORKLOAD,
  load,
  percentiles,
  promoteBenchPolicy,
  routeBodies,
  scratchDatabase,
  startServer,
  type ServerProcess,
} from "./serve-support.js";

const TOKEN = "fault-token";
const HEADERS = { "content-type": "application/json", authorization: `Bearer ${TOKEN}` };

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function makeDecisions(server: ServerProcess, count: number): Promise<void> {
  const bodies = routeBodies(DEFAULT_WORKLOAD, 256, 2);
  let next = 0;
  await load({
    url: `${server.url}/v1/route`,
    method: "POST",
    headers: HEADERS,
    connections: 16,
    amount: count,
    requests: [{ setupRequest: (r: Record<string, unknown>) => ({ ...r, body: bodies[next++ % bodies.length] }) }],
  });
}

/** kill -9 during an outcome load: every acknowledged outcome is stored. */
async function killDuringOutcomes(db: Db, url: string): Promise<Record<string, unknown>> {
  const server = await startServer(["--database-url", url], TOKEN);
  await makeDecisions(server, 20_000);
  await sleep(300);
  const ids = (await db.query<{ id: string }>("SELECT id::text AS id FROM routing_decisions")).rows.map((r) => r.id);
  const acknowledged: string[] = [];
  let cursor = 0;
  let failures = 0;
  let stop = false;
  // Half the workers post single outcomes, half batches of 25: both forms must be durable once acknowledged.
  const worker = async (batch: number): Promise<void> => {
    while (!stop && cursor < ids.length) {
      const chunk = ids.slice(cursor, cursor + batch);
      cursor += chunk.length;
      const items = chunk.map((decisionId) => ({ decisionId, completed: true, hallucinated: false, refused: false }));
      try {
        const body = JSON.stringify(batch === 1 ? items[0] : { outcomes: items });
        const response = await fetch(`${server.url}/v1/outcomes`, { method: "POST", headers: HEADERS, body });
        if (response.status === 200) acknowledged.push(...chunk);
        else failures++;
      } catch {
        failures++;
        stop = true;
      }
    }
  };
  const workers = Array.from({ length: 16 }, (_, i) => worker(i % 2 === 0 ? 1 : 25));
  await sleep(3000);
  server.child.kill("SIGKILL");
  await Promise.all(workers);
  await server.exited;
  const stored = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM routing_outcomes WHERE dedupe_key = ANY($1::text[])",
    [acknowledged.map((id) => `decision:${id}`)],
  );
  const present = stored.rows[0]!.n;
  const result = {
    acknowledged: acknowledged.length,
    presentAfterKill: present,
    missing: acknowledged.length - present,
    failedOrCutOff: failures,
  };
  log(`kill -9 during outcomes: ${JSON.stringify(result)}`);
  return { ...result, passed: present === acknowledged.length && acknowledged.length > 0 };
}

/**
 * kill -9 during a route load on a server started with --durable-decisions: every decision
 * answered with 200 before the kill is in routing_decisions.
 */
async function killDuringDurableRoutes(db: Db, url: string): Promise<Record<string, unknown>> {
  // A 50 ms group window: at the kill, tens of decisions are queued or being written.
  const server = await startServer(["--database-url", url, "--durable-decisions", "--group-commit-ms", "50"], TOKEN);
  const bodies = routeBodies(DEFAULT_WORKLOAD, 256, 4);
  const acknowledged: string[] = [];
  let failures = 0;
  let stop = false;
  const worker = async (offset: number): Promise<void> => {
    for (let i = offset; !stop; i += 32) {
      try {
        const response = await fetch(`${server.url}/v1/route`, {
          method: "POST",
          headers: HEADERS,
          body: bodies[i % bodies.length]!,
        });
        if (response.status === 200) acknowledged.push(((await response.json()) as { decisionId: string }).decisionId);
        else failures++;
      } catch {
        failures++;
        stop = true;
      }
    }
  };
  const workers = Array.from({ length: 32 }, (_, i) => worker(i));
  await sleep(3000);
  server.child.kill("SIGKILL");
  await Promise.all(workers);
  await server.exited;
  const stored = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM routing_decisions WHERE id = ANY($1::uuid[])",
    [acknowledged],
  );
  const present = stored.rows[0]!.n;
  const result = {
    acknowledged: acknowledged.length,
    presentAfterKill: present,
    missing: acknowledged.length - present,
    failedOrCutOff: failures,
  };
  log(`kill -9 during routes with --durable-decisions: ${JSON.stringify(result)}`);
  return { ...result, passed: present === acknowledged.length && acknowledged.length > 0 };
}

/** A promotion during a route load: zero failed requests, the version changes. */
async function promoteDuringRoutes(db: Db, url: string): Promise<Record<string, unknown>> {
  const server = await startServer(["--database-url", url], TOKEN);
  try {
    const before = ((await (await fetch(`${server.url}/v1/policy`)).json()) as { policyVersion: number }).policyVersion;
    const bodies = routeBodies(DEFAULT_WORKLOAD, 256, 3);
    let next = 0;
    const running = load({
      url: `${server.url}/v1/route`,
      method: "POST",
      headers: HEADERS,
      connections: 32,
      duration: 8,
      requests: [{ setupRequest: (r: Record<string, unknown>) => ({ ...r, body: bodies[next++ % bodies.length] }) }],
    });
    await sleep(3000);
    const promoted = await promoteBenchPolicy(db, DEFAULT_WORKLOAD, 99);
    const result = await running;
    const after = ((await (await fetch(`${server.url}/v1/policy`)).json()) as { policyVersion: number }).policyVersion;
    const byVersion = (
      await db.query<{ v: number; n: number }>(
        "SELECT policy_version_id AS v, count(*)::int AS n FROM routing_decisions WHERE policy_version_id IN ($1, $2) GROUP BY 1 ORDER BY 1",
        [before, promoted.versionId],
      )
    ).rows;
    const summary = {
      requests: result.requests.total,
      non2xx: result.non2xx,
      errors: result.errors,
      versionBefore: before,
      versionAfter: after,
      decisionsByVersion: byVersion,
    };
    log(`promote during routes: ${JSON.stringify(summary)}`);
    return {
      ...summary,
      passed: result.non2xx === 0 && result.errors === 0 && after === promoted.versionId && byVersion.length === 2,
    };
  } finally {
    server.child.kill("SIGTERM");
    await server.exited;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** A throwaway PostgreSQL cluster run as user postgres (as .ci/run starts one). */
async function throwawayPostgres(): Promise<{
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}> {
  const bin = execFileSync("sh", ["-c", "ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1"], {
    encoding: "utf8",
  }).trim();
  const dir = mkdtempSync(path.join(tmpdir(), "linucb-fault-pg-"));
  const ids = execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim();
  const gid = execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim();
  chownSync(dir, Number(ids), Number(gid));
  const asPostgresSync = (args: string[]): void =>
    void execFileSync("runuser", ["-u", "postgres", "--", ...args], { stdio: "ignore" });
  // Asynchronous where the load runs: a synchronous child would block this process's load generator.
  const asPostgres = async (args: string[]): Promise<void> =>
    void (await promisify(execFile)("runuser", ["-u", "postgres", "--", ...args]));
  asPostgresSync([
    `${bin}/initdb`,
    "-D",
    `${dir}/data`,
    "-U",
    "postgres",
    "--auth=trust",
    "-E",
    "UTF8",
    "--locale=C",
    "--no-sync",
  ]);
  const port = await freePort();
  const start = (): Promise<void> =>
    asPostgres([
      `${bin}/pg_ctl`,
      "-D",
      `${dir}/data`,
      "-l",
      `${dir}/log`,
      "-w",
      "start",
      "-o",
      `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off`,
    ]);
  const stop = (): Promise<void> => asPostgres([`${bin}/pg_ctl`, "-D", `${dir}/data`, "-w", "stop", "-m", "fast"]);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop,
    start,
    async destroy() {
      try {
        await stop();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** PostgreSQL stopped and restarted under a route load: fast 503s, recovery without restart, nothing acknowledged lost. */
async function restartPostgres(): Promise<Record<string, unknown>> {
  const cluster = await throwawayPostgres();
  const db = await openDatabase({ databaseUrl: cluster.url, onWarning: () => undefined });
  let server: ServerProcess | null = null;
  try {
    await migrateUp(db);
    await promoteBenchPolicy(db, DEFAULT_WORKLOAD, 5);
    server = await startServer(["--database-url", cluster.url], TOKEN);
    const bodies = routeBodies(DEFAULT_WORKLOAD, 256, 4);
    const samples: { at: number; status: number; ms: number; decisionId?: string }[] = [];
    const t0 = performance.now();
    let stopAt = Number.POSITIVE_INFINITY;
    const worker = async (w: number): Promise<void> => {
      for (let i = w; performance.now() - t0 < stopAt; i += 8) {
        const started = performance.now();
        let status = 0;
        let decisionId: string | undefined;
        try {
          const response = await fetch(`${server!.url}/v1/route`, {
            method: "POST",
            headers: HEADERS,
            body: bodies[i % bodies.length],
          });
          status = response.status;
          const body = (await response.json()) as { decisionId?: string };
          decisionId = body.decisionId;
        } catch {
          status = -1;
        }
        samples.push({
          at: started - t0,
          status,
          ms: performance.now() - started,
          ...(status === 200 && decisionId !== undefined ? { decisionId } : {}),
        });
        if (status !== 200) await sleep(20);
      }
    };
    stopAt = 14_000;
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    await sleep(3000);
    const stoppedAt = performance.now() - t0;
    await cluster.stop();
    await sleep(4000);
    const restartedAt = performance.now() - t0;
    await cluster.start();
    await Promise.all(workers);
    const during = samples.filter((s) => s.at > stoppedAt + 500 && s.at < restartedAt);
    const failedFast = during.filter((s) => s.status === 503);
    const firstOkAfter = samples.filter((s) => s.at > restartedAt && s.status === 200).sort((a, b) => a.at - b.at)[0];
    const okAtEnd = samples.filter((s) => s.at > restartedAt + 4000).every((s) => s.status === 200);
    const other = samples.filter((s) => s.status !== 200 && s.status !== 503);
    await sleep(1500); // the decisions acknowledged during the outage are stored by the retry
    const acknowledged = samples.filter((s) => s.decisionId !== undefined).map((s) => s.decisionId!);
    const stored = (
      await db.query<{ n: number }>("SELECT count(*)::int AS n FROM routing_decisions WHERE id = ANY($1::uuid[])", [
        acknowledged,
      ])
    ).rows[0]!.n;
    const result = {
      requests: samples.length,
      downForMs: Math.round(restartedAt - stoppedAt),
      whileDown: { requests: during.length, status503: failedFast.length, ...percentiles(failedFast.map((s) => s.ms)) },
      recoveredMsAfterRestart: firstOkAfter === undefined ? null : Math.round(firstOkAfter.at - restartedAt),
      allOkFrom4sAfterRestart: okAtEnd,
      otherFailures: other.length,
      decisionsAcknowledged: acknowledged.length,
      decisionsStored: stored,
      serverAlive: server.child.exitCode === null,
    };
    log(`PostgreSQL restart during routes: ${JSON.stringify(result)}`);
    const passed =
      during.length > 0 &&
      failedFast.length === during.length &&
      result.whileDown.p99 < 1000 &&
      firstOkAfter !== undefined &&
      okAtEnd &&
      stored === acknowledged.length &&
      result.serverAlive;
    return { ...result, passed };
  } finally {
    if (server !== null) {
      server.child.kill("SIGTERM");
      await server.exited;
    }
    await db.close();
    await cluster.destroy();
  }
}

/**
 * Runs one fault test on a scratch database (made on `baseUrl`, migrated, the bench policy promoted as version 1),
 * closing and dropping it afterwards whatever the test's outcome.
 */
async function onPromotedScratch(
  baseUrl: string,
  prefix: string,
  test: (db: Db, url: string) => Promise<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  const scratch = await scratchDatabase(baseUrl, prefix);
  const db = await openDatabase({ databaseUrl: scratch.url, onWarning: () => undefined });
  try {
    await migrateUp(db);
    await promoteBenchPolicy(db, DEFAULT_WORKLOAD, 1);
    return await test(db, scratch.url);
  } finally {
    await db.close();
    await scratch.drop();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({ args: [...argv], strict: true, options: { only: { type: "string" } } });
  const only = values.only;
  const results: Record<string, unknown> = {};
  const baseUrl = process.env.DATABASE_URL;
  if ((only === undefined || only !== "restart") && (baseUrl === undefined || baseUrl === "")) {
    log("serve faults: the kill, kill-durable and promote tests need DATABASE_URL (a scratch database is made on it)");
    return 2;
  }
  for (const [name, run] of [
    ["kill", () => onPromotedScratch(baseUrl!, "linucb_fault_kill", killDuringOutcomes)],
    ["kill-durable", () => onPromotedScratch(baseUrl!, "linucb_fault_killd", killDuringDurableRoutes)],
    ["promote", () => onPromotedScratch(baseUrl!, "linucb_fault_promote", promoteDuringRoutes)],
    ["restart", restartPostgres],
  ] as const) {
    if (only !== undefined && only !== name) continue;
    results[name] = await run();
  }
  process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), results }, null, 2)}\n`);
  return Object.values(results).every((r) => (r as { passed: boolean }).passed) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log(`serve faults failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  },
);
