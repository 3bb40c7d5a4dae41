/**
 * The HTTP surface of `linucb serve` on fastify: the routes, authentication, error replies and the
 * metrics hooks. Everything stateful (policy, decision log, outcome writes) is passed in.
 */
import { randomUUID } from "node:crypto";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { WritableSource } from "../store/outcome-writes.js";
import { StoreError } from "../store/errors.js";
import { bearerTokenCheck } from "./bearer-token.js";
import type { DecisionLog } from "./decision-log.js";
import { HttpError } from "./http-error.js";
import type { RouterMetrics } from "./metrics.js";
import type { OutcomeService } from "./outcome-service.js";
import type { PolicyHolder } from "./policy-holder.js";
import { parseOutcomesRequest, parseRouteRequest } from "./request-validation.js";

/** What the HTTP layer needs. */
export interface HttpAppDependencies {
  readonly policies: PolicyHolder;
  readonly decisions: DecisionLog;
  readonly outcomes: OutcomeService;
  readonly metrics: RouterMetrics;
  readonly source: WritableSource;
  /** The bearer token; null: no authentication (loopback only, checked by the caller). */
  readonly token: string | null;
  /** Whether /v1/route needs the token too. */
  readonly routeAuth: boolean;
  /** Largest request body in bytes (413 beyond). */
  readonly bodyLimit: number;
  /** Where unexpected errors are reported. */
  readonly log: (message: string) => void;
}

/** A store failure that means "the database is unavailable now" (503, retry later). */
function isUnavailable(error: unknown): boolean {
  if (!(error instanceof StoreError)) return false;
  const sqlstate = error.sqlstate ?? "";
  return (
    error.code === "CONNECTION" || error.code === "CLOSED" || sqlstate.startsWith("08") || sqlstate.startsWith("57")
  );
}

function errorReply(
  error: FastifyError | Error,
  bodyLimit: number,
  log: (message: string) => void,
): { status: number; message: string } {
  if (error instanceof HttpError) return { status: error.statusCode, message: error.message };
  if (isUnavailable(error))
    return { status: 503, message: `the database is unavailable, retry later: ${error.message}` };
  const fastifyError = error as FastifyError;
  if (fastifyError.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return { status: 413, message: `the request body is larger than the limit of ${bodyLimit} bytes (--body-limit)` };
  }
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const invalidJson = fastifyError.code?.startsWith("FST_ERR_CTP") === true || error instanceof SyntaxError;
    return { status, message: invalidJson ? `the request body is not valid JSON: ${error.message}` : error.message };
  }
  log(`unexpected error: ${error.stack ?? error.message}`);
  return { status: 500, message: `internal error: ${error.message}` };
}

/** Builds the fastify app (not listening yet). */
export function createHttpApp(deps: HttpAppDependencies): FastifyInstance {
  const { policies, decisions, outcomes, metrics, source } = deps;
  const app = Fastify({ logger: false, bodyLimit: deps.bodyLimit, return503OnClosing: true });
  const tokenMatches = deps.token === null ? null : bearerTokenCheck(deps.token);

  const requireToken = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (tokenMatches === null || tokenMatches(request.headers.authorization)) return;
    reply.header("www-authenticate", 'Bearer realm="linucb"');
    throw new HttpError(401, "missing or wrong bearer token: send the header `Authorization: Bearer <LINUCB_TOKEN>`");
  };

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const { status, message } = errorReply(error, deps.bodyLimit, deps.log);
    if (status === 503) reply.header("retry-after", "1");
    void reply.code(status).send({ error: message });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: `no endpoint ${request.method} ${request.url.split("?")[0]}` });
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    metrics.requests.inc({ route, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, reply.elapsedTime / 1000);
  });

  app.post("/v1/route", { onRequest: deps.routeAuth ? requireToken : [] }, async (request) => {
    if (!decisions.accepting) {
      throw new HttpError(
        503,
        decisions.healthy
          ? `${decisions.backlog} decisions are waiting to be stored; retry later`
          : `the decision log cannot be stored, retry later: ${decisions.lastFailure}`,
      );
    }
    const policy = policies.current;
    const body = parseRouteRequest(request.body, policy.dimension);
    const choice = policy.choose(body.cell, body.features);
    const decisionId = randomUUID();
    decisions.record({
      id: decisionId,
      createdAt: new Date(),
      requestId: body.requestId,
      agentId: body.agentId,
      cell: body.cell,
      model: choice.model,
      features: body.features,
      propensity: choice.propensity,
      policyVersionId: policy.versionId,
      exploration: policy.exploration,
      source,
    });
    metrics.decisions.inc({
      model: choice.model,
      policy_version: policy.versionId === null ? "uniform" : String(policy.versionId),
    });
    return {
      decisionId,
      model: choice.model,
      propensity: choice.propensity,
      policyVersion: policy.versionId,
      exploration: policy.exploration,
      // Flags the uniform policy served before any promotion.
      uniform: policy.versionId === null,
    };
  });

  app.post("/v1/outcomes", { onRequest: requireToken }, async (request) => {
    const { outcomes: items, batch } = parseOutcomesRequest(request.body);
    const acks = await outcomes.submit(items);
    return batch ? { outcomes: acks } : acks[0];
  });

  app.get("/v1/policy", async () => {
    const policy = policies.current;
    return {
      policyVersion: policy.versionId,
      uniform: policy.versionId === null,
      activatedAt: policy.activatedAt,
      exploration: policy.exploration,
      models: policy.models,
      dimension: policy.dimension,
      parameters: policy.parameters,
      source,
    };
  });

  app.get("/healthz", async (_request, reply) => {
    const healthy = decisions.healthy;
    void reply.code(healthy ? 200 : 503);
    return {
      status: healthy ? "ok" : "degraded",
      policyVersion: policies.current.versionId,
      decisionBacklog: decisions.backlog,
      ...(healthy ? {} : { error: decisions.lastFailure }),
    };
  });

  app.get("/metrics", async (_request, reply) => {
    metrics.decisionBacklog.set(decisions.backlog);
    void reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  return app;
}
