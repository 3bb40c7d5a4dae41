/**
 * What a cadence mode contributes to the one skeleton of src/cadence/run-cadence.ts. The skeleton
 * runs the steps every mode shares — judge, split, refit, evaluate, gate — and asks the mode, at
 * fixed points, for what differs: what happens before the judge (the warm-up loads its world), the
 * engine options and the incumbent (prepare), what to watch while the corpus streams in (the
 * warm-up's learning curve), the gate, and how the run ends (prod: promote or record; warm-up:
 * record) with the mode's own result. A mode is a closure over its state, made per run.
 */
import type { LinUCBEngine, LinUCBOptions } from "../../engine/types.js";
import type {
  CorpusChunk,
  CorpusPrefix,
  CorpusSplit,
  CorpusTable,
  Db,
  FinishTrainingRun,
  JsonObject,
  RewardBounds,
  TrainingCadence,
  TrainingRun,
} from "../../store/index.js";
import type { CadenceResult, CadenceResultBase, IncumbentInfo } from "../cadence-result.js";
import type { CoverageSumsByCell } from "../coverage.js";
import type { ReplayComparison } from "../offline-evaluation.js";
import type { RefitPlan } from "../refit-plan.js";
import type { ResolvedCadenceOptions } from "../options.js";
import type { StepRunner } from "../progress.js";

/** The run a mode works in. */
export interface RunContext {
  readonly db: Db;
  readonly options: ResolvedCadenceOptions;
  readonly steps: StepRunner;
  /** The training run, as started (status 'running'). */
  readonly run: TrainingRun;
  /** Runs of this mode found running (their process gone) and marked abandoned before this one started. */
  readonly abandonedRuns: readonly number[];
}

/** The engine and the incumbent a mode refits and compares with. */
export interface Preparation {
  readonly engineOptions: LinUCBOptions;
  /** The policy the candidate is compared with: an engine, or the uniform policy. */
  readonly incumbent: LinUCBEngine | "uniform";
  readonly incumbentInfo: IncumbentInfo;
  /** How the refit starts (src/cadence/refit-plan.ts). @default a full refit (the warm-up's) */
  readonly refitPlan?: RefitPlan;
}

/** What the shared steps produced, for the mode to end the run with. */
export interface SharedOutcome<G> {
  /** The engine refitted on every row (training and held-out slices). */
  readonly engine: LinUCBEngine;
  /** The result's shared fields (timings: the steps so far; the array grows with the last step). */
  readonly base: CadenceResultBase;
  readonly gate: G;
  /** The run's final counts and metrics, to finish (or promote) it with. */
  readonly finish: FinishTrainingRun;
  /** The coverage sums of every row in `engine` (behind `base.learned.coverage`): a refit basis records them. */
  readonly coverageSums: CoverageSumsByCell;
}

/** One cadence mode, as the skeleton drives it. `R` is the mode's result type. */
export interface ModeSteps<R extends CadenceResult> {
  readonly mode: R["mode"];
  /** The training_runs cadence of the mode's runs. */
  readonly trainingCadence: TrainingCadence;
  /** The corpus: fixed per mode, never an option. */
  readonly table: CorpusTable;
  /** What the corpus's rows are called when there are none ("production (source = 'prod') rows"). */
  readonly corpusRows: string;
  /** The rewards a valid row of the corpus may carry (rows outside are rejected by id). */
  readonly rewardRange: RewardBounds;
  /** Parameters the run records besides the shared ones. */
  parameters(): JsonObject;
  /** Runs before the judge step. */
  beforeJudge(context: RunContext): Promise<void>;
  /**
   * Rows with ids up to this one are never held out: the incumbent was trained on them (prod: the
   * active policy's recorded high-water id). @default 0 (every row may be held out)
   */
  newerThanId?(context: RunContext): Promise<number>;
  /**
   * What is known of the rows with ids up to `newerThanId` (prod: the base of an incremental refit,
   * checked), so that the split scans only the rows above. @default nothing (the split scans every row)
   */
  knownPrefix?(context: RunContext): Promise<CorpusPrefix | undefined>;
  /** The engine options and the incumbent, once the split is known. */
  prepare(context: RunContext, split: CorpusSplit): Promise<Preparation>;
  /** Called after each refit chunk was accumulated into `engine`; `rowsFed` counts both slices so far. */
  afterChunk(engine: LinUCBEngine, chunk: CorpusChunk, rowsFed: number): void;
  /** What the gate step says it does. */
  readonly gateDetail: string;
  /** The gate's decision on the refit (`engine`: every row) and the held-out comparison (null: no row was held out). */
  gate(engine: LinUCBEngine, comparison: ReplayComparison | null): R["gate"];
  /** Fields the run's metrics record besides the shared ones. */
  metrics(): JsonObject;
  /** Ends the run (promote, or record it finished) and returns the mode's result. */
  finish(context: RunContext, outcome: SharedOutcome<R["gate"]>): Promise<R>;
}
