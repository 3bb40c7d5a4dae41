/**
 * The warm-up mode: load the seed's synthetic world into routing_outcomes_synthetic (idempotent),
 * refit on it with the world's engine configuration, grade the refit against the planted optimum
 * (the convergence gate, with a learning curve over the chunks), and record the run (cadence
 * 'synthetic_warmup'). It never writes a policy version and never touches the active policy.
 * The only mode that imports src/synthetic; the skeleton loads it on demand.
 */
import { finishTrainingRun, listSyntheticRuns, loadSyntheticOutcomes } from "../../store/index.js";
import {
  WARMUP_GATE,
  convergenceReport,
  gateRule,
  gateVerdict,
  generateOutcomes,
  generateWorld,
  reportOptions,
  syntheticEngineOptions,
  type ConvergenceReport,
  type GateVerdict,
  type SyntheticWorld,
} from "../../synthetic/index.js";
import type { LearningCurvePoint, WarmupCadenceResult, WarmupLoad } from "../cadence-result.js";
import { rewardRange } from "../../outcomes/reward.js";
import type { ResolvedCadenceOptions } from "../options.js";
import type { ModeSteps, RunContext } from "./mode-steps.js";

function describeRows(rows: { source: string; seed: number; rows: number }): string {
  return `${rows.source} seed ${rows.seed}: ${rows.rows} rows`;
}

/**
 * Loads the world's outcomes; refuses a table that also holds other worlds' rows (they would be graded against the
 * wrong answer).
 */
async function loadWorld(context: RunContext, world: SyntheticWorld): Promise<WarmupLoad> {
  const { db, options: o, steps } = context;
  return steps.run(
    "load",
    `loading ${o.n} outcomes of the seed-${o.seed} synthetic world into routing_outcomes_synthetic`,
    async (advance) => {
      const rows = generateOutcomes(world, { n: o.n, seed: o.seed });
      const written = await loadSyntheticOutcomes(db, rows, {
        batchSize: 1000,
        onProgress: (sent) => advance(sent, rows.length),
      });
      const present = await listSyntheticRuns(db);
      const others = present.filter((r) => r.source !== world.source || r.seed !== o.seed);
      if (others.length > 0) {
        throw new RangeError(
          `routing_outcomes_synthetic also holds rows of other synthetic worlds ` +
            `(${others.map(describeRows).join(", ")}); the warm-up grades against the planted optimum of seed ` +
            `${o.seed} only — remove those rows or run with --seed set to theirs`,
        );
      }
      return { source: world.source, seed: o.seed, n: o.n, ...written };
    },
    (r) => `${r.inserted} rows written, ${r.skipped} already present`,
  );
}

/** The gate's reason: the plan's headline figure, then why it failed (or the figures it passed on). */
function describeVerdict(report: ConvergenceReport, verdict: GateVerdict): string {
  const percent = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const headline =
    `${report.matches} of ${report.coveredCells} covered cells (${percent(report.matchShare)}) match the planted ` +
    `optimum (plan's target 70%)`;
  const figures =
    `relative regret ${verdict.relativeRegret.toFixed(4)}, structure error ${verdict.structureError.toFixed(3)}, ` +
    `${percent(verdict.deviatingMatchShare)} of deviating cells matched`;
  return `${headline}; ${verdict.pass ? figures : verdict.reasons.join("; ")}`;
}

/** The warm-up mode of one run; see the module comment. */
export function warmupMode(o: ResolvedCadenceOptions): ModeSteps<WarmupCadenceResult> {
  const world = generateWorld({ seed: o.seed });
  const grading = { minRows: o.minRows, threshold: o.threshold };
  // The calibrated gate (src/synthetic/gate.ts, README "Warm-up gate"), at this run's n.
  const rule = gateRule({ n: o.n, threshold: o.threshold });
  const logged: { cell: string; model: string; propensity: number }[] = [];
  let verdict: GateVerdict | undefined;
  let calibration: Record<string, unknown> | undefined;
  const rowsPerCell = new Map<string, number>();
  const learningCurve: LearningCurvePoint[] = [];
  let load: WarmupLoad | undefined;
  let convergence: ConvergenceReport | undefined;

  return {
    mode: "warmup",
    trainingCadence: "synthetic_warmup",
    table: "routing_outcomes_synthetic",
    corpusRows: "rows",
    // Synthetic rows arrive labelled by the world's planted reward; the judge labels any others.
    rewardRange: {
      min: Math.min(rewardRange(world.rewardFunction).min, o.judge.rewardRange.min),
      max: Math.max(rewardRange(world.rewardFunction).max, o.judge.rewardRange.max),
    },
    parameters: () => ({ n: o.n, minRows: o.minRows, threshold: o.threshold }),
    async beforeJudge(context) {
      load = await loadWorld(context, world);
    },
    // The active policy belongs to production traffic (its arms and features need not be the
    // world's): the warm-up's baseline is the uniform policy.
    prepare: async () => ({
      engineOptions: syntheticEngineOptions(world, o.engine),
      incumbent: "uniform",
      incumbentInfo: { kind: "uniform", policyVersionId: null },
    }),
    afterChunk(engine, chunk, rowsFed) {
      for (const cell of chunk.cells) rowsPerCell.set(cell, (rowsPerCell.get(cell) ?? 0) + 1);
      for (let i = 0; i < chunk.length; i++)
        logged.push({ cell: chunk.cells[i]!, model: chunk.arms[i]!, propensity: chunk.propensities[i]! });
      engine.finalize();
      const report = convergenceReport(world, engine, rowsPerCell, grading);
      learningCurve.push({
        n: rowsFed,
        coveredCells: report.coveredCells,
        matches: report.matches,
        matchShare: report.matchShare,
      });
    },
    gateDetail: "grading the refit against the planted optimum",
    gate(engine) {
      convergence = convergenceReport(world, engine, logged, reportOptions(rule, o.minRows));
      verdict = gateVerdict(convergence, rule);
      // What the warm-up hands on: the procedure it validated (README "What the warm-up hands on").
      calibration = {
        shrinkage: engine.shrinkage(),
        poolingRidge: engine.options.poolingRidge,
        alpha: engine.options.alpha,
        rowsNeeded: WARMUP_GATE.n,
        rule,
        calibratedOn: 'rule chosen on seeds 1–100, pass rates measured on seeds 3001–3200 (README "Warm-up gate")',
      };
      return { passed: verdict.pass, reason: describeVerdict(convergence, verdict) };
    },
    metrics: () => ({ load, convergence, learningCurve, verdict, calibration }),
    async finish(context, outcome) {
      await context.steps.run(
        "record",
        `recording training run ${context.run.id} (a warm-up never promotes)`,
        () => finishTrainingRun(context.db, context.run.id, outcome.finish),
        (r) => `training run ${r.id} ${r.status}`,
      );
      return {
        mode: "warmup",
        ...outcome.base,
        load: load as WarmupLoad,
        gate: outcome.gate,
        convergence: convergence as ConvergenceReport,
        learningCurve,
        promoted: false,
        policyVersionId: null,
      };
    },
  };
}
