/**
 * The cadence: judge → refit → replay → gate → promote, as one job over the outcome store.
 *
 *  warm-up (mode 'warmup'): load the seed's synthetic world into routing_outcomes_synthetic
 *    (idempotent), refit on it, evaluate, grade the refit against the planted optimum, and record a
 *    training run (cadence 'synthetic_warmup') with its metrics and convergence report. It never
 *    writes a policy version and never touches the active policy.
 *  production (mode 'prod'): judge unjudged production rows, refit on routing_outcomes WHERE
 *    source = 'prod' (the reader's SQL: the synthetic wall), evaluate the candidate and the active
 *    policy on the held-out slice, and promote the candidate only if the gate passes — the policy
 *    version, the active pointer and the run's end in one transaction.
 *
 * Both modes hold the same time slice out: the newest `heldOutShare` of rows by created_at. The
 * refit streams the training slice into the engine, finalizes, keeps a copy (the candidate that is
 * evaluated), then streams the held-out slice into the same statistics: the recorded (and, in
 * production, promoted) model is the same procedure on every row, so the newest outcomes are never
 * left out of the policy that serves next. The gate judges the procedure on rows it did not see.
 *
 * Runs of one mode are serialised by an advisory lock (a second one fails at once with LOCKED). Any
 * error after the run row exists marks the run failed, with the step and the message, and leaves
 * the active policy as it was: the only write to it is the promote transaction, the last step.
 */
import { restoreLinUCB, createLinUCB } from "../engine/linucb.js";
import type { LinUCBEngine, LinUCBOptions } from "../engine/types.js";
import type { OffPolicyEvaluation } from "../evaluation/index.js";
import {
  ensureSchema,
  failTrainingRun,
  finishTrainingRun,
  judgeUnlabelled,
  listSyntheticRuns,
  loadSyntheticOutcomes,
  promoteTrainingRun,
  readActivePolicy,
  splitCorpusByTime,
  startTrainingRun,
  withAdvisoryLock,
  type CorpusReadTotals,
  type CorpusSplit,
  type CorpusTable,
  type Db,
  type JsonObject,
  type TrainingRun,
} from "../store/index.js";
import {
  convergenceReport,
  generateOutcomes,
  generateWorld,
  syntheticEngineOptions,
  warmupEngineOptions,
  type ConvergenceReport,
  type SyntheticWorld,
} from "../synthetic/index.js";
import { accumulateSlice } from "./corpus-refit.js";
import { prodGate, warmupGate, type GateDecision, type ProdGateDecision } from "./gate.js";
import { HeldOutCollector } from "./held-out-slice.js";
import { compareOnHeldOut } from "./offline-evaluation.js";
import { routingSummary, type RoutingSummary } from "./report-data.js";
import { resolveCadenceOptions, type CadenceMode, type CadenceOptions, type ResolvedCadenceOptions } from "./options.js";
import { StepRunner, silentProgress, type CadenceStep, type StepTiming } from "./progress.js";

/** The training_runs cadence of each mode. */
const RUN_CADENCE = { warmup: "synthetic_warmup", prod: "prod" } as const;
/** The corpus of each mode: fixed, never an option. */
const CORPUS_TABLE: Readonly<Record<CadenceMode, CorpusTable>> = { warmup: "routing_outcomes_synthetic", prod: "routing_outcomes" };

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

/** What a finished cadence did. JSON-able. */
export interface CadenceResult {
  readonly mode: CadenceMode;
  readonly runId: number;
  readonly corpus: {
    readonly table: CorpusTable;
    /** The SQL source filter of the read ('prod' for production; null for the synthetic table). */
    readonly sourceFilter: string | null;
    readonly split: CorpusSplit;
    readonly training: CorpusReadTotals;
    readonly heldOut: CorpusReadTotals;
    /** Rows fed to the engine (both slices). */
    readonly rowsRead: number;
    readonly rowsRejected: number;
    readonly cells: number;
  };
  /** Warm-up: what the load wrote. */
  readonly load: { readonly source: string; readonly seed: number; readonly n: number; readonly inserted: number; readonly skipped: number } | null;
  readonly judge: { readonly judge: string; readonly judged: number };
  readonly engine: JsonObject;
  readonly evaluation: {
    readonly events: number;
    readonly loggedValue: number;
    readonly incumbent: IncumbentInfo;
    readonly candidate: OffPolicyEvaluation;
    readonly incumbentEstimates: OffPolicyEvaluation;
  };
  readonly gate: GateDecision | ProdGateDecision;
  /** Warm-up: the convergence report of the full refit, and the learning curve. */
  readonly convergence: ConvergenceReport | null;
  readonly learningCurve: readonly LearningCurvePoint[];
  /** Where the new policy, the incumbent and the logging policy route the held-out requests (for the report pages). */
  readonly routing: RoutingSummary;
  readonly promoted: boolean;
  readonly policyVersionId: number | null;
  readonly timings: readonly StepTiming[];
}

/** A cadence run that failed: which step, which run (null if none was started), and the cause. */
export class CadenceError extends Error {
  readonly step: CadenceStep | undefined;
  readonly runId: number | null;

  constructor(message: string, step: CadenceStep | undefined, runId: number | null, cause: unknown) {
    super(message, { cause });
    this.name = "CadenceError";
    this.step = step;
    this.runId = runId;
  }
}

/**
 * Checks, in code, that a run may be promoted: a prod run whose corpus was routing_outcomes read
 * with the 'prod' source filter, and whose refit read nothing else. The store checks the run row
 * again inside the promote transaction.
 */
export function assertPromotable(run: Pick<TrainingRun, "id" | "cadence" | "corpusTable" | "sourceFilter">, tablesRead: readonly CorpusTable[]): void {
  const pureProd =
    run.cadence === "prod" && run.corpusTable === "routing_outcomes" && run.sourceFilter === "prod" && tablesRead.length > 0 && tablesRead.every((table) => table === "routing_outcomes");
  if (!pureProd) {
    throw new RangeError(
      `refusing to promote training run ${run.id}: its corpus was not pure production (cadence ${JSON.stringify(run.cadence)}, ` +
        `corpus ${JSON.stringify(run.corpusTable)}, source filter ${JSON.stringify(run.sourceFilter)}, tables read ${JSON.stringify(tablesRead)})`,
    );
  }
}

/** What the mode-specific preparation hands to the shared refit. */
interface Prepared {
  readonly engineOptions: LinUCBOptions;
  readonly world: SyntheticWorld | null;
  readonly incumbent: LinUCBEngine | "uniform";
  readonly incumbentInfo: IncumbentInfo;
}

/** Runs one cadence on `db`; see the module comment. Throws {@link CadenceError} when a step fails. */
export async function runCadence(db: Db, options: CadenceOptions): Promise<CadenceResult> {
  const o = resolveCadenceOptions(options);
  const steps = new StepRunner(options.progress ?? silentProgress);
  try {
    await steps.run("schema", "bringing the schema up to date", () => ensureSchema(db), () => "schema up to date");
  } catch (error) {
    throw new CadenceError(`the schema step failed: ${messageOf(error)}`, "schema", null, error);
  }
  try {
    return await withAdvisoryLock(db, `cadence:${o.mode}`, () => runLocked(db, o, steps));
  } catch (error) {
    if (error instanceof CadenceError) throw error;
    throw new CadenceError(`the cadence could not start: ${messageOf(error)}`, steps.current, null, error);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function runLocked(db: Db, o: ResolvedCadenceOptions, steps: StepRunner): Promise<CadenceResult> {
  const table = CORPUS_TABLE[o.mode];
  const parameters: JsonObject = {
    mode: o.mode,
    seed: o.seed,
    heldOutShare: o.heldOutShare,
    chunkSize: o.chunkSize,
    gateEstimator: o.gateEstimator,
    minEffectiveSampleSize: o.minEffectiveSampleSize,
    level: o.level,
    resamples: o.resamples,
    judge: o.judge.name,
    ...(o.mode === "warmup" ? { n: o.n, minRows: o.minRows, threshold: o.threshold } : {}),
    engineOverrides: { ...o.engine },
  };
  const run = await startTrainingRun(db, { cadence: RUN_CADENCE[o.mode], seed: o.seed, parameters });
  let counts = { rowsRead: 0, rowsRejected: 0 };
  try {
    return await runSteps(db, o, steps, run, table, (read, rejected) => {
      counts = { rowsRead: read, rowsRejected: rejected };
    });
  } catch (error) {
    const step = steps.current;
    let note = "";
    try {
      await failTrainingRun(db, run.id, error instanceof Error ? new Error(`${step ?? "cadence"}: ${error.message}`) : error, counts);
    } catch (recordError) {
      note = ` (and marking the run failed also failed: ${messageOf(recordError)})`;
    }
    throw new CadenceError(`training run ${run.id} failed in the ${step ?? "first"} step: ${messageOf(error)}${note}`, step, run.id, error);
  }
}

async function runSteps(
  db: Db,
  o: ResolvedCadenceOptions,
  steps: StepRunner,
  run: TrainingRun,
  table: CorpusTable,
  onCounts: (read: number, rejected: number) => void,
): Promise<CadenceResult> {
  // ── warm-up: load the world ────────────────────────────────────────────────────────────────
  let world: SyntheticWorld | null = null;
  let load: CadenceResult["load"] = null;
  if (o.mode === "warmup") {
    world = generateWorld({ seed: o.seed });
    const w = world;
    load = await steps.run(
      "load",
      `loading ${o.n} outcomes of the seed-${o.seed} synthetic world into routing_outcomes_synthetic`,
      async (advance) => {
        const rows = generateOutcomes(w, { n: o.n, seed: o.seed });
        const written = await loadSyntheticOutcomes(db, rows, { batchSize: 1000, onProgress: (sent) => advance(sent, rows.length) });
        const present = await listSyntheticRuns(db);
        const others = present.filter((r) => r.source !== w.source || r.seed !== o.seed);
        if (others.length > 0) {
          throw new RangeError(
            `routing_outcomes_synthetic also holds rows of other synthetic worlds (${others.map((r) => `${r.source} seed ${r.seed}: ${r.rows} rows`).join(", ")}); ` +
              `the warm-up grades against the planted optimum of seed ${o.seed} only — remove those rows or run with --seed set to theirs`,
          );
        }
        return { source: w.source, seed: o.seed, n: o.n, ...written };
      },
      (r) => `${r.inserted} rows written, ${r.skipped} already present`,
    );
  }

  // ── judge ───────────────────────────────────────────────────────────────────────────────────
  const judged = await steps.run(
    "judge",
    `labelling unjudged rows of ${table} with ${o.judge.name}`,
    (advance) =>
      judgeUnlabelled(db, {
        table,
        judgeModel: o.judge.name,
        judge: (rows) => o.judge.judge(rows),
        onProgress: (n) => advance(n, n),
      }),
    (r) => (r.judged === 0 ? "nothing to judge" : `${r.judged} rows judged`),
  );

  // ── split ───────────────────────────────────────────────────────────────────────────────────
  const split = await steps.run(
    "split",
    `holding out the newest ${(o.heldOutShare * 100).toFixed(0)}% of ${table} by created_at`,
    async () => {
      const s = await splitCorpusByTime(db, { table, heldOutShare: o.heldOutShare });
      if (s.total === 0 || s.cutoff === null) {
        throw new RangeError(`${table} holds no ${o.mode === "prod" ? "production (source = 'prod') " : ""}rows: there is nothing to refit on`);
      }
      if (s.training === 0) {
        throw new RangeError(
          `the training slice is empty: all ${s.total} rows of ${table} were created at or after the cutoff ${s.cutoff.toISOString()} (rows need distinct created_at times to be split)`,
        );
      }
      return s;
    },
    (s) => `${s.training} training rows before ${s.cutoff?.toISOString()}, ${s.heldOut} held out`,
  );

  // ── mode-specific engine and incumbent ──────────────────────────────────────────────────────
  const prepared = world !== null ? prepareWarmup(world, o) : await prepareProd(db, o, split);
  const engine = await createLinUCB(prepared.engineOptions);
  const dimension = prepared.engineOptions.dimension;

  // ── refit ───────────────────────────────────────────────────────────────────────────────────
  const curve: LearningCurvePoint[] = [];
  const rowsPerCell = new Map<string, number>();
  let fed = 0;
  const collector = new HeldOutCollector(prepared.engineOptions.arms, dimension);
  const refit = await steps.run(
    "refit",
    `streaming ${split.total} rows of ${table} into the engine in chunks of ${o.chunkSize}`,
    async (advance) => {
      let scannedBefore = 0;
      const afterChunk = (chunk: { cells: readonly string[]; length: number }, scanned: number): void => {
        fed += chunk.length;
        advance(scannedBefore + scanned, split.total);
        if (prepared.world === null) return;
        for (const cell of chunk.cells) rowsPerCell.set(cell, (rowsPerCell.get(cell) ?? 0) + 1);
        engine.finalize();
        const report = convergenceReport(prepared.world, engine, rowsPerCell, { minRows: o.minRows, threshold: o.threshold });
        curve.push({ n: fed, coveredCells: report.coveredCells, matches: report.matches, matchShare: report.matchShare });
      };
      const training = await accumulateSlice(db, engine, { table, dimension, chunkSize: o.chunkSize, createdBefore: split.cutoff! }, (chunk, totals) =>
        afterChunk(chunk, totals.scanned),
      );
      engine.finalize();
      // The candidate that is evaluated: the models of the training slice alone, copied exactly.
      const evaluated = await restoreLinUCB(engine.snapshot());
      scannedBefore = training.scanned;
      const heldOut = await accumulateSlice(db, engine, { table, dimension, chunkSize: o.chunkSize, createdFrom: split.cutoff! }, (chunk, totals) => {
        collector.add(chunk);
        afterChunk(chunk, totals.scanned);
      });
      engine.finalize();
      onCounts(training.accepted + heldOut.accepted, training.rejected + heldOut.rejected);
      return { training, heldOut, evaluated };
    },
    (r) =>
      `${r.training.accepted + r.heldOut.accepted} rows fitted into ${engine.cells().length} cells` +
      (r.training.rejected + r.heldOut.rejected > 0 ? `, ${r.training.rejected + r.heldOut.rejected} rejected` : "") +
      (r.training.unjudged + r.heldOut.unjudged > 0 ? `, ${r.training.unjudged + r.heldOut.unjudged} unjudged skipped` : ""),
  );

  const heldOutSlice = collector.finish();
  // ── evaluate ────────────────────────────────────────────────────────────────────────────────
  const comparison = await steps.run(
    "evaluate",
    `evaluating the candidate and the ${prepared.incumbentInfo.kind === "active" ? `active policy (version ${prepared.incumbentInfo.policyVersionId})` : "uniform policy"} on ${collector.length} held-out rows`,
    () => compareOnHeldOut(refit.evaluated, prepared.incumbent, heldOutSlice, { level: o.level, resamples: o.resamples, seed: o.seed }),
    (c) => `candidate SNIPS ${c.candidate.snips.value.toFixed(4)} [${c.candidate.snips.interval.lower.toFixed(4)}, ${c.candidate.snips.interval.upper.toFixed(4)}], incumbent ${c.incumbent.snips.value.toFixed(4)}`,
  );

  // ── gate ────────────────────────────────────────────────────────────────────────────────────
  let convergence: ConvergenceReport | null = null;
  const gate = await steps.run(
    "gate",
    o.mode === "warmup" ? "grading the refit against the planted optimum" : `comparing the candidate's ${o.gateEstimator.toUpperCase()} lower bound with the incumbent`,
    () => {
      if (prepared.world !== null) {
        convergence = convergenceReport(prepared.world, engine, rowsPerCell, { minRows: o.minRows, threshold: o.threshold });
        return warmupGate(convergence);
      }
      return prodGate(comparison.candidate, comparison.incumbent, o.gateEstimator, o.minEffectiveSampleSize);
    },
    (g) => `${g.passed ? "PASSED" : "FAILED"}: ${g.reason}`,
  );

  // ── report data: where each policy routes (src/report draws it) ──
  const routing = await routingSummary({ candidate: engine, incumbent: prepared.incumbent, slice: heldOutSlice });

  const cells = engine.cells().length;
  const corpus: CadenceResult["corpus"] = {
    table,
    sourceFilter: run.sourceFilter,
    split,
    training: refit.training,
    heldOut: refit.heldOut,
    rowsRead: refit.training.accepted + refit.heldOut.accepted,
    rowsRejected: refit.training.rejected + refit.heldOut.rejected,
    cells,
  };
  const engineJson: JsonObject = JSON.parse(JSON.stringify(prepared.engineOptions)) as JsonObject;
  const metrics: JsonObject = JSON.parse(
    JSON.stringify({
      corpus,
      judge: { judge: o.judge.name, judged: judged.judged },
      load,
      evaluation: { events: comparison.events, loggedValue: comparison.loggedValue, incumbent: prepared.incumbentInfo, candidate: comparison.candidate, incumbentEstimates: comparison.incumbent },
      gate,
      convergence,
      learningCurve: curve,
      timings: steps.timings,
    }),
  ) as JsonObject;
  const finish = { rowsRead: corpus.rowsRead, rowsRejected: corpus.rowsRejected, cells, metrics };

  // ── promote (prod) or record ────────────────────────────────────────────────────────────────
  let promoted = false;
  let policyVersionId: number | null = null;
  if (o.mode === "prod" && gate.passed) {
    const promotion = await steps.run(
      "promote",
      "writing the policy version, flipping the active pointer and finishing the run, in one transaction",
      () => {
        assertPromotable(run, [table]);
        return promoteTrainingRun(db, { trainingRunId: run.id, snapshot: engine.snapshot(), parameters: { engine: engineJson, gate: JSON.parse(JSON.stringify(gate)) as JsonObject }, finish });
      },
      (p) => `policy version ${p.version.id} is active (was ${p.activation.previousPolicyVersionId ?? "none"})`,
    );
    promoted = true;
    policyVersionId = promotion.version.id;
  } else {
    await steps.run(
      "record",
      `recording training run ${run.id}${o.mode === "warmup" ? " (a warm-up never promotes)" : " (not promoted)"}`,
      () => finishTrainingRun(db, run.id, finish),
      (r) => `training run ${r.id} ${r.status}`,
    );
  }

  return {
    mode: o.mode,
    runId: run.id,
    corpus,
    load,
    judge: { judge: o.judge.name, judged: judged.judged },
    engine: engineJson,
    evaluation: {
      events: comparison.events,
      loggedValue: comparison.loggedValue,
      incumbent: prepared.incumbentInfo,
      candidate: comparison.candidate,
      incumbentEstimates: comparison.incumbent,
    },
    gate,
    convergence,
    learningCurve: curve,
    routing,
    promoted,
    policyVersionId,
    timings: steps.timings,
  };
}

/** Warm-up: the gate's engine configuration on the world's models and cells; the uniform policy as the baseline. */
function prepareWarmup(world: SyntheticWorld, o: ResolvedCadenceOptions): Prepared {
  return {
    engineOptions: syntheticEngineOptions(world, o.engine),
    world,
    // The active policy belongs to production traffic (its arms and features need not be the
    // world's): the warm-up's baseline is the uniform policy.
    incumbent: "uniform",
    incumbentInfo: { kind: "uniform", policyVersionId: null },
  };
}

/** Production: arms from the corpus and the active policy, the active policy as the incumbent. */
async function prepareProd(db: Db, o: ResolvedCadenceOptions, split: CorpusSplit): Promise<Prepared> {
  const active = await readActivePolicy(db);
  const incumbent = active === null ? null : await restoreLinUCB(active.snapshot);
  const dimension = split.dimension;
  if (dimension === null) throw new RangeError("the production corpus has no rows to take the feature dimension from");
  if (incumbent !== null && incumbent.dimension !== dimension) {
    throw new RangeError(
      `the active policy (version ${active!.id}) has dimension ${incumbent.dimension} but the production rows have ${dimension} features: they cannot be compared`,
    );
  }
  const arms = [...new Set([...split.models, ...(incumbent?.arms ?? [])])].sort();
  return {
    engineOptions: { ...warmupEngineOptions, ...o.engine, dimension, arms },
    world: null,
    incumbent: incumbent ?? "uniform",
    incumbentInfo: active === null ? { kind: "uniform", policyVersionId: null } : { kind: "active", policyVersionId: active.id },
  };
}
