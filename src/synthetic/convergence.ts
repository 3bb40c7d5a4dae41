/**
 * The convergence report: does an engine refitted on a world's synthetic log choose the planted
 * optimum? `convergenceReport(world, engine, rows, options)` → JSON-able data;
 * `formatConvergenceReport(report)` → a readable table.
 *
 * - A cell is covered when its logged data can decide it: the log holds at least `minRows` rows of
 *   it and at least `minRowsPerModel` rows of EVERY model in it (the logging policy's support: a
 *   model it never tried in a cell cannot be told apart there). Rows per model are read from
 *   generated columns or outcome rows (`model`); counts by cell alone skip the per-model rule.
 * - A cell is deviating when the pooled-limit choice (pooled-limit.ts) is not its planted optimum:
 *   only a learner that learns per cell can match it there. Reported per cell, with the share of
 *   covered deviating cells matched.
 * - The learned greedy choice in a covered cell is argmax over the engine's arms of θ_armᵀx̄_c,
 *   with θ from `engine.model(cell, arm).theta` and x̄_c the cell's mean context under the world's
 *   context distribution. θ is linear, so θᵀx̄_c is also the learner's mean greedy estimate over
 *   the cell's requests. Ties go to the arm listed first (as in the engine's UCB argmax).
 * - The match share is the share of covered cells whose learned choice is the planted optimum; the
 *   report passes when it is at least `threshold` and at least `minCoveredCells` cells are covered.
 *   The defaults are the calibrated gate (calibration.ts, README "Warm-up gate"); the plan's start
 *   target, 70% of covered cells, is reported beside it as `headline`.
 * - Values are planted expected rewards (never estimates), averaged over the covered cells with
 *   the cells' request shares as weights: of the planted optimum, of the learned choices, and of
 *   the logging policy. Regret = optimum − learned; relative regret = regret / optimum.
 * - A covered cell that the engine does not have (a pipeline bug) counts as a miss, and its value
 *   is the logging policy's: without a model of its own the cell keeps being routed that way.
 */
import type { LinUCBEngine } from "../engine/types.js";
import { describeValue } from "../engine/errors.js";
import { cellExpectedRewards, cellLoggingValue } from "./planted.js";
import { pooledLimitChoices } from "./pooled-limit.js";
import { AGENT_FEATURE_COUNT, FeatureIndex } from "./features.js";
import type { SyntheticColumns } from "./generator.js";
import { checkInteger, checkNumber, checkOptionsObject } from "./validation.js";
import { checkWorld, type SyntheticWorld } from "./world.js";
import { fixed } from "../shared/format-number.js";

/** The members of an engine the report reads. Both engines (WebAssembly, reference) have them. */
export type ConvergenceEngine = Pick<LinUCBEngine, "dimension" | "arms" | "hasCell" | "model">;

/**
 * The rows the engine was fitted on, to count rows per cell: generated columns, outcome rows (any
 * objects with a `cell` id), or counts by cell id (a Map or a plain object).
 */
export type RowsPerCell =
  | SyntheticColumns
  | readonly { readonly cell: string; readonly model?: string; readonly propensity?: number }[]
  | ReadonlyMap<string, number>
  | Readonly<Record<string, number>>;

/** Options of {@link convergenceReport}. */
export interface ConvergenceOptions {
  /** Rows a cell needs to be covered; an integer ≥ 1. @default 20 */
  readonly minRows?: number;
  /** Match share needed to pass, in [0, 1]. @default {@link DEFAULT_MATCH_THRESHOLD} */
  readonly threshold?: number;
  /** Rows of every model a cell needs to be covered; an integer ≥ 0. @default {@link DEFAULT_MIN_ROWS_PER_MODEL} */
  readonly minRowsPerModel?: number;
  /** Covered cells needed to pass; an integer ≥ 1. @default {@link DEFAULT_MIN_COVERED_CELLS} */
  readonly minCoveredCells?: number;
}

/** Default of {@link ConvergenceOptions.minRows}. */
export const DEFAULT_MIN_ROWS = 20;
/** Default of {@link ConvergenceOptions.threshold} (calibrated: calibration.ts, README). */
export const DEFAULT_MATCH_THRESHOLD = 0.5;
/** Default of {@link ConvergenceOptions.minRowsPerModel} (calibrated: calibration.ts, README). */
export const DEFAULT_MIN_ROWS_PER_MODEL = 5;
/** Default of {@link ConvergenceOptions.minCoveredCells} (calibrated: calibration.ts, README). */
export const DEFAULT_MIN_COVERED_CELLS = 30;
/** The plan's start target: 70% of covered cells match. Reported beside the calibrated gate. */
export const HEADLINE_MATCH_TARGET = 0.7;

/** One cell of the report. */
export interface CellConvergence {
  readonly cell: string;
  /** Rows of this cell in the log. */
  readonly rows: number;
  /** Rows of each model in this cell (by model id; empty when only counts by cell were given). */
  readonly rowsPerModel: Readonly<Record<string, number>>;
  /** Kish ESS of the importance weights 1/π of each model's rows in this cell (by model id). */
  readonly essPerModel: Readonly<Record<string, number>>;
  readonly covered: boolean;
  /** The pooled-limit choice (what a learner that ignores cells converges to). */
  readonly pooledChoice: string;
  /** pooledChoice ≠ planted: only a per-cell learner can match this cell. */
  readonly deviating: boolean;
  /** Whether a local champion was planted here (world.localChampions). */
  readonly localChampion: boolean;
  /** The planted optimum and its expected reward. */
  readonly planted: string;
  readonly plantedReward: number;
  /** The planted gap to the runner-up. */
  readonly gap: number;
  /** The learned greedy choice (null if the cell is not covered or the engine lacks it). */
  readonly learned: string | null;
  /** Its planted expected reward (null when there is no learned choice). */
  readonly learnedReward: number | null;
  /** The engine's own estimate θᵀx̄ for its choice (null when there is no learned choice). */
  readonly learnedEstimate: number | null;
  /** Whether learned = planted (null if not covered). */
  readonly match: boolean | null;
  /** plantedReward − learnedReward (null when there is no learned choice). */
  readonly regret: number | null;
}

/** The convergence report. JSON-able: numbers, strings, booleans, nulls, arrays and objects. */
export interface ConvergenceReport {
  readonly source: string;
  readonly seed: number;
  readonly minRows: number;
  readonly minRowsPerModel: number;
  readonly minCoveredCells: number;
  readonly threshold: number;
  readonly totalCells: number;
  readonly coveredCells: number;
  /** coveredCells / totalCells. */
  readonly coverage: number;
  /** Share of all requests that fall in covered cells. */
  readonly coveredTraffic: number;
  readonly matches: number;
  /** matches / coveredCells (0 when nothing is covered). */
  readonly matchShare: number;
  /**
   * The report's own checks: matchShare ≥ threshold, at least minCoveredCells cells covered, and the
   * fit complete. The warm-up gate's verdict adds regret, structure and deviating cells (gate.ts
   * `gateVerdict`); `linucb gate --json` reports that verdict as `pass`.
   */
  readonly pass: boolean;
  /**
   * Whether the engine fitted every logged row: its per-(cell, model) counts against the log's (per
   * cell when the rows only give counts by cell). A pipeline that loses, duplicates or misfiles
   * rows fails here whatever it learned.
   */
  readonly completeness: {
    readonly loggedRows: number;
    readonly fittedRows: number;
    readonly mismatches: number;
    readonly complete: boolean;
  };
  /** The plan's figure: matchShare against its 70% target. */
  readonly headline: { readonly target: number; readonly met: boolean };
  /**
   * The covered cells that do not deviate — those the shared structure (each model's coefficients,
   * learned across cells from the contexts) decides: how many match, and the relative regret there.
   */
  readonly shared: {
    readonly cells: number;
    readonly matches: number;
    readonly matchShare: number;
    readonly relativeRegret: number;
  };
  /**
   * Whether the engine learned from the contexts: the coefficients that vary within a cell
   * (difficulty, the agent features, input size) are shared by all cells in the planted world, so
   * the learned ones, averaged over the covered cells, should recover them. `error` is
   * Σ (learned − planted)² / Σ planted² over those coefficients of every model: 1 for a learner
   * that never saw a feature (all zero), near 0 for one that recovered them.
   */
  readonly structure: { readonly coefficients: readonly string[]; readonly error: number };
  /** Covered cells whose pooled-limit choice is not the optimum, and how many of them match. */
  readonly deviating: {
    readonly cells: readonly string[];
    readonly covered: number;
    readonly matches: number;
    readonly matchShare: number;
  };
  /** Expected reward per request over the covered cells (weighted by their request shares). */
  readonly value: {
    readonly optimum: number;
    readonly learned: number;
    readonly logging: number;
    /** optimum − learned. */
    readonly regret: number;
    /** regret / optimum. */
    readonly relativeRegret: number;
    /** optimum − logging: the regret the learner started from. */
    readonly loggingRegret: number;
  };
  readonly cells: readonly CellConvergence[];
}

/** Logged support of one (cell, model): rows, and the Kish ESS of its importance weights 1/π. */
export interface ModelSupport {
  rows: number;
  sumWeights: number;
  sumSquaredWeights: number;
}

/** (Σw)² / Σw²: the effective sample size of the rows' importance weights (0 without rows). */
export function effectiveSampleSize(support: ModelSupport): number {
  return support.sumSquaredWeights > 0 ? (support.sumWeights * support.sumWeights) / support.sumSquaredWeights : 0;
}

/**
 * Logged support per (cell id, model id) when the rows say which model (columns, or outcome rows
 * with `model`; propensities from the columns or the rows' `propensity`, ESS 0 without them); null
 * for counts by cell.
 */
export function countRowsPerModel(
  world: SyntheticWorld,
  rows: RowsPerCell,
): Map<string, Map<string, ModelSupport>> | null {
  const empty = (): Map<string, ModelSupport> =>
    new Map(world.models.map((m) => [m, { rows: 0, sumWeights: 0, sumSquaredWeights: 0 }]));
  const counts = new Map<string, Map<string, ModelSupport>>(world.cells.map((cell) => [cell.id, empty()]));
  const add = (cell: string, model: string, propensity: number | undefined): void => {
    const byModel = counts.get(cell) ?? empty();
    counts.set(cell, byModel);
    const support = byModel.get(model) ?? { rows: 0, sumWeights: 0, sumSquaredWeights: 0 };
    byModel.set(model, support);
    support.rows++;
    if (propensity !== undefined && propensity > 0) {
      support.sumWeights += 1 / propensity;
      support.sumSquaredWeights += 1 / (propensity * propensity);
    }
  };
  if (isColumns(rows)) {
    for (let i = 0; i < rows.count; i++)
      add(world.cells[rows.cellIndices[i]].id, world.models[rows.modelIndices[i]], rows.propensities[i]);
    return counts;
  }
  if (!Array.isArray(rows)) return null;
  for (const row of rows as readonly {
    readonly cell: string;
    readonly model?: string;
    readonly propensity?: number;
  }[]) {
    if (typeof row.model !== "string") return null;
    add(row.cell, row.model, typeof row.propensity === "number" ? row.propensity : undefined);
  }
  return counts;
}

function isColumns(rows: unknown): rows is SyntheticColumns {
  return (rows as Partial<SyntheticColumns>).cellIndices instanceof Int32Array;
}

/** Rows per cell id, from any {@link RowsPerCell}. */
export function countRowsPerCell(world: SyntheticWorld, rows: RowsPerCell): Map<string, number> {
  checkWorld(world);
  const counts = new Map<string, number>();
  if (rows === null || typeof rows !== "object") {
    throw new TypeError(
      `\`rows\` must be generated columns, outcome rows or counts by cell, received ${describeValue(rows)}`,
    );
  }
  if (isColumns(rows)) {
    const byIndex = new Float64Array(world.cells.length);
    for (let i = 0; i < rows.count; i++) byIndex[rows.cellIndices[i]]++;
    world.cells.forEach((cell) => counts.set(cell.id, byIndex[cell.index]));
    return counts;
  }
  if (Array.isArray(rows)) {
    (rows as readonly { readonly cell: string }[]).forEach((row, i) => {
      const cell = (row as { cell?: unknown } | null)?.cell;
      if (typeof cell !== "string") {
        throw new TypeError(`\`rows[${i}].cell\` must be a cell id, received ${describeValue(cell)}`);
      }
      counts.set(cell, (counts.get(cell) ?? 0) + 1);
    });
    return counts;
  }
  const entries = rows instanceof Map ? [...(rows as ReadonlyMap<string, number>)] : Object.entries(rows);
  for (const [cell, count] of entries) {
    if (typeof count !== "number" || !Number.isInteger(count) || count < 0) {
      throw new TypeError(
        `\`rows[${JSON.stringify(cell)}]\` must be a row count (an integer ≥ 0), received ${describeValue(count)}`,
      );
    }
    counts.set(cell, count);
  }
  return counts;
}

function checkEngine(world: SyntheticWorld, engine: unknown): ConvergenceEngine {
  const candidate = engine as Partial<ConvergenceEngine> | null;
  if (
    candidate === null ||
    typeof candidate !== "object" ||
    !Array.isArray(candidate.arms) ||
    typeof candidate.model !== "function" ||
    typeof candidate.hasCell !== "function"
  ) {
    throw new TypeError(`\`engine\` must be a LinUCB engine (arms, hasCell, model), received ${describeValue(engine)}`);
  }
  if (candidate.dimension !== world.dimension) {
    throw new RangeError(
      `\`engine.dimension\` must be the world's dimension ${world.dimension}, received ` +
        `${describeValue(candidate.dimension)}`,
    );
  }
  for (const arm of candidate.arms) {
    if (!world.models.includes(arm)) {
      throw new RangeError(
        `\`engine.arms\` must be models of the world (${world.models.join(", ")}), received ${describeValue(arm)}`,
      );
    }
  }
  if (candidate.arms.length === 0) throw new RangeError("`engine.arms` must not be empty, received []");
  return candidate as ConvergenceEngine;
}

/**
 * The convergence report of an engine fitted on a world's log. See the module doc for the
 * definitions. Throws TypeError / RangeError on a bad world, engine, rows or options.
 */
export function convergenceReport(
  world: SyntheticWorld,
  engine: ConvergenceEngine,
  rows: RowsPerCell,
  options?: ConvergenceOptions,
): ConvergenceReport {
  checkWorld(world);
  const opts = checkOptionsObject<ConvergenceOptions>(options, "options");
  const minRows = checkInteger(opts.minRows ?? DEFAULT_MIN_ROWS, "options.minRows", 1, Number.MAX_SAFE_INTEGER);
  const threshold = checkNumber(opts.threshold ?? DEFAULT_MATCH_THRESHOLD, "options.threshold", 0, 1);
  const minRowsPerModel = checkInteger(
    opts.minRowsPerModel ?? DEFAULT_MIN_ROWS_PER_MODEL,
    "options.minRowsPerModel",
    0,
    Number.MAX_SAFE_INTEGER,
  );
  const minCoveredCells = checkInteger(
    opts.minCoveredCells ?? DEFAULT_MIN_COVERED_CELLS,
    "options.minCoveredCells",
    1,
    Number.MAX_SAFE_INTEGER,
  );
  const checkedEngine = checkEngine(world, engine);
  const counts = countRowsPerCell(world, rows);
  const perModel = countRowsPerModel(world, rows);
  const pooledChoices = pooledLimitChoices(world);
  const deviatingIds: string[] = [];
  let deviatingCovered = 0;
  let deviatingMatches = 0;
  const armModelIndex = checkedEngine.arms.map((arm) => world.models.indexOf(arm));

  let coveredCells = 0;
  let matches = 0;
  let coveredTraffic = 0;
  let optimum = 0;
  let learnedValue = 0;
  // The same sums over the covered cells that do not deviate: those the shared structure decides.
  const shared = { cells: 0, matches: 0, optimum: 0, learned: 0 };
  let logging = 0;
  const cells = world.cells.map((cell): CellConvergence => {
    const rewards = cellExpectedRewards(world, cell.index);
    let planted = 0;
    for (let m = 1; m < rewards.length; m++) if (rewards[m] > rewards[planted]) planted = m;
    let runnerUp = -Infinity;
    for (let m = 0; m < rewards.length; m++) if (m !== planted) runnerUp = Math.max(runnerUp, rewards[m]);
    const rowCount = counts.get(cell.id) ?? 0;
    const byModel = perModel?.get(cell.id);
    const rowsPerModel =
      byModel === undefined ? {} : Object.fromEntries(world.models.map((m) => [m, byModel.get(m)?.rows ?? 0]));
    const essPerModel =
      byModel === undefined
        ? {}
        : Object.fromEntries(
            world.models.map((m) => [
              m,
              effectiveSampleSize(byModel.get(m) ?? { rows: 0, sumWeights: 0, sumSquaredWeights: 0 }),
            ]),
          );
    const leastModelRows =
      byModel === undefined ? Infinity : Math.min(...world.models.map((m) => byModel.get(m)?.rows ?? 0));
    const covered = rowCount >= minRows && leastModelRows >= minRowsPerModel;
    const deviating = pooledChoices[cell.index] !== planted;
    if (deviating) deviatingIds.push(cell.id);
    const base = {
      cell: cell.id,
      rows: rowCount,
      rowsPerModel,
      essPerModel,
      covered,
      pooledChoice: world.models[pooledChoices[cell.index]],
      deviating,
      localChampion: world.localChampions[cell.index] >= 0,
      planted: world.models[planted],
      plantedReward: rewards[planted],
      gap: rewards[planted] - runnerUp,
    };
    if (!covered) {
      return { ...base, learned: null, learnedReward: null, learnedEstimate: null, match: null, regret: null };
    }
    coveredCells++;
    if (deviating) deviatingCovered++;
    coveredTraffic += cell.probability;
    optimum += cell.probability * rewards[planted];
    const cellLogging = cellLoggingValue(world, cell.index);
    logging += cell.probability * cellLogging;
    if (!deviating) {
      shared.cells++;
      shared.optimum += cell.probability * rewards[planted];
    }
    if (!checkedEngine.hasCell(cell.id)) {
      learnedValue += cell.probability * cellLogging;
      if (!deviating) shared.learned += cell.probability * cellLogging;
      return { ...base, learned: null, learnedReward: null, learnedEstimate: null, match: false, regret: null };
    }
    let chosen = -1;
    let estimate = -Infinity;
    checkedEngine.arms.forEach((arm, a) => {
      const theta = checkedEngine.model(cell.id, arm).theta;
      let value = 0;
      for (let k = 0; k < world.dimension; k++) value += theta[k] * cell.meanContext[k];
      if (chosen < 0 || value > estimate) {
        chosen = a;
        estimate = value;
      }
    });
    const chosenModel = armModelIndex[chosen];
    const match = chosenModel === planted;
    if (match) matches++;
    if (match && deviating) deviatingMatches++;
    learnedValue += cell.probability * rewards[chosenModel];
    if (!deviating) {
      shared.learned += cell.probability * rewards[chosenModel];
      if (match) shared.matches++;
    }
    return {
      ...base,
      learned: world.models[chosenModel],
      learnedReward: rewards[chosenModel],
      learnedEstimate: estimate,
      match,
      regret: rewards[planted] - rewards[chosenModel],
    };
  });

  const completeness = checkCompleteness(world, checkedEngine, counts, perModel);
  const structure = structureRecovery(
    world,
    checkedEngine,
    cells.filter((c) => c.covered).map((c) => c.cell),
  );
  const perRequest = (value: number): number => (coveredTraffic > 0 ? value / coveredTraffic : 0);
  const value = {
    optimum: perRequest(optimum),
    learned: perRequest(learnedValue),
    logging: perRequest(logging),
    regret: perRequest(optimum - learnedValue),
    relativeRegret: optimum !== 0 ? (optimum - learnedValue) / optimum : 0,
    loggingRegret: perRequest(optimum - logging),
  };
  const matchShare = coveredCells > 0 ? matches / coveredCells : 0;
  return {
    source: world.source,
    seed: world.seed,
    minRows,
    minRowsPerModel,
    minCoveredCells,
    threshold,
    totalCells: world.cells.length,
    coveredCells,
    coverage: coveredCells / world.cells.length,
    coveredTraffic,
    matches,
    matchShare,
    pass: coveredCells >= minCoveredCells && matchShare >= threshold && completeness.complete,
    completeness,
    structure,
    headline: { target: HEADLINE_MATCH_TARGET, met: coveredCells > 0 && matchShare >= HEADLINE_MATCH_TARGET },
    shared: {
      cells: shared.cells,
      matches: shared.matches,
      matchShare: shared.cells > 0 ? shared.matches / shared.cells : 0,
      relativeRegret: shared.optimum !== 0 ? (shared.optimum - shared.learned) / shared.optimum : 0,
    },
    deviating: {
      cells: deviatingIds,
      covered: deviatingCovered,
      matches: deviatingMatches,
      matchShare: deviatingCovered > 0 ? deviatingMatches / deviatingCovered : 0,
    },
    value,
    cells,
  };
}

/** The coefficients that vary within a cell (shared by all cells in the planted world). */
const WITHIN_CELL_FEATURES: readonly number[] = [
  FeatureIndex.difficulty,
  ...Array.from({ length: AGENT_FEATURE_COUNT }, (_, k) => FeatureIndex.agent + k),
  FeatureIndex.inputSize,
];

/** See ConvergenceReport.structure. */
function structureRecovery(
  world: SyntheticWorld,
  engine: ConvergenceEngine,
  covered: readonly string[],
): ConvergenceReport["structure"] {
  const d = world.dimension;
  const cells = covered.filter((id) => engine.hasCell(id)).map((id) => world.cells.find((c) => c.id === id)!);
  const weight = cells.reduce((sum, c) => sum + c.probability, 0);
  let error = 0;
  let scale = 0;
  world.models.forEach((model, m) => {
    const arm = engine.arms.indexOf(model);
    for (const k of WITHIN_CELL_FEATURES) {
      const planted = world.rewardCoefficients[m * d + k]; // the same in every cell
      let learned = 0;
      if (arm >= 0 && weight > 0)
        for (const c of cells) learned += (c.probability * engine.model(c.id, model).theta[k]) / weight;
      error += (learned - planted) ** 2;
      scale += planted ** 2;
    }
  });
  return { coefficients: WITHIN_CELL_FEATURES.map((k) => world.featureNames[k]), error: scale > 0 ? error / scale : 0 };
}

/** Compares the engine's row counts with the log's (see ConvergenceReport.completeness). */
function checkCompleteness(
  world: SyntheticWorld,
  engine: ConvergenceEngine,
  counts: ReadonlyMap<string, number>,
  perModel: ReadonlyMap<string, ReadonlyMap<string, ModelSupport>> | null,
): ConvergenceReport["completeness"] {
  let loggedRows = 0;
  let fittedRows = 0;
  let mismatches = 0;
  for (const cell of world.cells) {
    const logged = counts.get(cell.id) ?? 0;
    loggedRows += logged;
    const fitted = engine.arms.map((arm) => (engine.hasCell(cell.id) ? engine.model(cell.id, arm).count : 0));
    fittedRows += fitted.reduce((a, b) => a + b, 0);
    if (perModel === null) {
      if (fitted.reduce((a, b) => a + b, 0) !== logged) mismatches++;
      continue;
    }
    const byModel = perModel.get(cell.id);
    world.models.forEach((model) => {
      const a = engine.arms.indexOf(model);
      if ((a < 0 ? 0 : fitted[a]) !== (byModel?.get(model)?.rows ?? 0)) mismatches++;
    });
  }
  return { loggedRows, fittedRows, mismatches, complete: mismatches === 0 };
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** A readable table of a convergence report: one line per cell, then the summary. */
export function formatConvergenceReport(report: ConvergenceReport): string {
  const cellWidth = Math.max(4, ...report.cells.map((c) => c.cell.length));
  const modelWidth = Math.max(7, ...report.cells.map((c) => Math.max(c.planted.length, c.learned?.length ?? 1)));
  const header = [
    pad("cell", cellWidth),
    pad("rows", 6, true),
    pad("planted", modelWidth),
    pad("learned", modelWidth),
    pad("gap", 6, true),
    pad("regret", 7, true),
    pad("pooled", modelWidth),
    "match",
  ].join("  ");
  const lines = report.cells.map((c) =>
    [
      pad(c.cell, cellWidth),
      pad(String(c.rows), 6, true),
      pad(c.planted, modelWidth),
      pad(c.learned ?? "—", modelWidth),
      pad(fixed(c.gap), 6, true),
      pad(fixed(c.regret), 7, true),
      pad(c.deviating ? `${c.pooledChoice}*` : c.pooledChoice, modelWidth),
      c.match === null ? "not covered" : c.match ? "yes" : "NO",
    ].join("  "),
  );
  const percent = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const v = report.value;
  return [
    `Convergence report: ${report.source}, seed ${report.seed}`,
    "",
    header,
    "-".repeat(header.length),
    ...lines,
    "",
    `coverage      ${report.coveredCells}/${report.totalCells} cells with ≥ ${report.minRows} rows and ≥ ` +
      `${report.minRowsPerModel} of every model (${percent(report.coverage)} of cells, ` +
      `${percent(report.coveredTraffic)} of requests; ${report.minCoveredCells} needed)`,
    `match share   ${report.matches}/${report.coveredCells} = ${percent(report.matchShare)} (gate threshold ` +
      `${percent(report.threshold)}; plan target ${percent(report.headline.target)}: ` +
      `${report.headline.met ? "met" : "not met"})`,
    `completeness  ${report.completeness.fittedRows} of ${report.completeness.loggedRows} logged rows fitted` +
      (report.completeness.complete
        ? ""
        : `, ${report.completeness.mismatches} (cell, model) counts differ from the log`),
    `deviating     ${report.deviating.matches}/${report.deviating.covered} covered cells where the pooled choice ` +
      `(*) is not the optimum match`,
    `value         optimum ${v.optimum.toFixed(4)}   learned ${v.learned.toFixed(4)}   logging ${v.logging.toFixed(4)}`,
    `regret        ${v.regret.toFixed(4)} (${percent(v.relativeRegret)} of the optimum; the logging policy's: ` +
      `${v.loggingRegret.toFixed(4)})`,
    `result        ${report.pass ? "PASS" : "FAIL"}`,
  ].join("\n");
}
