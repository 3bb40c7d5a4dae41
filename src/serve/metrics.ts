/**
 * The server's Prometheus metrics (prom-client, text format on `GET /metrics`), in a registry of
 * their own so that several routers in one process (tests) do not collide.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The metrics one router updates. */
export interface RouterMetrics {
  readonly registry: Registry;
  /** Requests by route and status code. */
  readonly requests: Counter<"route" | "status">;
  /** Request latency by route, in seconds. */
  readonly latency: Histogram<"route">;
  /** Decisions by model and policy version ("uniform" before any promotion). */
  readonly decisions: Counter<"model" | "policy_version">;
  /** routing_outcomes rows written. */
  readonly outcomesWritten: Counter;
  /** Decisions stored in routing_decisions. */
  readonly decisionsStored: Counter;
  /** The active policy version served (0: the uniform policy). */
  readonly activeVersion: Gauge;
  /** Decisions not yet stored. */
  readonly decisionBacklog: Gauge;
  /** Policy swaps (hot reloads) done. */
  readonly reloads: Counter;
}

/** A fresh registry with every metric of the router, plus the process's default metrics. */
export function createRouterMetrics(): RouterMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "linucb_" });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: "linucb_http_requests_total",
      help: "HTTP requests by route and status",
      labelNames: ["route", "status"],
      registers,
    }),
    latency: new Histogram({
      name: "linucb_http_request_duration_seconds",
      help: "HTTP request latency by route",
      labelNames: ["route"],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    decisions: new Counter({
      name: "linucb_decisions_total",
      help: "Routing decisions by model and policy version",
      labelNames: ["model", "policy_version"],
      registers,
    }),
    outcomesWritten: new Counter({
      name: "linucb_outcomes_written_total",
      help: "routing_outcomes rows written",
      registers,
    }),
    decisionsStored: new Counter({
      name: "linucb_decisions_stored_total",
      help: "Decisions stored in routing_decisions",
      registers,
    }),
    activeVersion: new Gauge({
      name: "linucb_active_policy_version",
      help: "Policy version served (0: the uniform policy)",
      registers,
    }),
    decisionBacklog: new Gauge({ name: "linucb_decision_backlog", help: "Decisions not yet stored", registers }),
    reloads: new Counter({ name: "linucb_policy_reloads_total", help: "Policy swaps without restart", registers }),
  };
}
