/**
 * Options of a cadence run, their documented defaults, and their validation. Every bad value is a
 * TypeError / RangeError naming the option and quoting the value received, thrown before anything
 * touches the database.
 */
import type { TrainingReader } from "./training-reader.js";
import { resolveExploration } from "../engine/options.js";
import type { Exploration, LinUCBOptions } from "../engine/types.js";
import { describeValue } from "../shared/describe-value.js";
import { DEFAULT_ROW_BOUNDS, type RewardBounds, type RowBounds } from "../store/index.js";
import { outcomeRewardJudge, type Judge } from "./judge.js";
import type { CadenceProgress } from "./progress.js";

/** `warmup`: synthetic corpus, convergence gate, never promotes. `prod`: production rows, OPE gate, promotes. */
export type CadenceMode = "warmup" | "prod";

/** The off-policy estimators the production gate can use. */
export type GateEstimator = "snips" | "dr" | "ips";

/** Options of {@link runCadence}. */
export interface CadenceOptions {
  readonly mode: CadenceMode;
  /**
   * Warm-up: the synthetic world and outcome seed. Both modes: the seed of the bootstrap intervals.
   * @default 42
   */
  readonly seed?: number;
  /** Warm-up: outcomes of the seed's world loaded into routing_outcomes_synthetic. @default 4000 */
  readonly n?: number;
  /**
   * Share of the newest rows (by (created_at, id), above the incumbent's training) held out for evaluation, in (0, 1).
   * @default 0.2
   */
  readonly heldOutShare?: number;
  /**
   * Rows per corpus chunk (and per warm-up learning-curve point).
   * @default warm-up: n / 20 within [500, 10000]; prod: 10000
   */
  readonly chunkSize?: number;
  /** Engine options over the defaults (pooled LinUCB: PROD_ENGINE_DEFAULTS, the warm-up's warmupEngineOptions). */
  readonly engine?: Partial<Pick<LinUCBOptions, "alpha" | "lambda" | "pooling">>;
  /** Judge of unjudged rows. @default outcomeRewardJudge() (penalties 0.5 and 0.25) */
  readonly judge?: Judge;
  /** Production gate: estimator of the paired comparison of the candidate with the incumbent. @default 'snips' */
  readonly gateEstimator?: GateEstimator;
  /**
   * Production: the exploration a promoted policy is to be served with, recorded in
   * `policy_versions.parameters.exploration` (and in its snapshot). Randomised by default so that
   * its logs carry propensities below 1 and the next candidate can be evaluated on them.
   * @default { epsilon: 0.1 }
   */
  readonly serveExploration?: Exploration;
  /** Production gate: promote only when the lower bound on V(candidate) − V(incumbent) is above this. @default 0 */
  readonly gateMargin?: number;
  /** Production gate: minimum effective sample size of the candidate's estimate. @default 100 */
  readonly minEffectiveSampleSize?: number;
  /** Confidence level of the intervals. @default 0.95 */
  readonly level?: number;
  /** Bootstrap resamples per interval. @default 1000 */
  readonly resamples?: number;
  /** Warm-up gate: rows a cell needs to be covered. @default 20 */
  readonly minRows?: number;
  /** Warm-up gate: match share needed to pass, in [0, 1]. @default 0.7 */
  readonly threshold?: number;
  /**
   * Rows whose logged propensity is below this floor are rejected (by id, counted): an importance
   * weight of 1/p beyond a million would let one row decide the evaluation. In (0, 1]. @default 1e-6
   */
  readonly minPropensity?: number;
  /** Rows with a feature of larger absolute value are rejected (by id, counted). Positive. @default 1e6 */
  readonly maxFeatureMagnitude?: number;
  /**
   * Production: refit from scratch, reading the whole corpus, instead of starting from the active
   * policy's stored statistics and reading only the rows after its high-water mark. @default false
   */
  readonly full?: boolean;
  /**
   * Forgetting: each row weighs γ^(age in days), its age measured from the corpus's newest row
   * (src/cadence/daily-discount.ts), in (0, 1]. The prior does not fade. @default 1 (no forgetting)
   */
  readonly dailyDiscount?: number;
  /** Where steps and progress go. @default silent */
  readonly progress?: CadenceProgress;
  /**
   * Who reads the prod refit's training slice: a sharded reader from src/scale (worker threads,
   * queue workers; ./training-reader.ts). The warm-up always reads in-process. @default in-process
   */
  readonly readTraining?: TrainingReader;
}

/** Options with defaults applied. */
export interface ResolvedCadenceOptions {
  readonly mode: CadenceMode;
  readonly seed: number;
  readonly n: number;
  readonly heldOutShare: number;
  readonly chunkSize: number;
  readonly engine: Partial<Pick<LinUCBOptions, "alpha" | "lambda" | "pooling">>;
  readonly judge: Judge;
  readonly gateEstimator: GateEstimator;
  readonly gateMargin: number;
  readonly serveExploration: Exploration;
  readonly minEffectiveSampleSize: number;
  readonly level: number;
  readonly resamples: number;
  readonly minRows: number;
  readonly threshold: number;
  readonly minPropensity: number;
  readonly maxFeatureMagnitude: number;
  readonly full: boolean;
  readonly dailyDiscount: number;
  readonly readTraining: TrainingReader | undefined;
}

/**
 * The largest warm-up load: the synthetic generator's limit (MAX_OUTCOME_COUNT of src/synthetic,
 * restated here because production code does not import src/synthetic; a test keeps them equal).
 */
export const MAX_WARMUP_OUTCOMES = 100_000_000;

/**
 * The documented defaults. The seed and the warm-up gate's `minRows` and `threshold` are those of
 * src/synthetic (DEFAULT_SEED, DEFAULT_MIN_ROWS, DEFAULT_MATCH_THRESHOLD), restated for the same
 * reason and kept equal by a test.
 */
export const CADENCE_DEFAULTS = {
  seed: 42,
  // The warm-up gate is calibrated at n = 40,000 (src/synthetic/gate.ts WARMUP_GATE.n).
  n: 40_000,
  heldOutShare: 0.2,
  warmupChunkSize: 10_000,
  prodChunkSize: 10_000,
  gateEstimator: "snips",
  gateMargin: 0,
  serveExploration: { epsilon: 0.1 } as Exploration,
  minEffectiveSampleSize: 100,
  level: 0.95,
  resamples: 1000,
  minRows: 20,
  threshold: 0.5,
  minPropensity: DEFAULT_ROW_BOUNDS.minPropensity,
  maxFeatureMagnitude: DEFAULT_ROW_BOUNDS.maxFeatureMagnitude,
  dailyDiscount: 1,
} as const;

function integer(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`\`${name}\` must be an integer in [${min}, ${max}]; received ${describeValue(value)}`);
  }
  return value;
}

function number(value: unknown, name: string, min: number, max: number, open = false): number {
  const inside = typeof value === "number" && (open ? value > min && value < max : value >= min && value <= max);
  if (!inside) {
    const range = `${open ? "(" : "["}${min}, ${max}${open ? ")" : "]"}`;
    throw new RangeError(`\`${name}\` must be a number in ${range}; received ${describeValue(value)}`);
  }
  return value as number;
}

function positive(value: unknown, name: string, max: number): number {
  if (typeof value !== "number" || !(value > 0 && value <= max)) {
    throw new RangeError(`\`${name}\` must be a number in (0, ${max}]; received ${describeValue(value)}`);
  }
  return value;
}

/** Applies the defaults and validates every option. */
export function resolveCadenceOptions(options: CadenceOptions): ResolvedCadenceOptions {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`\`options\` must be an object; received ${describeValue(options)}`);
  }
  const { mode } = options;
  if (mode !== "warmup" && mode !== "prod")
    throw new RangeError(`\`mode\` must be 'warmup' or 'prod'; received ${describeValue(mode)}`);
  const gateEstimator = options.gateEstimator ?? CADENCE_DEFAULTS.gateEstimator;
  if (gateEstimator !== "snips" && gateEstimator !== "dr" && gateEstimator !== "ips") {
    throw new RangeError(`\`gateEstimator\` must be 'snips', 'dr' or 'ips'; received ${describeValue(gateEstimator)}`);
  }
  const judge = options.judge ?? outcomeRewardJudge();
  if (
    typeof judge !== "object" ||
    judge === null ||
    typeof judge.judge !== "function" ||
    typeof judge.name !== "string" ||
    judge.name === ""
  ) {
    throw new TypeError(
      `\`judge\` must be an object with a non-empty name and a judge(rows) function; received ${describeValue(judge)}`,
    );
  }
  const range = judge.rewardRange as Judge["rewardRange"] | undefined;
  const rangeOk =
    typeof range === "object" &&
    range !== null &&
    Number.isFinite(range.min) &&
    Number.isFinite(range.max) &&
    range.min <= range.max;
  if (!rangeOk) {
    throw new RangeError(
      `\`judge.rewardRange\` must be { min, max } with finite min ≤ max; received ${describeValue(range)}`,
    );
  }
  const engine = options.engine ?? {};
  if (typeof engine !== "object" || engine === null)
    throw new TypeError(`\`engine\` must be an object; received ${describeValue(engine)}`);
  return {
    mode,
    seed: integer(options.seed ?? CADENCE_DEFAULTS.seed, "seed", 0, 0xffffffff),
    n: integer(options.n ?? CADENCE_DEFAULTS.n, "n", 1, MAX_WARMUP_OUTCOMES),
    heldOutShare: number(options.heldOutShare ?? CADENCE_DEFAULTS.heldOutShare, "heldOutShare", 0, 1, true),
    chunkSize: integer(
      options.chunkSize ??
        (mode === "warmup" ? warmupChunkSizeFor(options.n ?? CADENCE_DEFAULTS.n) : CADENCE_DEFAULTS.prodChunkSize),
      "chunkSize",
      1,
      1_000_000,
    ),
    engine,
    judge,
    gateEstimator,
    serveExploration: resolveExploration(
      options.serveExploration ?? CADENCE_DEFAULTS.serveExploration,
      "serveExploration",
    ),
    gateMargin: number(
      options.gateMargin ?? CADENCE_DEFAULTS.gateMargin,
      "gateMargin",
      -Number.MAX_VALUE,
      Number.MAX_VALUE,
    ),
    minEffectiveSampleSize: number(
      options.minEffectiveSampleSize ?? CADENCE_DEFAULTS.minEffectiveSampleSize,
      "minEffectiveSampleSize",
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    level: number(options.level ?? CADENCE_DEFAULTS.level, "level", 0, 1, true),
    resamples: integer(options.resamples ?? CADENCE_DEFAULTS.resamples, "resamples", 1, 1_000_000),
    minRows: integer(options.minRows ?? CADENCE_DEFAULTS.minRows, "minRows", 1, Number.MAX_SAFE_INTEGER),
    threshold: number(options.threshold ?? CADENCE_DEFAULTS.threshold, "threshold", 0, 1),
    minPropensity: positive(options.minPropensity ?? CADENCE_DEFAULTS.minPropensity, "minPropensity", 1),
    maxFeatureMagnitude: positive(
      options.maxFeatureMagnitude ?? CADENCE_DEFAULTS.maxFeatureMagnitude,
      "maxFeatureMagnitude",
      Number.MAX_VALUE,
    ),
    full: flag(options.full ?? false, "full"),
    dailyDiscount: positive(options.dailyDiscount ?? CADENCE_DEFAULTS.dailyDiscount, "dailyDiscount", 1),
    readTraining: trainingReader(options.readTraining),
  };
}

function flag(value: unknown, name: string): boolean {
  if (typeof value !== "boolean")
    throw new TypeError(`\`${name}\` must be a boolean; received ${describeValue(value)}`);
  return value;
}

/** The bounds of a valid corpus row in a run: the judge's (or the mode's) reward range and the options' floors. */
export function rowBoundsOf(o: ResolvedCadenceOptions, reward: RewardBounds): RowBounds {
  return { reward, minPropensity: o.minPropensity, maxFeatureMagnitude: o.maxFeatureMagnitude };
}

function trainingReader(reader: unknown): TrainingReader | undefined {
  if (reader !== undefined && typeof reader !== "function")
    throw new TypeError(`\`readTraining\` must be a function; received ${describeValue(reader)}`);
  return reader as TrainingReader | undefined;
}

/**
 * The warm-up's default chunk: n / 20 rows (a learning curve of 20 points), at least 500 and at most
 * 10,000. Small chunks cost a refit: 500-row chunks made a 10⁶-row warm-up refit 8× slower than 10,000.
 */
function warmupChunkSizeFor(n: number): number {
  return Math.min(CADENCE_DEFAULTS.warmupChunkSize, Math.max(500, Math.ceil(n / 20)));
}
