/**
 * Cadence results built by hand for the report's unit tests: real off-policy evaluations of small
 * logged data (so estimates and diagnostics are what the estimators produce), and routing,
 * convergence and gate figures set by the test.
 */
import type { ProdCadenceResult, RoutingSummary, WarmupCadenceResult } from "../../src/cadence/index.js";
import {
  createLoggedEvents,
  evaluateOffPolicy,
  fixedActionPolicy,
  uniformPolicy,
  type OffPolicyEvaluation,
} from "../../src/evaluation/index.js";
import { createSeededRandom } from "../../src/evaluation/random.js";
import type { CellConvergence, ConvergenceReport } from "../../src/synthetic/index.js";

/** Evaluations of "always action 1" (the candidate) and the uniform policy on 400 uniformly logged events. */
export function evaluations(): { candidate: OffPolicyEvaluation; uniform: OffPolicyEvaluation } {
  const random = createSeededRandom(5);
  const n = 400;
  const actions = Int32Array.from({ length: n }, () => (random.nextFloat() < 0.5 ? 0 : 1));
  const rewards = Float64Array.from(actions, (a) => (random.nextFloat() < (a === 1 ? 0.7 : 0.4) ? 1 : 0));
  const events = createLoggedEvents({ actions, rewards, propensities: new Float64Array(n).fill(0.5), actionCount: 2 });
  const rewardModel = new Float64Array(n * 2).map((_, i) => (i % 2 === 1 ? 0.7 : 0.4));
  const options = { resamples: 200, seed: 1, rewardModel };
  return {
    candidate: evaluateOffPolicy(events, fixedActionPolicy(1, 2), options),
    uniform: evaluateOffPolicy(events, uniformPolicy(2), options),
  };
}

/** A routing summary over `models` with the given cells (logged counts and ESS default to 5 per model). */
export function routing(
  models: readonly string[],
  cells: readonly { cell: string; candidate: string; incumbent: string | null; logged?: number[] }[],
): RoutingSummary {
  const k = models.length;
  return {
    models,
    requests: cells.length * 5 * k,
    traffic: {
      logging: new Array<number>(k).fill(1 / k),
      incumbent: new Array<number>(k).fill(1 / k),
      candidate: new Array<number>(k).fill(1 / k),
    },
    cells: cells.map((c) => ({
      ...c,
      requests: 5 * k,
      logged: c.logged ?? new Array<number>(k).fill(5),
      ess: (c.logged ?? new Array<number>(k).fill(5)).map((r) => r * 0.9),
    })),
  };
}

const corpus = {
  table: "routing_outcomes" as const,
  sourceFilter: "prod",
  split: {
    total: 1000,
    training: 800,
    heldOut: 200,
    cutoff: new Date("2025-01-10T00:00:00Z"),
    dimension: 4,
    models: ["m-a", "m-b"],
  },
  training: { scanned: 800, accepted: 800, rejected: 0, unjudged: 0 },
  heldOut: { scanned: 200, accepted: 200, rejected: 0, unjudged: 0 },
  rowsRead: 1000,
  rowsRejected: 0,
  cells: 4,
};

/** A production result; `gate` and `routing` as given. */
export function prodResult(options: {
  routing: RoutingSummary;
  gate?: Record<string, unknown>;
  promoted?: boolean;
  incumbentVersion?: number | null;
  runId?: number;
}): ProdCadenceResult {
  const { candidate, uniform } = evaluations();
  const gate = options.gate ?? {
    passed: true,
    reason:
      "the candidate's SNIPS lower bound 0.6500 beats the incumbent's SNIPS estimate 0.5500 (effective sample size 200.0)",
    estimator: "snips",
    candidateLower: 0.65,
    candidateValue: 0.7,
    incumbentValue: 0.55,
    effectiveSampleSize: 200,
    minEffectiveSampleSize: 100,
  };
  const version = options.incumbentVersion ?? null;
  return {
    mode: "prod",
    runId: options.runId ?? 7,
    corpus,
    judge: { judge: "outcome_reward_v1", judged: 0 },
    engine: {},
    evaluation: {
      events: 400,
      loggedValue: 0.55,
      incumbent:
        version === null ? { kind: "uniform", policyVersionId: null } : { kind: "active", policyVersionId: version },
      candidate,
      incumbentEstimates: uniform,
    },
    gate,
    routing: options.routing,
    abandonedRuns: [],
    promoted: options.promoted ?? gate.passed === true,
    policyVersionId: (options.promoted ?? gate.passed === true) ? 3 : null,
    timings: [{ step: "refit", seconds: 0.5 }],
  } as unknown as ProdCadenceResult;
}

/** A convergence cell: covered with `rows` rows, learned `learned` (null: not covered). */
export function convergenceCell(
  cell: string,
  planted: string,
  learned: string | null,
  rows = 30,
  deviating = false,
): CellConvergence {
  const covered = learned !== null;
  return {
    cell,
    rows,
    rowsPerModel: {},
    essPerModel: {},
    covered,
    pooledChoice: deviating ? `${planted}-pooled` : planted,
    deviating,
    localChampion: false,
    planted,
    plantedReward: 0.6,
    gap: 0.05,
    learned,
    learnedReward: learned === null ? null : learned === planted ? 0.6 : 0.5,
    learnedEstimate: learned === null ? null : 0.55,
    match: learned === null ? null : learned === planted,
    regret: learned === null ? null : learned === planted ? 0 : 0.1,
  };
}

/** A warm-up result over the given convergence cells. */
export function warmupResult(
  cells: readonly CellConvergence[],
  routingSummary: RoutingSummary,
  threshold = 0.7,
): WarmupCadenceResult {
  const { candidate, uniform } = evaluations();
  const covered = cells.filter((c) => c.covered);
  const matches = covered.filter((c) => c.match === true).length;
  const matchShare = covered.length === 0 ? 0 : matches / covered.length;
  const convergence: ConvergenceReport = {
    source: "synthetic_coldstart_v1",
    seed: 42,
    minRows: 20,
    minRowsPerModel: 2,
    minCoveredCells: 1,
    threshold,
    totalCells: cells.length,
    coveredCells: covered.length,
    coverage: covered.length / cells.length,
    coveredTraffic: 1,
    matches,
    matchShare,
    pass: matchShare >= threshold,
    completeness: { loggedRows: 1000, fittedRows: 1000, mismatches: 0, complete: true },
    headline: { target: 0.7, met: matchShare >= 0.7 },
    shared: { cells: covered.length, matches, matchShare, relativeRegret: 0.03 },
    structure: { coefficients: [], error: 0.1 },
    deviating: { cells: cells.filter((c) => c.deviating).map((c) => c.cell), covered: 0, matches: 0, matchShare: 0 },
    value: { optimum: 0.6, learned: 0.58, logging: 0.45, regret: 0.02, relativeRegret: 0.033, loggingRegret: 0.15 },
    cells,
  };
  return {
    mode: "warmup",
    runId: 1,
    corpus: { ...corpus, table: "routing_outcomes_synthetic", sourceFilter: null },
    load: { source: "synthetic_coldstart_v1", seed: 42, n: 1000, inserted: 1000, skipped: 0 },
    judge: { judge: "planted_oracle", judged: 0 },
    engine: {},
    evaluation: {
      events: 400,
      loggedValue: 0.45,
      incumbent: { kind: "uniform", policyVersionId: null },
      candidate,
      incumbentEstimates: uniform,
    },
    gate: { passed: convergence.pass, reason: `${matches} of ${covered.length} covered cells match` },
    convergence,
    learningCurve: [
      { n: 400, coveredCells: 2, matches: 1, matchShare: 0.5 },
      { n: 800, coveredCells: covered.length, matches, matchShare },
      { n: 1000, coveredCells: covered.length, matches, matchShare },
    ],
    routing: routingSummary,
    abandonedRuns: [],
    promoted: false,
    policyVersionId: null,
    timings: [],
  } as unknown as WarmupCadenceResult;
}
