/**
 * The server's Prometheus metrics (text format on `GET /metrics`), in a registry of their own so that
 * several routers in one process (tests) do not collide.
 *
 * The per-request figures (requests by route and status, latency by route, decisions by model and
 * version) are plain numbers the request path adds to — a few array and map writes — and become
 * metrics only when scraped: prom-client counters set from them in their `collect`, and the latency
 * histogram written out here. prom-client's own per-call label hashing cost more per route than
 * the policy's choice itself.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

/** Upper bounds of the latency histogram, in seconds. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] as const;

const LATENCY_NAME = "linucb_http_request_duration_seconds";

/** The requests of one route: counts by status code and a latency histogram. */
interface RouteTally {
  readonly statuses: Map<number, number>;
  /** Count per bucket of LATENCY_BUCKETS, plus one past the last (+Inf only). */
  readonly buckets: Float64Array;
  sum: number;
  count: number;
}

/** The decisions of one policy version, per model (by index). */
interface DecisionTally {
  readonly policyVersion: string;
  readonly models: readonly string[];
  readonly counts: Float64Array;
}

/** The metrics one router updates. */
export interface RouterMetrics {
  /** Content type of {@link RouterMetrics.text}. */
  readonly contentType: string;
  /** Records one answered request: its route (pattern), status code and latency in seconds. */
  observeRequest(route: string, status: number, seconds: number): void;
  /**
   * The decision counts of one policy version ("uniform" before any promotion), one slot per model
   * in `models` order: the route adds 1 at the chosen index. Call once per served policy.
   */
  decisionTally(policyVersion: string, models: readonly string[]): Float64Array;
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
  /** Every metric in the Prometheus text format. */
  text(): Promise<string>;
}

/** Prometheus label value: backslash, double quote and newline escaped. */
function labelValue(text: string): string {
  return text.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

function latencyText(routes: ReadonlyMap<string, RouteTally>): string {
  const lines = [`# HELP ${LATENCY_NAME} HTTP request latency by route`, `# TYPE ${LATENCY_NAME} histogram`];
  for (const [route, tally] of routes) {
    const label = `route="${labelValue(route)}"`;
    let cumulative = 0;
    LATENCY_BUCKETS.forEach((bound, i) => {
      cumulative += tally.buckets[i]!;
      lines.push(`${LATENCY_NAME}_bucket{le="${bound}",${label}} ${cumulative}`);
    });
    lines.push(`${LATENCY_NAME}_bucket{le="+Inf",${label}} ${tally.count}`);
    lines.push(`${LATENCY_NAME}_sum{${label}} ${tally.sum}`);
    lines.push(`${LATENCY_NAME}_count{${label}} ${tally.count}`);
  }
  return `${lines.join("\n")}\n`;
}

/** A fresh registry with every metric of the router, plus the process's default metrics. */
export function createRouterMetrics(): RouterMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "linucb_" });
  const registers = [registry];
  const routes = new Map<string, RouteTally>();
  const decisionTallies: DecisionTally[] = [];
  new Counter({
    name: "linucb_http_requests_total",
    help: "HTTP requests by route and status",
    labelNames: ["route", "status"],
    registers,
    collect() {
      this.reset();
      for (const [route, tally] of routes)
        for (const [status, n] of tally.statuses) this.inc({ route, status: String(status) }, n);
    },
  });
  new Counter({
    name: "linucb_decisions_total",
    help: "Routing decisions by model and policy version",
    labelNames: ["model", "policy_version"],
    registers,
    collect() {
      this.reset();
      for (const { policyVersion, models, counts } of decisionTallies)
        counts.forEach((n, i) => {
          if (n > 0) this.inc({ model: models[i]!, policy_version: policyVersion }, n);
        });
    },
  });
  return {
    contentType: registry.contentType,
    observeRequest(route, status, seconds) {
      let tally = routes.get(route);
      if (tally === undefined) {
        tally = { statuses: new Map(), buckets: new Float64Array(LATENCY_BUCKETS.length + 1), sum: 0, count: 0 };
        routes.set(route, tally);
      }
      tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1);
      let bucket = 0;
      while (bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]!) bucket++;
      tally.buckets[bucket]!++;
      tally.sum += seconds;
      tally.count++;
    },
    decisionTally(policyVersion, models) {
      const tally = { policyVersion, models, counts: new Float64Array(models.length) };
      decisionTallies.push(tally);
      return tally.counts;
    },
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
    async text() {
      return `${await registry.metrics()}\n${latencyText(routes)}`;
    },
  };
}
