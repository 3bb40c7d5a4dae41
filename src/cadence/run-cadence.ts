/**
 * The cadence: judge → refit → replay → gate → promote, as one job over the outcome store. One
 * skeleton runs the steps every mode shares; the mode (src/cadence/modes/) supplies what differs:
 *
 *  warm-up (mode 'warmup', modes/warmup.ts): load the seed's synthetic world, refit on it, grade
 *    the refit against the planted optimum, record the run. Never promotes.
 *  production (mode 'prod', modes/prod.ts): judge unjudged production rows, refit on
 *    routing_outcomes WHERE source = 'prod' (the reader's SQL: the synthetic wall), evaluate the
 *    candidate and the active policy on the held-out slice, and promote the candidate only if the
 *    gate passes — the policy version, the active pointer and the run's end in one transaction.
 *
 * Both modes hold the same slice out: the newest `heldOutShare`, in (created_at, id) order, of the
 * rows neither policy was trained on — rows with ids above the incumbent's training high-water id
 * (production; every row for the warm-up). The refit streams the training slice (every other row)
 * into the engine, finalizes, keeps a copy (the candidate that is evaluated), then streams the
 * held-out slice into the same statistics: the recorded (and, in production, promoted) model is the
 * same procedure on every row, so the newest outcomes are never left out of the policy that serves
 * next. The gate judges the candidate and the incumbent on rows neither saw; with no such rows there
 * is nothing to judge on, and the gate does not pass (a normal outcome, not a failure).
 *
 * Runs of one mode are serialised by an advisory lock (a second one fails at once with LOCKED). Any
 * error after the run row exists marks the run failed, with the step and the message, and leaves
 * the active policy as it was: the only write to it is the promote transaction, the last step.
 * A run whose process was killed stays 'running' until the next cadence of its mode: holding the
 * mode's lock, that one knows no live process owns it, and marks it 'abandoned' before starting.
 * The warm-up mode is loaded on demand, so a production run never loads src/synthetic.
 */
import { createLinUCB } from "../engine/linucb.js";
import type { LinUCBEngine } from "../engine/types.js";
import {
  abandonRunningRuns,
  ensureSchema,
  failTrainingRun,
  judgeUnlabelled,
  judgeUnlabelledInSql,
  MAX_REJECTED_EXAMPLES,
  splitCorpusByTime,
  startTrainingRun,
  withAdvisoryLock,
  type CorpusChunk,
  type CorpusReadTotals,
  type CorpusSplit,
  type Db,
  type JsonObject,
  type RowBounds,
} from "../store/index.js";
import type {
  CadenceResult,
  CadenceResultBase,
  CorpusSummary,
  ProdCadenceResult,
  WarmupCadenceResult,
} from "./cadence-result.js";
import { accumulateSlice } from "./corpus-refit.js";
import { forgettingOf } from "./daily-discount.js";
import type { RefitPlan, RefitSummary } from "./refit-plan.js";
import { CoverageCollector, unpackCoverageSums, type CoverageSumsByCell, type CoverageTable } from "./coverage.js";
import { IntegrityCollector, checkIntegrity, describeIntegrityFailure, type IntegrityReport } from "./integrity.js";
import { heldOutBatch } from "./held-out-slice.js";
import type { ModeSteps, Preparation, RunContext } from "./modes/mode-steps.js";
import { prodMode } from "./modes/prod.js";
import { HeldOutEvaluation } from "./offline-evaluation.js";
import { RoutingCollector } from "./report-data.js";
import { resolveCadenceOptions, rowBoundsOf, type CadenceOptions, type ResolvedCadenceOptions } from "./options.js";
import { StepRunner, silentProgress, type CadenceStep } from "./progress.js";

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

/** Runs one cadence on `db`; see the module comment. Throws {@link CadenceError} when a step fails. */
export async function runCadence(
  db: Db,
  options: CadenceOptions & { readonly mode: "warmup" },
): Promise<WarmupCadenceResult>;
export async function runCadence(
  db: Db,
  options: CadenceOptions & { readonly mode: "prod" },
): Promise<ProdCadenceResult>;
export async function runCadence(db: Db, options: CadenceOptions): Promise<CadenceResult>;
export async function runCadence(db: Db, options: CadenceOptions): Promise<CadenceResult> {
  const o = resolveCadenceOptions(options);
  const steps = new StepRunner(options.progress ?? silentProgress);
  try {
    await steps.run(
      "schema",
      "bringing the schema up to date",
      () => ensureSchema(db),
      () => "schema up to date",
    );
  } catch (error) {
    throw new CadenceError(`the schema step failed: ${messageOf(error)}`, "schema", null, error);
  }
  try {
    return await withAdvisoryLock(db, `cadence:${o.mode}`, async () => runLocked(db, o, steps, await modeOf(o)));
  } catch (error) {
    if (error instanceof CadenceError) throw error;
    throw new CadenceError(`the cadence could not start: ${messageOf(error)}`, steps.current, null, error);
  }
}

/** The mode's steps, made for this run (the warm-up's module is loaded only for a warm-up). */
async function modeOf(o: ResolvedCadenceOptions): Promise<ModeSteps<CadenceResult>> {
  if (o.mode === "prod") return prodMode(o);
  const { warmupMode } = await import("./modes/warmup.js");
  return warmupMode(o);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function runLocked(
  db: Db,
  o: ResolvedCadenceOptions,
  steps: StepRunner,
  mode: ModeSteps<CadenceResult>,
): Promise<CadenceResult> {
  const parameters: JsonObject = {
    mode: o.mode,
    seed: o.seed,
    heldOutShare: o.heldOutShare,
    chunkSize: o.chunkSize,
    gateEstimator: o.gateEstimator,
    gateMargin: o.gateMargin,
    serveExploration: JSON.parse(JSON.stringify(o.serveExploration)) as JsonObject,
    minEffectiveSampleSize: o.minEffectiveSampleSize,
    level: o.level,
    resamples: o.resamples,
    judge: o.judge.name,
    ...mode.parameters(),
    engineOverrides: { ...o.engine },
  };
  const abandoned = await abandonRunningRuns(
    db,
    mode.trainingCadence,
    `abandoned: found running by the next ${o.mode} cadence, which holds the cadence:${o.mode} lock — ` +
      "so no live process owned it; its process ended (killed or lost) before finishing it",
  );
  const run = await startTrainingRun(db, { cadence: mode.trainingCadence, seed: o.seed, parameters });
  let counts = { rowsRead: 0, rowsRejected: 0 };
  try {
    const abandonedRuns = abandoned.map((r) => r.id);
    return await runSteps({ db, options: o, steps, run, abandonedRuns }, mode, (read, rejected) => {
      counts = { rowsRead: read, rowsRejected: rejected };
    });
  } catch (error) {
    const step = steps.current;
    let note = "";
    try {
      await failTrainingRun(
        db,
        run.id,
        error instanceof Error ? new Error(`${step ?? "cadence"}: ${error.message}`) : error,
        counts,
      );
    } catch (recordError) {
      note = ` (and marking the run failed also failed: ${messageOf(recordError)})`;
    }
    throw new CadenceError(
      `training run ${run.id} failed in the ${step ?? "first"} step: ${messageOf(error)}${note}`,
      step,
      run.id,
      error,
    );
  }
}

/**
 * The split step: where the held-out slice starts, among the rows newer than the incumbent's
 * training (the mode's `newerThanId`). An empty corpus or training slice fails the run; no rows
 * newer than the incumbent's is an empty held-out slice (nothing to evaluate on).
 */
async function splitStep(context: RunContext, mode: ModeSteps<CadenceResult>, bounds: RowBounds): Promise<CorpusSplit> {
  const { db, options: o, steps } = context;
  const table = mode.table;
  const newerThanId = (await mode.newerThanId?.(context)) ?? 0;
  const prefix = await mode.knownPrefix?.(context);
  return steps.run(
    "split",
    `holding out the newest ${(o.heldOutShare * 100).toFixed(0)}% of ${table} by (created_at, id)` +
      (newerThanId > 0 ? ` among the rows after id ${newerThanId} (the incumbent's training)` : ""),
    async () => {
      const known = prefix === undefined ? {} : { prefix };
      const s = await splitCorpusByTime(db, { table, heldOutShare: o.heldOutShare, newerThanId, bounds, ...known });
      if (s.total === 0) throw new RangeError(`${table} holds no ${mode.corpusRows}: there is nothing to refit on`);
      if (s.training === 0) {
        throw new RangeError(
          `the training slice is empty: ${table} holds only ${s.total} row(s), all of them held out`,
        );
      }
      return s;
    },
    (s) =>
      s.cutoff === null
        ? `${s.training} training rows; no row after id ${s.newerThanId}, so none held out`
        : `${s.training} training rows, ${s.heldOut} held out from (${s.cutoff.createdAt}, id ${s.cutoff.id})`,
  );
}

/**
 * The refit step: the training slice into `engine`, a copy of its models (the candidate that is
 * evaluated), then the held-out slice into the same statistics; each held-out chunk is also scored
 * by the candidate and the incumbent and summed into the evaluation and the routing summary at once
 * (nothing per row is kept: the memory does not grow with the slice). An
 * incremental plan (./refit-plan.ts) first merges the base's statistics and then reads only the
 * rows after the base's high-water mark, on both sides of the split (every row at or below it is
 * on the training side, so the base is exactly that part of the training slice).
 */
async function refitStep(
  context: RunContext,
  mode: ModeSteps<CadenceResult>,
  split: CorpusSplit,
  prepared: Preparation,
  engine: LinUCBEngine,
  bounds: RowBounds,
): Promise<RefitOutcome> {
  const { db, options: o, steps } = context;
  const table = mode.table;
  const dimension = prepared.engineOptions.dimension;
  const plan = prepared.refitPlan ?? WHOLE_CORPUS;
  const forgetting = forgettingOf(o.dailyDiscount, split);
  // The base's rows: fitted (its statistics' counts), and scanned (its fingerprint: rejected and unjudged too).
  const baseRows = plan.kind === "incremental" ? plan.statistics.counts.reduce((sum, n) => sum + n, 0) : 0;
  const baseScanned = plan.kind === "incremental" ? plan.basis.fingerprint.rows : 0;
  const idAfter = plan.kind === "incremental" ? { idAfter: plan.basis.fingerprint.highWaterId } : {};
  const slice = { table, dimension, chunkSize: o.chunkSize, bounds, forgetting, ...idAfter };
  const arms = prepared.engineOptions.arms;
  const routing = new RoutingCollector(arms, dimension, o.seed);
  const integrity = new IntegrityCollector();
  const coverage = new CoverageCollector(prepared.engineOptions.arms);
  // The coverage of every row in the models, as a full refit's: the base's rows, then the ones read.
  // Raw rows and weights 1/π, so the base's sums are added as recorded, not discounted like its statistics.
  if (plan.kind === "incremental") coverage.addSums(unpackCoverageSums(plan.basis.coverage));
  const toRead = Math.max(split.total - baseScanned, 0);
  let fed = 0;
  return steps.run(
    "refit",
    plan.kind === "incremental"
      ? `starting from ${plan.reason}: streaming ${toRead} rows of ${table} in chunks of ${o.chunkSize}`
      : `streaming ${split.total} rows of ${table} into the engine in chunks of ${o.chunkSize}`,
    async (advance) => {
      if (plan.kind === "incremental") engine.mergeStatistics(plan.statistics);
      let scannedBefore = 0;
      const afterChunk = (chunk: CorpusChunk, scanned: number): void => {
        fed += chunk.length;
        integrity.add(chunk);
        coverage.add(chunk);
        advance(scannedBefore + scanned, toRead);
        mode.afterChunk(engine, chunk, fed);
      };
      const cutoff = split.cutoff;
      const side = (which: "training" | "heldOut") =>
        cutoff === null ? {} : { split: { side: which, cutoff, newerThanId: split.newerThanId } };
      const trainingSlice = { ...slice, ...side("training") };
      // A sharded reader (o.readTraining, prod only) reports per shard, not per chunk.
      const sharded = mode.mode === "prod" ? o.readTraining : undefined;
      const training =
        sharded === undefined
          ? await accumulateSlice(db, engine, trainingSlice, (chunk, totals) => afterChunk(chunk, totals.scanned))
          : await sharded(db, engine, trainingSlice, {
              integrity,
              coverage,
              onProgress: (scanned) => advance(scanned, toRead),
            });
      if (sharded !== undefined) fed += training.accepted;
      engine.finalize();
      // The candidate that is evaluated: the models of the training slice alone, copied exactly.
      const evaluated = await engine.clone();
      const evaluation = new HeldOutEvaluation({
        candidate: evaluated,
        incumbent: prepared.incumbent,
        arms,
        settings: { level: o.level, resamples: o.resamples, seed: o.seed, estimator: o.gateEstimator },
        expectedRows: split.heldOut,
      });
      scannedBefore = training.scanned;
      // Nothing held out: no read (an unsliced read would be the whole corpus again).
      const heldOut =
        cutoff === null
          ? emptyTotals(training.highWaterId ?? 0)
          : await accumulateSlice(db, engine, { ...slice, ...side("heldOut") }, (chunk, totals) => {
              if (chunk.length > 0) {
                const batch = heldOutBatch(chunk, arms);
                routing.add(batch, evaluation.add(batch).incumbentChoices);
              }
              afterChunk(chunk, totals.scanned);
            });
      engine.finalize();
      // Every run: the engine's per-(cell, model) counts and sums must be SQL's over the same rows.
      const integrityReport = await checkIntegrity(db, engine, table, integrity, {
        ...(plan.kind === "incremental" ? { baseline: plan.statistics } : {}),
        weighted: forgetting.dailyDiscount !== 1,
      });
      if (!integrityReport.ok) throw new Error(describeIntegrityFailure(integrityReport));
      const summary: RefitSummary = {
        kind: plan.kind,
        reason: plan.reason,
        baseVersionId: plan.kind === "incremental" ? plan.baseVersionId : null,
        baseHighWaterId: plan.kind === "incremental" ? plan.basis.fingerprint.highWaterId : 0,
        baseRows,
        rowsRead: training.scanned + heldOut.scanned,
        basisNotRecorded: null,
      };
      return {
        training,
        heldOut,
        evaluation,
        routing,
        integrity: integrityReport,
        coverage: coverage.finish(),
        coverageSums: coverage.sums(),
        summary,
      };
    },
    (r) =>
      `${r.summary.kind === "incremental" ? `${baseRows} base rows + ` : ""}` +
      `${r.training.accepted + r.heldOut.accepted} rows fitted into ${engine.cells().length} cells` +
      (r.training.rejected + r.heldOut.rejected > 0 ? `, ${r.training.rejected + r.heldOut.rejected} rejected` : "") +
      (r.training.unjudged + r.heldOut.unjudged > 0
        ? `, ${r.training.unjudged + r.heldOut.unjudged} unjudged skipped`
        : ""),
  );
}

/** The plan of a mode that does not say: the whole corpus (the warm-up's synthetic world). */
const WHOLE_CORPUS: RefitPlan = { kind: "full", reason: "the warm-up refits its synthetic corpus whole" };

/** The totals of a read that did not happen. */
function emptyTotals(lastId: number): CorpusReadTotals {
  const none = { scanned: 0, accepted: 0, rejected: 0, unjudged: 0, chunks: 0 };
  return { ...none, lastId, highWaterId: null, rejectedByReason: {}, rejectedExamples: [] };
}

/** Two count tables added up. */
function sumCounts(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> {
  const sum: Record<string, number> = { ...a };
  for (const [key, count] of Object.entries(b)) sum[key] = (sum[key] ?? 0) + count;
  return sum;
}

/** What the refit step read, and the evaluation it summed on the way. */
interface RefitOutcome {
  readonly training: CorpusReadTotals;
  readonly heldOut: CorpusReadTotals;
  /** The evaluation of the candidate (the training slice's models) and the incumbent, over the held-out chunks. */
  readonly evaluation: HeldOutEvaluation;
  /** The routing summary's sums over the held-out chunks. */
  readonly routing: RoutingCollector;
  readonly integrity: IntegrityReport;
  readonly coverage: CoverageTable;
  /** The sums behind `coverage` (every row in the engine), for the promoted version's basis. */
  readonly coverageSums: CoverageSumsByCell;
  readonly summary: RefitSummary;
}

/** The skeleton: judge, split, prepare, refit, evaluate, gate, then the mode's finish. */
async function runSteps(
  context: RunContext,
  mode: ModeSteps<CadenceResult>,
  onCounts: (read: number, rejected: number) => void,
): Promise<CadenceResult> {
  const { db, options: o, steps, run } = context;
  const table = mode.table;
  await mode.beforeJudge(context);

  const judged = await steps.run(
    "judge",
    `labelling unjudged rows of ${table} with ${o.judge.name}`,
    (advance) => {
      const { sqlReward } = o.judge;
      const common = { table, judgeModel: o.judge.name, onProgress: (n: number) => advance(n, n) };
      // A judge that can be expressed in SQL labels rows in the database (issue 14); others get batches.
      return sqlReward !== undefined
        ? judgeUnlabelledInSql(db, { ...common, reward: sqlReward })
        : judgeUnlabelled(db, { ...common, judge: (rows) => o.judge.judge(rows) });
    },
    (r) => (r.judged === 0 ? "nothing to judge" : `${r.judged} rows judged`),
  );
  const bounds = rowBoundsOf(o, mode.rewardRange);
  const split = await splitStep(context, mode, bounds);
  const prepared = await mode.prepare(context, split);
  const engine = await createLinUCB(prepared.engineOptions);
  const refit = await refitStep(context, mode, split, prepared, engine, bounds);
  const rowsFitted = refit.summary.baseRows + refit.training.accepted + refit.heldOut.accepted;
  onCounts(rowsFitted, refit.training.rejected + refit.heldOut.rejected);

  const { incumbentInfo } = prepared;
  const incumbentName =
    incumbentInfo.kind === "active" ? `active policy (version ${incumbentInfo.policyVersionId})` : "uniform policy";
  const heldOutRows = refit.evaluation.events;
  const comparison =
    heldOutRows === 0
      ? null
      : await steps.run(
          "evaluate",
          `evaluating the candidate and the ${incumbentName} on ${heldOutRows} held-out rows`,
          () => refit.evaluation.finish(),
          (c) => {
            const p = c.paired.paired;
            const values = `candidate ${p.candidateValue.toFixed(4)}, incumbent ${p.incumbentValue.toFixed(4)}`;
            return (
              `${c.paired.estimator.toUpperCase()}: ${values}, ` +
              `Δ ${p.difference.toFixed(4)} (lower bound ${p.lowerBound.toFixed(4)})`
            );
          },
        );

  const gate = await steps.run(
    "gate",
    mode.gateDetail,
    () => mode.gate(engine, comparison),
    (g) => `${g.passed ? "PASSED" : "FAILED"}: ${g.reason}`,
  );

  // Report data (src/report draws it): where the recorded policy, the incumbent and the logging policy route the
  // held-out requests.
  const routing = heldOutRows === 0 ? null : refit.routing.finish(engine, prepared.incumbent);

  const cells = engine.cells().length;
  const corpus: CorpusSummary = {
    table,
    sourceFilter: run.sourceFilter,
    split,
    training: refit.training,
    heldOut: refit.heldOut,
    bounds,
    rowsRead: rowsFitted,
    rowsRejected: refit.training.rejected + refit.heldOut.rejected,
    rejectedByReason: sumCounts(refit.training.rejectedByReason, refit.heldOut.rejectedByReason),
    rejectedExamples: [...refit.training.rejectedExamples, ...refit.heldOut.rejectedExamples].slice(
      0,
      MAX_REJECTED_EXAMPLES,
    ),
    cells,
  };
  const base: CadenceResultBase = {
    runId: run.id,
    corpus,
    judge: { judge: o.judge.name, judged: judged.judged },
    engine: JSON.parse(JSON.stringify(prepared.engineOptions)) as JsonObject,
    evaluation:
      comparison === null
        ? null
        : {
            events: comparison.events,
            loggedValue: comparison.loggedValue,
            incumbent: prepared.incumbentInfo,
            candidate: comparison.candidate,
            incumbentEstimates: comparison.incumbent,
          },
    routing,
    abandonedRuns: context.abandonedRuns,
    timings: steps.timings,
    refit: refit.summary,
    // Integrity, coverage and the shrinkage the data chose: in every run's result and metrics.
    learned: { integrity: refit.integrity, coverage: refit.coverage, shrinkage: engine.shrinkage() },
  };
  const { runId: _runId, engine: _engine, ...recorded } = base;
  const { learned, ...rest } = recorded;
  const metrics = JSON.parse(JSON.stringify({ ...rest, gate, ...learned, ...mode.metrics() })) as JsonObject;
  const finish = { rowsRead: corpus.rowsRead, rowsRejected: corpus.rowsRejected, cells, metrics };
  return mode.finish(context, { engine, base, gate, finish, coverageSums: refit.coverageSums });
}
