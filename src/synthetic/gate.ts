/**
 * The convergence gate: generate a seeded world, refit an engine on its synthetic log, and check
 * the learned greedy choices against the planted optimum. Pipeline QA: if a refit on a world
 * whose answer is known does not find it, the pipeline has a bug.
 *
 * The engine configuration the gate (and the warm-up cadence) uses is {@link warmupEngineOptions}:
 * LinUCB per cell, each arm's fit over all cells as the prior of its per-cell models, and the pull
 * toward it estimated from the data (`pooling.shrinkage: 'auto'`, src/engine/shrinkage.ts).
 *
 * The gate's rule ({@link WARMUP_GATE}) reads two points of the learning curve, because no single
 * sample size exercises both halves of the learner: at {@link WARMUP_GATE}.curveRows rows the
 * shared structure (each model's coefficients, learned from contexts across cells) decides most
 * cells, and at n rows the per-cell deviations can be resolved. It passes when
 *  - at n rows: at least `threshold` of the covered cells match, at least `minCoveredCells` cells
 *    are covered (≥ `minRowsPerModel` rows of every model), and the engine fitted every logged row;
 *  - at `curveRows` rows: the relative regret of the learned cell choices is at most
 *    `maxCurveRegret` (a continuous statistic: far less noisy than the match share at small n).
 * The numbers were chosen on seeds 1–100 and the pass rates measured on seeds 3001–3200 (README
 * "Warm-up gate"; calibration.ts runs it).
 */
import { createLinUCB } from "../engine/linucb.js";
import type { LinUCBEngine, LinUCBOptions } from "../engine/types.js";
import { plantedOptimum, type PlantedOptimum } from "./answer-key.js";
import {
  DEFAULT_MATCH_THRESHOLD,
  DEFAULT_MIN_COVERED_CELLS,
  DEFAULT_MIN_ROWS_PER_MODEL,
  convergenceReport,
  type ConvergenceOptions,
  type ConvergenceReport,
} from "./convergence.js";
import { SYNTHETIC_DIMENSION } from "./features.js";
import { generateColumns, toEventBatch, type SyntheticColumns } from "./generator.js";
import { checkOptionsObject } from "./validation.js";
import { DEFAULT_SEED, generateWorld, type SyntheticWorld } from "./world.js";

/**
 * Engine options of the warm-up refit, apart from dimension and arms. The per-cell ridge toward
 * the pooled prior is estimated from the data at every finalize (`shrinkage: 'auto'`); `lambda` is
 * only the strength before the first estimate. `alpha` only affects exploration, not the greedy
 * choice the gate checks.
 */
export const warmupEngineOptions = {
  lambda: 10_000,
  alpha: 1,
  pooling: { ridge: 1, shrinkage: "auto" },
  statistics: true,
} as const satisfies Partial<LinUCBOptions>;

/** The calibrated gate (see the module doc and README "Warm-up gate"). */
export const WARMUP_GATE = Object.freeze({
  /** Rows of the log the gate refits on. */
  n: 40_000,
  /** Rows of the learning-curve point (the first rows of the same log). */
  curveRows: 4_000,
  /** Share of covered cells that must match at n rows. */
  threshold: DEFAULT_MATCH_THRESHOLD,
  /** Largest relative regret of the learned choices at curveRows rows. */
  maxCurveRegret: 0.09,
  /** Rows of every model a cell needs to be covered. */
  minRowsPerModel: DEFAULT_MIN_ROWS_PER_MODEL,
  /** Covered cells needed at n rows. */
  minCoveredCells: DEFAULT_MIN_COVERED_CELLS,
});

/** The gate's rule: {@link WARMUP_GATE} or overrides of it. */
export interface GateRule {
  readonly n: number;
  readonly curveRows: number;
  readonly threshold: number;
  readonly maxCurveRegret: number;
  readonly minRowsPerModel: number;
  readonly minCoveredCells: number;
}

/** The gate's decision over a full report and its learning-curve report. */
export interface GateVerdict {
  readonly pass: boolean;
  /** Match share of covered cells at n rows (the plan's headline figure, against its 70%). */
  readonly matchShare: number;
  /** Relative regret at the learning-curve point (null when there is none). */
  readonly curveRegret: number | null;
  /** Why it failed (empty when it passed). */
  readonly reasons: readonly string[];
}

/** Applies a gate rule to the report at n rows and the report at the curve point. */
export function gateVerdict(full: ConvergenceReport, curve: ConvergenceReport | null, rule: GateRule = WARMUP_GATE): GateVerdict {
  const reasons: string[] = [];
  if (!full.completeness.complete) {
    reasons.push(`the engine fitted ${full.completeness.fittedRows} rows where the log holds ${full.completeness.loggedRows} (${full.completeness.mismatches} counts differ)`);
  }
  if (full.coveredCells < rule.minCoveredCells) reasons.push(`${full.coveredCells} covered cells, ${rule.minCoveredCells} needed`);
  if (full.matchShare < rule.threshold) reasons.push(`match share ${full.matchShare.toFixed(3)} below ${rule.threshold}`);
  const curveRegret = curve === null ? null : curve.value.relativeRegret;
  if (curveRegret !== null && !(curveRegret <= rule.maxCurveRegret)) {
    reasons.push(`relative regret ${curveRegret.toFixed(3)} at ${rule.curveRows} rows above ${rule.maxCurveRegret}`);
  }
  return { pass: reasons.length === 0, matchShare: full.matchShare, curveRegret, reasons };
}

/** Options of {@link runConvergenceGate}. */
export interface GateOptions extends ConvergenceOptions {
  /** World and outcome seed. @default 42 */
  readonly seed?: number;
  /** Outcomes to generate. @default WARMUP_GATE.n */
  readonly n?: number;
  /** Rows of the learning-curve point (0: none). @default WARMUP_GATE.curveRows */
  readonly curveRows?: number;
  /** Largest relative regret at the curve point. @default WARMUP_GATE.maxCurveRegret */
  readonly maxCurveRegret?: number;
  /** Engine options overriding {@link warmupEngineOptions} (dimension and arms are the world's). */
  readonly engine?: Partial<Omit<LinUCBOptions, "dimension" | "arms">>;
}

/** What a gate run produced. */
export interface GateResult {
  readonly world: SyntheticWorld;
  readonly columns: SyntheticColumns;
  readonly engine: LinUCBEngine;
  readonly answerKey: PlantedOptimum;
  /** The convergence report at n rows. */
  readonly report: ConvergenceReport;
  /** The convergence report at the learning-curve point (null without one). */
  readonly curveReport: ConvergenceReport | null;
  readonly verdict: GateVerdict;
}

/** Engine options for a refit on a synthetic world: the warmup defaults plus overrides. */
export function syntheticEngineOptions(world: SyntheticWorld, overrides: GateOptions["engine"] = {}): LinUCBOptions {
  return {
    ...warmupEngineOptions,
    ...overrides,
    dimension: SYNTHETIC_DIMENSION,
    arms: [...world.models],
    cells: world.cells.map((cell) => cell.id),
  };
}

/** The grading options of a gate run: its own overrides over the calibrated rule. */
export function gateRule(options: GateOptions): GateRule {
  return {
    n: options.n ?? WARMUP_GATE.n,
    curveRows: options.curveRows ?? WARMUP_GATE.curveRows,
    threshold: options.threshold ?? WARMUP_GATE.threshold,
    maxCurveRegret: options.maxCurveRegret ?? WARMUP_GATE.maxCurveRegret,
    minRowsPerModel: options.minRowsPerModel ?? WARMUP_GATE.minRowsPerModel,
    minCoveredCells: options.minCoveredCells ?? WARMUP_GATE.minCoveredCells,
  };
}

/** The convergence options of a rule (what convergenceReport needs). */
export function reportOptions(rule: GateRule, minRows?: number): ConvergenceOptions {
  return {
    threshold: rule.threshold,
    minRowsPerModel: rule.minRowsPerModel,
    minCoveredCells: rule.minCoveredCells,
    ...(minRows === undefined ? {} : { minRows }),
  };
}

/**
 * Generates the world and its log, refits on the first `curveRows` rows and on all n, and grades
 * both against the planted optimum with the gate's rule.
 */
export async function runConvergenceGate(options: GateOptions = {}): Promise<GateResult> {
  checkOptionsObject(options, "options");
  const seed = options.seed ?? DEFAULT_SEED;
  const rule = gateRule(options);
  const world = generateWorld({ seed });
  const grading = reportOptions(rule, options.minRows);
  const fit = async (n: number): Promise<{ engine: LinUCBEngine; columns: SyntheticColumns; report: ConvergenceReport }> => {
    const columns = generateColumns(world, { n, seed });
    const engine = await createLinUCB(syntheticEngineOptions(world, options.engine));
    engine.refit(toEventBatch(world, columns));
    return { engine, columns, report: convergenceReport(world, engine, columns, grading) };
  };
  const full = await fit(rule.n);
  // The first rows of a seed's log do not depend on n (every row draws the same way), so the
  // curve point is the same log read up to curveRows.
  const curve = rule.curveRows > 0 && rule.curveRows < rule.n ? (await fit(rule.curveRows)).report : null;
  return {
    world,
    columns: full.columns,
    engine: full.engine,
    answerKey: plantedOptimum(world),
    report: full.report,
    curveReport: curve,
    verdict: gateVerdict(full.report, curve, rule),
  };
}
