/**
 * The HTTP surface of `linucb serve` on fastify: the routes, authentication, error replies and the
 * metrics hooks. Everything stateful (policy, decision log, outcome writes) is passed in.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { WritableSource } from "../store/outcome-writes.js";
import { StoreError } from "../store/errors.js";
import { bearerTokenCheck } from "./bearer-token.js";
import { newDecisionId } from "./decision-id.js";
import type { Decision } from "../store/decisions.js";
import type { DecisionLog } from "./decision-log.js";
import { HttpError } from "./http-error.js";
import type { RouterMetrics } from "./metrics.js";
import type { OutcomeService } from "./outcome-service.js";
import type { PolicyHolder } from "./policy-holder.js";
import type { ServedPolicy } from "./served-policy.js";
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
  /** Whether /v1/route answers only once its decision is committed (else right away; stored within ms). */
  readonly durableDecisions: boolean;
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

/** The parts of a route reply that one served policy always answers with, as JSON text. */
interface PolicyReply {
  /** `"model"` of each model, by index. */
  readonly models: readonly string[];
  /** Everything after the propensity: version, exploration, the uniform flag, the closing brace. */
  readonly tail: string;
  /** The policy's decision counts (metrics), by model index. */
  readonly decisions: Float64Array;
}

/** Builds the fastify app (not listening yet). */
export function createHttpApp(deps: HttpAppDependencies): FastifyInstance {
  const { policies, decisions, outcomes, metrics, source } = deps;
  const app = Fastify({ logger: false, bodyLimit: deps.bodyLimit, return503OnClosing: true });
  const tokenMatches = deps.token === null ? null : bearerTokenCheck(deps.token);

  const unauthorized = (reply: FastifyReply): HttpError => {
    reply.header("www-authenticate", 'Bearer realm="linucb"');
    return new HttpError(401, "missing or wrong bearer token: send the header `Authorization: Bearer <LINUCB_TOKEN>`");
  };
  const requireToken = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void): void => {
    done(tokenMatches === null || tokenMatches(request.headers.authorization) ? undefined : unauthorized(reply));
  };
  // Each route tallies its own requests (a hook per route knows its name without asking fastify).
  const observe =
    (route: string) =>
    (_request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
      metrics.observeRequest(route, reply.statusCode, reply.elapsedTime / 1000);
      done();
    };

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    const { status, message } = errorReply(error, deps.bodyLimit, deps.log);
    if (status === 503) reply.header("retry-after", "1");
    void reply.code(status).send({ error: message });
  });
  app.setNotFoundHandler((request, reply) => {
    metrics.observeRequest("unmatched", 404, reply.elapsedTime / 1000);
    void reply.code(404).send({ error: `no endpoint ${request.method} ${request.url.split("?")[0]}` });
  });

  // The route's reply is written from pieces made once per policy: it is the hot path, and these
  // pieces (model names, version, exploration) never change while the policy serves.
  const replies = new WeakMap<ServedPolicy, PolicyReply>();
  const replyOf = (policy: ServedPolicy): PolicyReply => {
    let parts = replies.get(policy);
    if (parts === undefined) {
      const version = policy.versionId === null ? "uniform" : String(policy.versionId);
      parts = {
        models: policy.models.map((model) => JSON.stringify(model)),
        tail:
          `,"policyVersion":${JSON.stringify(policy.versionId)},"exploration":${JSON.stringify(policy.exploration)}` +
          // Flags the uniform policy served before any promotion.
          `,"uniform":${policy.versionId === null}}`,
        decisions: metrics.decisionTally(version, policy.models),
      };
      replies.set(policy, parts);
    }
    return parts;
  };

  const routeOptions = { onRequest: deps.routeAuth ? requireToken : [], onResponse: observe("/v1/route") };
  app.post("/v1/route", routeOptions, (request, reply) => {
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
    const { armIndex, propensity } = choice;
    const parts = replyOf(policy);
    const decisionId = newDecisionId();
    const decision: Decision = {
      id: decisionId,
      createdAt: new Date(),
      requestId: body.requestId,
      agentId: body.agentId,
      cell: body.cell,
      model: choice.model,
      features: body.features,
      propensity,
      policyVersionId: policy.versionId,
      exploration: policy.exploration,
      source,
    };
    parts.decisions[armIndex]! += 1;
    const head = `{"decisionId":"${decisionId}","model":${parts.models[armIndex]}`;
    const text = `${head},"propensity":${propensity}${parts.tail}`;
    void reply.header("content-type", "application/json; charset=utf-8");
    if (!deps.durableDecisions) {
      decisions.record(decision);
      void reply.send(text);
      return;
    }
    // Answer once the decision's group write has committed.
    return decisions.recordDurably(decision).then(
      () => text,
      (error: Error) => {
        throw new HttpError(503, `the decision could not be stored, retry later: ${error.message}`);
      },
    );
  });

  app.post("/v1/outcomes", { onRequest: requireToken, onResponse: observe("/v1/outcomes") }, async (request) => {
    const { outcomes: items, batch } = parseOutcomesRequest(request.body);
    const acks = await outcomes.submit(items);
    return batch ? { outcomes: acks } : acks[0];
  });

  app.get("/v1/policy", { onResponse: observe("/v1/policy") }, async () => {
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

  app.get("/healthz", { onResponse: observe("/healthz") }, async (_request, reply) => {
    const healthy = decisions.healthy;
    void reply.code(healthy ? 200 : 503);
    return {
      status: healthy ? "ok" : "degraded",
      policyVersion: policies.current.versionId,
      decisionBacklog: decisions.backlog,
      ...(healthy ? {} : { error: decisions.lastFailure }),
    };
  });

  app.get("/metrics", { onResponse: observe("/metrics") }, async (_request, reply) => {
    metrics.decisionBacklog.set(decisions.backlog);
    void reply.header("content-type", metrics.contentType);
    return metrics.text();
  });

  return app;
}
