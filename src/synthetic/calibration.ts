/**
 * The gate is a classifier: it must pass correct pipelines and fail broken ones. This module runs
 * the warm-up pipeline in memory (generate → refit → grade; no database) in its correct form and in
 * broken variants, seed by seed, and summarises each variant's pass rate and match-share
 * distribution. `linucb gate --seeds A..B --json` prints it; the README's table comes from it.
 *
 * The broken variants, each a bug a refit pipeline can really have:
 * - `shuffled-rewards`: rewards joined to the wrong rows (a permutation of the reward column);
 * - `arm-shift`: the model mapping off by one (every row credited to the next model);
 * - `cell-permutation`: cell labels permuted (every cell's rows filed under another cell);
 * - `contexts-ignored`: the features never reach the engine (every context is the intercept alone);
 * - `first-chunk`: only the first corpus chunk read ({@link FIRST_CHUNK_ROWS} rows, the smallest warm-up chunk);
 * - `half-dropped`: every other row lost;
 * - `logging-preferred`: no learning at all — each cell gets the model the log holds most often.
 */
import { createLinUCB } from "../engine/linucb.js";
import type { EventBatch, LinUCBOptions } from "../engine/types.js";
import { convergenceReport, type ConvergenceEngine, type ConvergenceReport } from "./convergence.js";
import { SYNTHETIC_DIMENSION } from "./features.js";
import { generateColumns, toEventBatch, type SyntheticColumns } from "./generator.js";
import { SeededRandom, deriveSeed } from "./prng.js";
import {
  gateRule,
  gateVerdict,
  reportOptions,
  syntheticEngineOptions,
  type GateRule,
  type GateVerdict,
} from "./gate.js";
import { generateWorld, type SyntheticWorld } from "./world.js";

/** The pipelines a calibration runs. */
export const PIPELINE_VARIANTS = [
  "correct",
  "shuffled-rewards",
  "arm-shift",
  "cell-permutation",
  "contexts-ignored",
  "first-chunk",
  "half-dropped",
  "logging-preferred",
] as const;
/** One pipeline variant. */
export type PipelineVariant = (typeof PIPELINE_VARIANTS)[number];

/** Rows the `first-chunk` variant reads: the smallest warm-up chunk (the cadence reads n / 20 within [500, 10000]). */
export const FIRST_CHUNK_ROWS = 500;
const CORRUPTION_SALT = 0x42554753; // "BUGS"

/** The batch a variant's pipeline fits (coverage is always graded on the log as written). */
interface CorruptedLog {
  readonly batch: EventBatch & { readonly cells: readonly string[]; readonly arms: readonly string[] };
}

function permutation(random: SeededRandom, n: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = random.nextBelow(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function subset(batch: CorruptedLog["batch"], keep: (i: number) => boolean): CorruptedLog["batch"] {
  const d = SYNTHETIC_DIMENSION;
  const rows = batch.cells.map((_, i) => i).filter(keep);
  const contexts = new Float64Array(rows.length * d);
  rows.forEach((row, i) => contexts.set(batch.contexts.subarray(row * d, row * d + d), i * d));
  return {
    cells: rows.map((i) => batch.cells[i]),
    arms: rows.map((i) => batch.arms[i]),
    contexts,
    rewards: Float64Array.from(rows, (i) => batch.rewards[i]),
  };
}

/**
 * The log as a variant's pipeline sees it. Deterministic for (world, columns, variant): corruption
 * draws come from the outcome seed.
 */
export function corruptLog(world: SyntheticWorld, columns: SyntheticColumns, variant: PipelineVariant): CorruptedLog {
  const batch = toEventBatch(world, columns);
  const random = new SeededRandom(deriveSeed(columns.seed, CORRUPTION_SALT));
  switch (variant) {
    case "correct":
    case "logging-preferred":
      return { batch };
    case "shuffled-rewards": {
      const order = permutation(random, columns.count);
      return { batch: { ...batch, rewards: Float64Array.from(order, (i) => batch.rewards[i]) } };
    }
    case "arm-shift": {
      const models = world.models;
      return { batch: { ...batch, arms: batch.arms.map((arm) => models[(models.indexOf(arm) + 1) % models.length]) } };
    }
    case "cell-permutation": {
      const ids = world.cells.map((cell) => cell.id);
      const order = permutation(random, ids.length);
      const relabel = new Map(ids.map((id, i) => [id, ids[order[i]]]));
      return { batch: { ...batch, cells: batch.cells.map((cell) => relabel.get(cell)!) } };
    }
    case "contexts-ignored": {
      const contexts = new Float64Array(batch.contexts.length);
      for (let i = 0; i < columns.count; i++) contexts[i * SYNTHETIC_DIMENSION] = 1;
      return { batch: { ...batch, contexts } };
    }
    case "first-chunk":
      return { batch: subset(batch, (i) => i < FIRST_CHUNK_ROWS) };
    case "half-dropped":
      return { batch: subset(batch, (i) => i % 2 === 0) };
  }
}

/**
 * The "engine" of `logging-preferred`: in every cell it prefers the model the log holds most often
 * (θ = count·e₀, and x̄ has 1 at the intercept, so θᵀx̄ is the count).
 */
function loggingPreferredEngine(world: SyntheticWorld, batch: CorruptedLog["batch"]): ConvergenceEngine {
  // It read every row (its counts are the log's): only what it learned can fail it.
  const counts = new Map<string, number>();
  batch.cells.forEach((cell, i) =>
    counts.set(`${cell}\u0000${batch.arms[i]}`, (counts.get(`${cell}\u0000${batch.arms[i]}`) ?? 0) + 1),
  );
  return {
    dimension: world.dimension,
    arms: world.models,
    hasCell: () => true,
    model: (cell: string, arm: string) => {
      const theta = new Float64Array(world.dimension);
      theta[0] = counts.get(`${cell}\u0000${arm}`) ?? 0;
      const count = counts.get(`${cell}\u0000${arm}`) ?? 0;
      return { theta, covariance: new Float64Array(0), b: new Float64Array(0), count, priorWeight: 1 };
    },
  };
}

/** Options of one graded pipeline run. */
export interface PipelineRunOptions extends Partial<GateRule> {
  readonly seed: number;
  readonly variant?: PipelineVariant;
  /** Engine options over the warm-up defaults. */
  readonly engine?: Partial<Omit<LinUCBOptions, "dimension" | "arms">>;
}

/** A graded run: the convergence report and the gate's verdict. */
export interface PipelineRun {
  readonly report: ConvergenceReport;
  readonly verdict: GateVerdict;
  /** The verdict with the completeness check left out: what the statistics alone decide. */
  readonly statisticsVerdict: GateVerdict;
}

/** Generates a seed's world and log, runs one pipeline variant on it, and grades it. */
export async function runPipelineVariant(options: PipelineRunOptions): Promise<PipelineRun> {
  const rule = gateRule(options);
  const world = generateWorld({ seed: options.seed });
  const variant = options.variant ?? "correct";
  const columns = generateColumns(world, { n: rule.n, seed: options.seed });
  const { batch } = corruptLog(world, columns, variant);
  const grading = reportOptions(rule);
  let report: ConvergenceReport;
  if (variant === "logging-preferred") {
    report = convergenceReport(world, loggingPreferredEngine(world, batch), columns, grading);
  } else {
    const engine = await createLinUCB(syntheticEngineOptions(world, options.engine));
    engine.refit(batch);
    report = convergenceReport(world, engine, columns, grading);
  }
  const complete = { ...report.completeness, complete: true, mismatches: 0 };
  return {
    report,
    verdict: gateVerdict(report, rule),
    statisticsVerdict: gateVerdict({ ...report, completeness: complete }, rule),
  };
}

/** One variant's results over the seeds of a calibration. */
export interface VariantSummary {
  readonly variant: PipelineVariant;
  readonly seeds: number;
  /** Seeds on which the whole gate passed, and their share. */
  readonly passes: number;
  readonly passRate: number;
  /** Pass rate of the statistics alone (completeness left out). */
  readonly statisticsPassRate: number;
  readonly meanMatchShare: number;
  /** 5th percentile of the match share at n rows (nearest rank). */
  readonly p5MatchShare: number;
  readonly minMatchShare: number;
  readonly maxMatchShare: number;
  /** Mean and 95th percentile of the relative regret. */
  readonly meanRegret: number;
  readonly p95Regret: number;
  /** Mean and 5th percentile of the structure error. */
  readonly meanStructureError: number;
  readonly p5StructureError: number;
  /** Mean and 5th percentile of the share of covered deviating cells matched. */
  readonly meanDeviatingMatchShare: number;
  readonly p5DeviatingMatchShare: number;
  readonly meanCoveredCells: number;
  /** Per seed: the statistics and the verdicts. */
  readonly runs: readonly {
    readonly seed: number;
    readonly matchShare: number;
    readonly relativeRegret: number;
    readonly structureError: number;
    readonly deviatingMatchShare: number;
    readonly coveredCells: number;
    readonly pass: boolean;
    readonly statisticsPass: boolean;
  }[];
}

/** Options of {@link calibrateGate}. */
export interface CalibrationOptions extends Partial<GateRule> {
  /** Seeds to run, e.g. 3001…3200. */
  readonly seeds: readonly number[];
  readonly variants?: readonly PipelineVariant[];
  readonly engine?: PipelineRunOptions["engine"];
  /** Called after every run (progress). */
  readonly onRun?: (variant: PipelineVariant, seed: number, run: PipelineRun) => void;
}

/** Quantile by the nearest-rank rule: the ⌈q·n⌉-th smallest value. */
export function nearestRank(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/** Runs every variant on every seed and summarises each variant. */
export async function calibrateGate(options: CalibrationOptions): Promise<VariantSummary[]> {
  const variants = options.variants ?? PIPELINE_VARIANTS;
  const summaries: VariantSummary[] = [];
  for (const variant of variants) {
    const runs: (VariantSummary["runs"][number] & { deviating: number })[] = [];
    for (const seed of options.seeds) {
      const run = await runPipelineVariant({ ...options, seed, variant });
      options.onRun?.(variant, seed, run);
      runs.push({
        seed,
        matchShare: run.report.matchShare,
        relativeRegret: run.verdict.relativeRegret,
        structureError: run.verdict.structureError,
        deviatingMatchShare: run.verdict.deviatingMatchShare,
        coveredCells: run.report.coveredCells,
        pass: run.verdict.pass,
        statisticsPass: run.statisticsVerdict.pass,
        deviating: run.report.deviating.matchShare,
      });
    }
    const shares = runs.map((r) => r.matchShare);
    const regrets = runs.map((r) => r.relativeRegret);
    const structure = runs.map((r) => r.structureError);
    const passes = runs.filter((r) => r.pass).length;
    summaries.push({
      variant,
      seeds: runs.length,
      passes,
      passRate: passes / runs.length,
      statisticsPassRate: runs.filter((r) => r.statisticsPass).length / runs.length,
      meanMatchShare: mean(shares),
      p5MatchShare: nearestRank(shares, 0.05),
      minMatchShare: Math.min(...shares),
      maxMatchShare: Math.max(...shares),
      meanRegret: mean(regrets),
      p95Regret: nearestRank(regrets, 0.95),
      meanStructureError: mean(structure),
      p5StructureError: nearestRank(structure, 0.05),
      meanDeviatingMatchShare: mean(runs.map((r) => r.deviating)),
      p5DeviatingMatchShare: nearestRank(
        runs.map((r) => r.deviating),
        0.05,
      ),
      meanCoveredCells: mean(runs.map((r) => r.coveredCells)),
      runs: runs.map(({ deviating: _deviating, ...run }) => run),
    });
  }
  return summaries;
}
