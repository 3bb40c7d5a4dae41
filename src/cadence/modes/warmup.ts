/**
 * The warm-up mode: load the seed's synthetic world into routing_outcomes_synthetic (idempotent),
 * refit on it with the world's engine configuration, grade the refit against the planted optimum
 * (the convergence gate, with a learning curve over the chunks), and record the run (cadence
 * 'synthetic_warmup'). It never writes a policy version and never touches the active policy.
 * The only mode that imports src/synthetic; the skeleton loads it on demand.
 */
import { finishTrainingRun, listSyntheticRuns, loadSyntheticOutcomes } from "../../store/index.js";
import {
  convergenceReport,
  generateOutcomes,
  generateWorld,
  syntheticEngineOptions,
  type ConvergenceReport,
  type SyntheticWorld,
} from "../../synthetic/index.js";
import type { LearningCurvePoint, WarmupCadenceResult, WarmupLoad } from "../cadence-result.js";
import { warmupGate } from "../gate.js";
import type { ResolvedCadenceOptions } from "../options.js";
import type { ModeSteps, RunContext } from "./mode-steps.js";

function describeRows(rows: { source: string; seed: number; rows: number }): string {
  return `${rows.source} seed ${rows.seed}: ${rows.rows} rows`;
}

/** Loads the world's outcomes; refuses a table that also holds other worlds' rows (they would be graded against the wrong answer). */
async function loadWorld(context: RunContext, world: SyntheticWorld): Promise<WarmupLoad> {
  const { db, options: o, steps } = context;
  return steps.run(
    "load",
    `loading ${o.n} outcomes of the seed-${o.seed} synthetic world into routing_outcomes_synthetic`,
    async (advance) => {
      const rows = generateOutcomes(world, { n: o.n, seed: o.seed });
      const written = await loadSyntheticOutcomes(db, rows, { batchSize: 1000, onProgress: (sent) => advance(sent, rows.length) });
      const present = await listSyntheticRuns(db);
      const others = present.filter((r) => r.source !== world.source || r.seed !== o.seed);
      if (others.length > 0) {
        throw new RangeError(
          `routing_outcomes_synthetic also holds rows of other synthetic worlds (${others.map(describeRows).join(", ")}); ` +
            `the warm-up grades against the planted optimum of seed ${o.seed} only — remove those rows or run with --seed set to theirs`,
        );
      }
      return { source: world.source, seed: o.seed, n: o.n, ...written };
    },
    (r) => `${r.inserted} rows written, ${r.skipped} already present`,
  );
}

/** The warm-up mode of one run; see the module comment. */
export function warmupMode(o: ResolvedCadenceOptions): ModeSteps<WarmupCadenceResult> {
  const world = generateWorld({ seed: o.seed });
  const grading = { minRows: o.minRows, threshold: o.threshold };
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
      min: Math.min(-(world.rewardFunction.hallucinationPenalty + world.rewardFunction.refusalPenalty), o.judge.rewardRange.min),
      max: Math.max(1, o.judge.rewardRange.max),
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
      engine.finalize();
      const report = convergenceReport(world, engine, rowsPerCell, grading);
      learningCurve.push({ n: rowsFed, coveredCells: report.coveredCells, matches: report.matches, matchShare: report.matchShare });
    },
    gateDetail: "grading the refit against the planted optimum",
    gate(engine) {
      convergence = convergenceReport(world, engine, rowsPerCell, grading);
      return warmupGate(convergence);
    },
    metrics: () => ({ load, convergence, learningCurve }),
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
