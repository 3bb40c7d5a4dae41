/**
 * `openRouter(options)`: the routing service as a library — what `linucb serve` runs. Opens (or
 * borrows) the database, brings the schema up to date, picks the policy to serve (the active
 * version, else the uniform policy over the known models), starts the HTTP server, watches for
 * promotions (LISTEN on PostgreSQL plus polling on both back ends) and deletes decisions past their
 * retention. `close()` stops accepting requests, answers those in flight, stores every queued
 * decision and outcome, and closes what it opened.
 */
import type { FastifyInstance } from "fastify";
import type { Exploration } from "../engine/types.js";
import { resolveExploration } from "../engine/options.js";
import { describeValue } from "../shared/describe-value.js";
import type { Db } from "../store/db.js";
import { readProdCorpusShape } from "../store/corpus-shape.js";
import { deleteDecisionsBefore } from "../store/decisions.js";
import { ensureSchema } from "../store/migrator.js";
import { openDatabase } from "../store/open-database.js";
import type { WritableSource } from "../store/outcome-writes.js";
import { listenForActivations, type ActivationListener } from "../store/policy-notifications.js";
import { readActivePolicy } from "../store/policy-versions.js";
import { isLoopbackHost } from "./bearer-token.js";
import { DecisionLog } from "./decision-log.js";
import { createHttpApp } from "./http-app.js";
import { createRouterMetrics } from "./metrics.js";
import { ROUTER_DEFAULTS } from "./router-defaults.js";
import { OutcomeService } from "./outcome-service.js";
import { PolicyHolder } from "./policy-holder.js";
import { activeVersionPolicy, uniformPolicy, type ServedPolicy } from "./served-policy.js";

/** Options of {@link openRouter}. */
export interface RouterOptions {
  /** An open database to use (the caller closes it). Else one is opened from `databaseUrl` / `dataDir`. */
  readonly db?: Db;
  /** PostgreSQL URL (also used to LISTEN for promotions). */
  readonly databaseUrl?: string;
  /** Embedded database folder (when neither `db` nor `databaseUrl`). */
  readonly dataDir?: string;
  /** Address to listen on. @default "127.0.0.1" */
  readonly host?: string;
  /** Port (0: any free port). @default 8080 */
  readonly port?: number;
  /**
   * Bearer token for writes (and /v1/route unless `routeAuth` is false). Required off loopback.
   * @default $LINUCB_TOKEN
   */
  readonly token?: string | null;
  /** Whether /v1/route needs the token. @default true */
  readonly routeAuth?: boolean;
  /** The `source` of the outcome rows this server writes ('shadow': never read by a prod refit). @default "prod" */
  readonly source?: WritableSource;
  /** Models of the uniform policy before any promotion. @default the prod corpus's models */
  readonly models?: readonly string[];
  /** Feature dimension before any promotion. @default the prod corpus's */
  readonly dimension?: number;
  /** Exploration for a version that records none. @default { epsilon: 0.05 } */
  readonly fallbackExploration?: Exploration;
  /** Largest request body, bytes. @default 1 MiB */
  readonly bodyLimit?: number;
  /** Decisions older than this many days are deleted (hourly). @default 30 */
  readonly decisionRetentionDays?: number;
  /** How often the active policy is polled, ms. @default 1000 */
  readonly pollMs?: number;
  /**
   * Group-commit window of outcomes and (with `durableDecisions`) decisions, ms; decisions nobody
   * waits for are written at least 10 ms apart. @default 2
   */
  readonly groupCommitMs?: number;
  /**
   * Whether /v1/route answers only once its decision is committed (no decision acknowledged is lost
   * to a crash; every answer waits for a group write). @default false: it answers at once, and a
   * crash loses the decisions of the last ~10 ms (their group window and the write in flight).
   */
  readonly durableDecisions?: boolean;
  /** Unstored decisions held at most before /v1/route answers 503. @default 100000 */
  readonly maxPendingDecisions?: number;
  /** Where operational messages go (reloads, database trouble). @default stderr */
  readonly log?: (message: string) => void;
}

/** A running router. */
export interface Router {
  /** `http://host:port` it listens on. */
  readonly url: string;
  readonly app: FastifyInstance;
  /** The policy serving now. */
  readonly policy: ServedPolicy;
  /** Checks the active version now (as a notification or a poll would). */
  reload(): Promise<void>;
  /** Graceful stop; see the module comment. Idempotent. */
  close(): Promise<void>;
}

function checkOptions(options: RouterOptions): void {
  const { port, bodyLimit, decisionRetentionDays, pollMs, groupCommitMs, source } = options;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
    throw new RangeError(`port must be an integer in [0, 65535]; received ${describeValue(port)}`);
  if (bodyLimit !== undefined && (!Number.isInteger(bodyLimit) || bodyLimit < 1024))
    throw new RangeError(`bodyLimit must be an integer ≥ 1024 bytes; received ${describeValue(bodyLimit)}`);
  if (decisionRetentionDays !== undefined && !(decisionRetentionDays > 0))
    throw new RangeError(`decisionRetentionDays must be > 0; received ${describeValue(decisionRetentionDays)}`);
  if (pollMs !== undefined && !(Number.isFinite(pollMs) && pollMs >= 10))
    throw new RangeError(`pollMs must be a number ≥ 10; received ${describeValue(pollMs)}`);
  if (groupCommitMs !== undefined && !(Number.isFinite(groupCommitMs) && groupCommitMs >= 0))
    throw new RangeError(`groupCommitMs must be a number ≥ 0; received ${describeValue(groupCommitMs)}`);
  if (source !== undefined && source !== "prod" && source !== "shadow")
    throw new RangeError(`source must be 'prod' or 'shadow'; received ${describeValue(source)}`);
}

/** The policy to start with: the active version, else the uniform policy over the known models. */
async function initialPolicy(db: Db, options: RouterOptions, fallback: Exploration): Promise<ServedPolicy> {
  const active = await readActivePolicy(db);
  if (active !== null) return activeVersionPolicy(active, fallback);
  const shape = options.models === undefined || options.dimension === undefined ? await readProdCorpusShape(db) : null;
  const models = options.models ?? shape!.models;
  const dimension = options.dimension ?? shape!.dimension;
  if (models.length === 0 || dimension === null) {
    throw new RangeError(
      "nothing is promoted yet and the production corpus is empty, so the uniform policy " +
        "has no models or no feature dimension: " +
        `give them (--models a,b,c --dimension D); received models ${describeValue(options.models ?? null)}, ` +
        `dimension ${describeValue(options.dimension ?? null)}`,
    );
  }
  if (!Number.isInteger(dimension) || dimension < 1)
    throw new RangeError(`dimension must be a positive integer; received ${describeValue(dimension)}`);
  return uniformPolicy(models, dimension);
}

/** Starts the routing service; see the module comment. */
export async function openRouter(options: RouterOptions = {}): Promise<Router> {
  checkOptions(options);
  const log = options.log ?? ((message: string) => void process.stderr.write(`linucb serve: ${message}\n`));
  const host = options.host ?? ROUTER_DEFAULTS.host;
  const token = options.token === undefined ? process.env.LINUCB_TOKEN || null : options.token;
  if (token === null && !isLoopbackHost(host)) {
    throw new RangeError(
      `refusing to listen on ${describeValue(host)} without a bearer token: ` +
        `set LINUCB_TOKEN (only loopback addresses may run without one)`,
    );
  }
  const fallback = resolveExploration(
    options.fallbackExploration ?? ROUTER_DEFAULTS.fallbackExploration,
    "fallbackExploration",
  );
  const ownsDb = options.db === undefined;
  const db =
    options.db ??
    (await openDatabase(
      options.databaseUrl !== undefined ? { databaseUrl: options.databaseUrl } : { dataDir: options.dataDir },
    ));
  const timers: NodeJS.Timeout[] = [];
  let listener: ActivationListener | null = null;
  try {
    await ensureSchema(db);
    const metrics = createRouterMetrics();
    const initial = await initialPolicy(db, options, fallback);
    metrics.activeVersion.set(initial.versionId ?? 0);
    const policies = new PolicyHolder(
      db,
      initial,
      fallback,
      (next, previous) => {
        metrics.activeVersion.set(next.versionId ?? 0);
        metrics.reloads.inc();
        log(
          `now serving policy version ${next.versionId} (was ${previous.versionId ?? "the uniform policy"}), ` +
            `exploration ${JSON.stringify(next.exploration)}`,
        );
      },
      log,
    );
    const groupCommitMs = options.groupCommitMs ?? ROUTER_DEFAULTS.groupCommitMs;
    const durableDecisions = options.durableDecisions ?? false;
    const decisions = new DecisionLog(db, {
      // Without durableDecisions nobody waits for a decision's write, so a longer window costs no
      // latency: only, in a crash, the decisions of that window (documented).
      intervalMs: durableDecisions ? groupCommitMs : Math.max(groupCommitMs, ROUTER_DEFAULTS.unawaitedDecisionWindowMs),
      maxBatch: 5000,
      maxPending: options.maxPendingDecisions ?? ROUTER_DEFAULTS.maxPendingDecisions,
      retryMs: 250,
      onError: log,
      onWritten: (n) => metrics.decisionsStored.inc(n),
    });
    const source = options.source ?? ROUTER_DEFAULTS.source;
    const outcomes = new OutcomeService(db, decisions, {
      source,
      intervalMs: groupCommitMs,
      maxBatch: 5000,
      onWritten: (n) => metrics.outcomesWritten.inc(n),
    });
    const bodyLimit = options.bodyLimit ?? ROUTER_DEFAULTS.bodyLimit;
    const app = createHttpApp({
      policies,
      decisions,
      outcomes,
      metrics,
      source,
      token,
      routeAuth: options.routeAuth ?? true,
      durableDecisions,
      bodyLimit,
      log,
    });

    const refresh = (): void => void policies.refresh();
    timers.push(setInterval(refresh, options.pollMs ?? ROUTER_DEFAULTS.pollMs));
    if (db.backend === "postgres" && options.databaseUrl !== undefined)
      listener = listenForActivations(options.databaseUrl, refresh, log);
    const retentionMs = (options.decisionRetentionDays ?? ROUTER_DEFAULTS.decisionRetentionDays) * 86_400_000;
    const prune = (): void => {
      deleteDecisionsBefore(db, new Date(Date.now() - retentionMs)).catch((error: unknown) =>
        log(`decision retention failed: ${(error as Error).message}`),
      );
    };
    prune();
    timers.push(setInterval(prune, 3_600_000));
    for (const timer of timers) timer.unref();

    const address = await app.listen({ host, port: options.port ?? ROUTER_DEFAULTS.port });
    let closing: Promise<void> | null = null;
    return {
      url: address,
      app,
      get policy() {
        return policies.current;
      },
      reload: () => policies.refresh(),
      close() {
        closing ??= (async () => {
          for (const timer of timers) clearInterval(timer);
          await listener?.close();
          await app.close();
          await outcomes.drain();
          try {
            await decisions.drain();
          } finally {
            decisions.stop();
            if (ownsDb) await db.close();
          }
        })();
        return closing;
      },
    };
  } catch (error) {
    for (const timer of timers) clearInterval(timer);
    await listener?.close();
    if (ownsDb) await db.close();
    throw error;
  }
}
