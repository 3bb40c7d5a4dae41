/**
 * What a finished cadence reports: one result type per mode, discriminated on `mode`. Both share
 * the corpus read, the judge step, the engine options, the held-out evaluation, the gate's
 * decision, whether it promoted, and the step timings; the warm-up adds its load, its convergence
 * report and its learning curve; the prod result carries the production gate's figures. JSON-able:
 * `linucb cadence --json` prints it as it is.
 */
import type { ShrinkageState } from "../engine/shrinkage.js";
import type { CoverageTable } from "./coverage.js";
import type { IntegrityReport } from "./integrity.js";
import type { RefitSummary } from "./refit-plan.js";
import type { OffPolicyEvaluation } from "../evaluation/index.js";
import type { CorpusReadTotals, CorpusSplit, CorpusTable, JsonObject, RejectedRow, RowBounds } from "../store/index.js";
import type { ConvergenceReport } from "../synthetic/index.js";
import type { GateDecision, ProdGateDecision } from "./gate.js";
import type { StepTiming } from "./progress.js";
import type { RoutingSummary } from "./report-data.js";

/** One point of the warm-up's learning curve: the convergence report after the first `n` rows. */
export interface LearningCurvePoint {
  readonly n: number;
  readonly coveredCells: number;
  readonly matches: number;
  readonly matchShare: number;
}

/** Which policy the candidate was compared with. */
export interface IncumbentInfo {
  /** `'active'`: the active policy version; `'uniform'`: none is active, so the uniform policy. */
  readonly kind: "active" | "uniform";
  readonly policyVersionId: number | null;
}

/** What the refit read. */
export interface CorpusSummary {
  readonly table: CorpusTable;
  /** The SQL source filter of the read ('prod' for production; null for the synthetic table). */
  readonly sourceFilter: string | null;
  readonly split: CorpusSplit;
  readonly training: CorpusReadTotals;
  readonly heldOut: CorpusReadTotals;
  /** What a valid row may hold: the judge's reward range, the propensity floor, the feature bound. */
  readonly bounds: RowBounds;
  /**
   * Rows fitted into the engine (both slices). An incremental refit counts the rows of the base's
   * statistics too (`refit.baseRows`); what this run read is in `training`, `heldOut` and `refit.rowsRead`.
   */
  readonly rowsRead: number;
  /** Rows rejected (both slices) by this run's read: never fed, never evaluated. */
  readonly rowsRejected: number;
  /** Rejected rows by reason kind ('reward', 'propensity', 'features', 'cell', 'model', 'agent_id', 'source'). */
  readonly rejectedByReason: Readonly<Record<string, number>>;
  /** The first rejected rows (up to 20), by id with the reason. */
  readonly rejectedExamples: readonly RejectedRow[];
  readonly cells: number;
}

/** The held-out evaluation of the candidate and the incumbent. */
export interface EvaluationSummary {
  readonly events: number;
  readonly loggedValue: number;
  readonly incumbent: IncumbentInfo;
  readonly candidate: OffPolicyEvaluation;
  readonly incumbentEstimates: OffPolicyEvaluation;
}

/** What the warm-up's load step wrote. */
export interface WarmupLoad {
  readonly source: string;
  readonly seed: number;
  readonly n: number;
  readonly inserted: number;
  readonly skipped: number;
}

/** The fields every mode's result has. */
export interface CadenceResultBase {
  readonly runId: number;
  readonly corpus: CorpusSummary;
  readonly judge: { readonly judge: string; readonly judged: number };
  /** The refit's engine options (JSON). */
  readonly engine: JsonObject;
  /** Null when no row was held out (prod: no rows newer than the incumbent's training). */
  readonly evaluation: EvaluationSummary | null;
  /**
   * Where the recorded policy, the incumbent and the logging policy route the held-out requests (for the report pages);
   * null with no held-out row.
   */
  readonly routing: RoutingSummary | null;
  /** Runs of this mode left 'running' by a process that died, marked 'abandoned' before this run started. */
  readonly abandonedRuns: readonly number[];
  readonly timings: readonly StepTiming[];
  /** Incremental or full, from which base version, why, and how many rows were read (src/cadence/refit-plan.ts). */
  readonly refit: RefitSummary;
  /**
   * What the refit learned about its corpus, in every mode: the integrity check (engine = SQL), the
   * coverage table (rows and ESS per (cell, model)) and the per-cell shrinkage the data chose.
   */
  readonly learned: {
    readonly integrity: IntegrityReport;
    readonly coverage: CoverageTable;
    readonly shrinkage: ShrinkageState;
  };
}

/** A warm-up: graded against the planted optimum; never promotes. */
export interface WarmupCadenceResult extends CadenceResultBase {
  readonly mode: "warmup";
  readonly load: WarmupLoad;
  readonly gate: GateDecision;
  /** The convergence report of the full refit. */
  readonly convergence: ConvergenceReport;
  readonly learningCurve: readonly LearningCurvePoint[];
  readonly promoted: false;
  readonly policyVersionId: null;
}

/** A production run: promoted exactly when its gate passed. */
export interface ProdCadenceResult extends CadenceResultBase {
  readonly mode: "prod";
  readonly gate: ProdGateDecision;
  readonly promoted: boolean;
  /** The policy version written and activated, when promoted. */
  readonly policyVersionId: number | null;
}

/** What a finished cadence did; narrow on `mode`. */
export type CadenceResult = WarmupCadenceResult | ProdCadenceResult;
