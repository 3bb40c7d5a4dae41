/**
 * `linucb serve`: runs the routing service (src/serve) until SIGTERM or SIGINT, then stops
 * gracefully (requests in flight answered, queued decisions and outcomes stored) and exits 0.
 */
import { resolveExploration } from "../../engine/options.js";
import { ROUTER_DEFAULTS, openRouter, type Router, type RouterOptions } from "../../serve/index.js";
import { DEFAULT_DATA_DIR, StoreError } from "../../store/index.js";
import { databaseOptions, integerOption, numberOption, parseOptions } from "../arguments.js";
import { ExitCode, UsageError, type Command, type CommandIO } from "../command.js";
import { stopSignal } from "../stop-signal.js";

const help = `Usage: linucb serve [options]

Serves the active policy over HTTP and writes what it decided, and the outcomes posted back, for the
next cadence: POST /v1/route, POST /v1/outcomes, GET /v1/policy, GET /healthz, GET /metrics.
Before any promotion it serves the uniform policy (propensity 1/K) over --models (default: the
models of the production rows). A promotion is picked up without restart.

Options:
  --host HOST               address to listen on (default: ${ROUTER_DEFAULTS.host}); any other than loopback
                            needs LINUCB_TOKEN
  --port PORT               port (default: ${ROUTER_DEFAULTS.port}; 0: any free port)
  --database-url URL        PostgreSQL to use (default: $DATABASE_URL)
  --data-dir DIR            embedded database folder, when there is no URL (default: ${DEFAULT_DATA_DIR});
                            locked by this process while it runs (stop serve to run a cadence on it)
  --source prod|shadow      the source of the outcome rows written (default: prod; shadow rows feed no prod refit)
  --models A,B,C            models of the uniform policy before any promotion (default: the prod corpus's)
  --dimension D             feature dimension before any promotion (default: the prod corpus's)
  --exploration JSON        exploration for a promoted version that records none
                            (default: ${JSON.stringify(ROUTER_DEFAULTS.fallbackExploration)})
  --no-route-auth           let /v1/route through without the token (writes still need it)
  --body-limit BYTES        largest request body (default: ${ROUTER_DEFAULTS.bodyLimit}); 413 beyond
  --decision-retention-days N  delete decisions older than N days (default: ${ROUTER_DEFAULTS.decisionRetentionDays})
  --poll-ms MS              how often the active policy is checked (default: ${ROUTER_DEFAULTS.pollMs};
                            PostgreSQL also LISTENs)
  --group-commit-ms MS      group-commit window of outcomes and durable decisions
                            (default: ${ROUTER_DEFAULTS.groupCommitMs}); decisions nobody waits for are written
                            at least ${ROUTER_DEFAULTS.unawaitedDecisionWindowMs} ms apart
  --durable-decisions       answer /v1/route only once its decision is committed (default: at once; a crash
                            then loses the decisions of the last ~${ROUTER_DEFAULTS.unawaitedDecisionWindowMs} ms,
                            more while the database falls behind: up to ${ROUTER_DEFAULTS.maxPendingDecisions} queued)
  -h, --help                show this help

Environment: LINUCB_TOKEN, the bearer token required on POST /v1/outcomes and (unless
--no-route-auth) POST /v1/route.
Exit codes: 0 stopped by SIGTERM/SIGINT, 1 failed to start or failed while running, 2 usage error.`;

function modelsOption(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const models = text.split(",").map((m) => m.trim());
  if (models.some((m) => m === ""))
    throw new UsageError(`--models must be a comma-separated list of model ids; received ${JSON.stringify(text)}`);
  return models;
}

function explorationOption(text: string | undefined): RouterOptions["fallbackExploration"] {
  if (text === undefined) return undefined;
  try {
    return resolveExploration(JSON.parse(text) as unknown, "--exploration");
  } catch (error) {
    throw new UsageError(
      `--exploration must be JSON: "ucb", {"epsilon": e} or {"softmax": t}; received ${JSON.stringify(text)} ` +
        `(${(error as Error).message})`,
    );
  }
}

function sourceOption(text: string | undefined): RouterOptions["source"] {
  if (text === undefined) return undefined;
  if (text !== "prod" && text !== "shadow")
    throw new UsageError(`--source must be prod or shadow; received ${JSON.stringify(text)}`);
  return text;
}

/** The `serve` command. */
export const command: Command = {
  summary: "Serve the active policy over HTTP (route, outcomes, policy, health, metrics)",
  help,
  async run(argv: readonly string[], io: CommandIO): Promise<number> {
    const values = parseOptions(argv, {
      host: { type: "string" },
      port: { type: "string" },
      "database-url": { type: "string" },
      "data-dir": { type: "string" },
      source: { type: "string" },
      models: { type: "string" },
      dimension: { type: "string" },
      exploration: { type: "string" },
      "no-route-auth": { type: "boolean", default: false },
      "body-limit": { type: "string" },
      "decision-retention-days": { type: "string" },
      "poll-ms": { type: "string" },
      "group-commit-ms": { type: "string" },
      "durable-decisions": { type: "boolean" },
    });
    const database = databaseOptions(values, io, "serve");
    const log = (message: string): void => void io.stderr.write(`linucb serve: ${message}\n`);
    const options: RouterOptions = {
      ...(database.databaseUrl !== undefined ? { databaseUrl: database.databaseUrl } : { dataDir: database.dataDir }),
      host: values.host ?? ROUTER_DEFAULTS.host,
      port: integerOption(values.port, "--port", ROUTER_DEFAULTS.port, 65535),
      token: io.env.LINUCB_TOKEN || null,
      routeAuth: !values["no-route-auth"],
      source: sourceOption(values.source),
      models: modelsOption(values.models),
      dimension:
        values.dimension === undefined ? undefined : integerOption(values.dimension, "--dimension", 0, 100_000, 1),
      fallbackExploration: explorationOption(values.exploration),
      bodyLimit: integerOption(values["body-limit"], "--body-limit", ROUTER_DEFAULTS.bodyLimit, 1 << 30, 1024),
      decisionRetentionDays: numberOption(
        values["decision-retention-days"],
        "--decision-retention-days",
        ROUTER_DEFAULTS.decisionRetentionDays,
        1e-6,
        36500,
      ),
      pollMs: numberOption(values["poll-ms"], "--poll-ms", ROUTER_DEFAULTS.pollMs, 10, 3_600_000),
      groupCommitMs: numberOption(
        values["group-commit-ms"],
        "--group-commit-ms",
        ROUTER_DEFAULTS.groupCommitMs,
        0,
        1000,
      ),
      durableDecisions: values["durable-decisions"] === true,
      log,
    };
    const stopped = stopSignal();
    let router: Router;
    try {
      router = await openRouter(options);
    } catch (error) {
      const missingPeer = error instanceof Error && error.message.includes("optional peer dependencies");
      if (error instanceof RangeError || error instanceof TypeError || error instanceof StoreError || missingPeer) {
        log(`cannot start: ${error.message}`);
        return ExitCode.failed;
      }
      throw error;
    }
    const policy = router.policy;
    const serving =
      policy.versionId === null
        ? `the uniform policy over ${policy.models.length} models (nothing promoted yet)`
        : `policy version ${policy.versionId}`;
    log(
      `listening on ${router.url}, serving ${serving}, dimension ${policy.dimension}, source ` +
        `${options.source ?? "prod"}` +
        (options.token === null ? ", no token (loopback only)" : ""),
    );
    const signal = await stopped;
    log(`${signal}: stopping (answering requests in flight, storing queued decisions and outcomes)`);
    try {
      await router.close();
    } catch (error) {
      log(`stopped with an error: ${(error as Error).message}`);
      return ExitCode.failed;
    }
    log("stopped");
    return ExitCode.ok;
  },
};
