/**
 * The production mode: refit on routing_outcomes WHERE source = 'prod' (the reader's SQL: the
 * synthetic wall) with the production engine defaults, compare the candidate with the active policy
 * (the uniform policy when none is active) on the held-out slice, and promote the candidate only if
 * the gate passes — the policy version, the active pointer and the run's end in one transaction.
 * Production code: it never imports src/synthetic.
 *
 * Fairness: a promoted version records the highest corpus id it was trained on
 * (`parameters.corpus.highWaterId`); the next run holds out only rows above it, so the incumbent is
 * never scored on rows it learned from. It also records the exploration it is to be served with
 * (`parameters.exploration`, the engine's Exploration JSON; the snapshot carries it too).
 *
 * Incremental refits (../refit-plan.ts): the active policy is also the refit's base — its stored
 * statistics, and only the rows after its high-water mark read — unless `--full` or the base cannot
 * be used (the result's `refit` says which and why). A promoted version stores Σr² beside its
 * snapshot and records its basis (`parameters.corpus.basis`, the coverage sums of every row in its
 * models included) for the next run.
 */
import { restoreLinUCB } from "../../engine/linucb.js";
import type { LinUCBEngine } from "../../engine/types.js";
import {
  finishTrainingRun,
  promoteTrainingRun,
  readActivePolicy,
  type ActivePolicy,
  type CorpusSplit,
  type CorpusTable,
  type Db,
  type JsonObject,
  type TrainingRun,
} from "../../store/index.js";
import type { ProdCadenceResult } from "../cadence-result.js";
import { nothingToCompareGate, prodGate, type ProdGateDecision } from "../gate.js";
import { forgettingOf } from "../daily-discount.js";
import { rowBoundsOf, type ResolvedCadenceOptions } from "../options.js";
import { prodEngineOptions } from "../prod-defaults.js";
import { basisAfterRefit, checkBase, knownPrefix, planRefit, type BaseCheck, type RefitPlan } from "../refit-plan.js";
import { validatePolicySnapshot } from "../snapshot-check.js";
import type { ModeSteps, Preparation, RunContext, SharedOutcome } from "./mode-steps.js";

/**
 * Checks, in code, that a run may be promoted: a prod run whose corpus was routing_outcomes read
 * with the 'prod' source filter, and whose refit read nothing else. The store checks the run row
 * again inside the promote transaction.
 */
export function assertPromotable(
  run: Pick<TrainingRun, "id" | "cadence" | "corpusTable" | "sourceFilter">,
  tablesRead: readonly CorpusTable[],
): void {
  const pureProd =
    run.cadence === "prod" &&
    run.corpusTable === "routing_outcomes" &&
    run.sourceFilter === "prod" &&
    tablesRead.length > 0 &&
    tablesRead.every((table) => table === "routing_outcomes");
  if (!pureProd) {
    throw new RangeError(
      `refusing to promote training run ${run.id}: its corpus was not pure production ` +
        `(cadence ${JSON.stringify(run.cadence)}, ` +
        `corpus ${JSON.stringify(run.corpusTable)}, source filter ${JSON.stringify(run.sourceFilter)}, ` +
        `tables read ${JSON.stringify(tablesRead)})`,
    );
  }
}

/** Arms from the corpus and the active policy, the active policy as the incumbent, the checked base as the refit's. */
function prepareProd(
  active: ActivePolicy | null,
  incumbent: LinUCBEngine | null,
  base: BaseCheck,
  o: ResolvedCadenceOptions,
  split: CorpusSplit,
): Preparation {
  const dimension = split.dimension;
  if (dimension === null) throw new RangeError("the production corpus has no rows to take the feature dimension from");
  if (incumbent !== null && incumbent.dimension !== dimension) {
    throw new RangeError(
      `the active policy (version ${active!.id}) has dimension ${incumbent.dimension} ` +
        `but the production rows have ${dimension} features: they cannot be compared`,
    );
  }
  const arms = [...new Set([...split.models, ...(incumbent?.arms ?? [])])].sort();
  const refitPlan = planRefit(base, { dimension, arms, forgetting: forgettingOf(o.dailyDiscount, split) });
  return {
    refitPlan,
    // The refit never selects, so its exploration only travels into the snapshot it is served from.
    engineOptions: { ...prodEngineOptions(o.engine), dimension, arms, exploration: o.serveExploration },
    incumbent: incumbent ?? "uniform",
    incumbentInfo:
      active === null ? { kind: "uniform", policyVersionId: null } : { kind: "active", policyVersionId: active.id },
  };
}

/** The base step: whether the active policy's statistics can start the refit (one scan of the rows below its mark). */
function checkBaseStep(
  { db, steps }: RunContext,
  active: ActivePolicy | null,
  incumbent: LinUCBEngine | null,
  o: ResolvedCadenceOptions,
): Promise<BaseCheck> {
  return steps.run(
    "base",
    "checking whether the refit can start from the active policy's statistics",
    () =>
      checkBase(db, {
        table: "routing_outcomes",
        active,
        incumbent,
        highWaterId: incumbentHighWaterId(active),
        bounds: rowBoundsOf(o, o.judge.rewardRange),
        dailyDiscount: o.dailyDiscount,
        full: o.full,
      }),
    (check) => (check.usable ? `usable: ${check.now.rows} rows up to id ${check.now.highWaterId}` : check.reason),
  );
}

/**
 * The high-water id the active policy was trained on (rows up to it are never held out), or 0 when
 * there is no active policy or it predates the record (then every row may be held out, as before).
 */
function incumbentHighWaterId(active: ActivePolicy | null): number {
  const corpus = active?.parameters.corpus;
  const mark =
    typeof corpus === "object" && corpus !== null && !Array.isArray(corpus)
      ? (corpus as JsonObject).highWaterId
      : undefined;
  return typeof mark === "number" && Number.isSafeInteger(mark) && mark >= 0 ? mark : 0;
}

/** The highest id the refit read (both slices): what the promoted policy was trained on. */
function trainedHighWaterId(outcome: SharedOutcome<ProdGateDecision>): number {
  const { training, heldOut } = outcome.base.corpus;
  return Math.max(training.highWaterId ?? 0, heldOut.highWaterId ?? 0, training.lastId, heldOut.lastId);
}

/** What a promoted version records of its corpus: its high-water mark, and its refit basis or why it has none. */
async function corpusRecord(
  context: RunContext,
  outcome: SharedOutcome<ProdGateDecision>,
  plan: RefitPlan,
): Promise<JsonObject> {
  const highWaterId = trainedHighWaterId(outcome);
  const { corpus } = outcome.base;
  const split = corpus.split;
  const recorded = await basisAfterRefit(context.db, corpus.table, {
    plan,
    scanned: corpus.training.scanned + corpus.heldOut.scanned,
    highWaterId,
    dimension: outcome.engine.dimension,
    bounds: corpus.bounds,
    forgetting: forgettingOf(context.options.dailyDiscount, split),
    coverage: outcome.coverageSums,
  });
  const basis = "basis" in recorded ? { basis: JSON.parse(JSON.stringify(recorded.basis)) as JsonObject } : {};
  return { highWaterId, ...basis, ...("notRecorded" in recorded ? { basisNotRecorded: recorded.notRecorded } : {}) };
}

/**
 * Promotes the candidate (gate passed) or records the run finished (not promoted). Resolves to the
 * promoted version's id (null when none) and, when promoted without a basis, why.
 */
async function promoteOrRecord(
  context: RunContext,
  outcome: SharedOutcome<ProdGateDecision>,
  plan: RefitPlan,
): Promise<{ readonly policyVersionId: number | null; readonly basisNotRecorded: string | null }> {
  const { db, run, steps } = context;
  if (!outcome.gate.passed) {
    await steps.run(
      "record",
      `recording training run ${run.id} (not promoted)`,
      () => finishTrainingRun(db, run.id, outcome.finish),
      (r) => `training run ${r.id} ${r.status}`,
    );
    return { policyVersionId: null, basisNotRecorded: null };
  }
  let corpus: JsonObject = {};
  const promotion = await steps.run(
    "promote",
    "writing the policy version, flipping the active pointer and finishing the run, in one transaction",
    async () => {
      assertPromotable(run, [outcome.base.corpus.table]);
      corpus = await corpusRecord(context, outcome, plan);
      const parameters: JsonObject = {
        engine: outcome.base.engine,
        gate: JSON.parse(JSON.stringify(outcome.gate)) as JsonObject,
        exploration: JSON.parse(JSON.stringify(context.options.serveExploration)) as JsonObject,
        corpus,
      };
      const snapshot = outcome.engine.snapshot();
      // Σr² in the snapshot's model order (the export's: every cell, in the engine's order).
      const rewardSquares = outcome.engine.exportStatistics().yy;
      const finish = outcome.finish;
      return promoteTrainingRun(db, {
        trainingRunId: run.id,
        snapshot,
        parameters,
        finish,
        validateSnapshot: validatePolicySnapshot,
        ...(rewardSquares === undefined || "basisNotRecorded" in corpus ? {} : { rewardSquares }),
      });
    },
    (p) => `policy version ${p.version.id} is active (was ${p.activation.previousPolicyVersionId ?? "none"})`,
  );
  const note = corpus.basisNotRecorded;
  return { policyVersionId: promotion.version.id, basisNotRecorded: typeof note === "string" ? note : null };
}

/** The production mode of one run; see the module comment. */
export function prodMode(o: ResolvedCadenceOptions): ModeSteps<ProdCadenceResult> {
  // Read once per run: the split's high-water mark and the incumbent must come from one version
  // (an activation between two reads would pair one policy's mark with another's models).
  let active: Promise<ActivePolicy | null> | undefined;
  const activePolicy = (db: Db): Promise<ActivePolicy | null> => (active ??= readActivePolicy(db));
  let incumbent: Promise<LinUCBEngine | null> | undefined;
  const incumbentOf = async (db: Db): Promise<LinUCBEngine | null> =>
    (incumbent ??= activePolicy(db).then((a) => (a === null ? null : restoreLinUCB(a.snapshot))));
  let base: BaseCheck | undefined;
  let plan: RefitPlan | undefined;
  const estimatorName = o.gateEstimator.toUpperCase();
  return {
    mode: "prod",
    trainingCadence: "prod",
    table: "routing_outcomes",
    corpusRows: "production (source = 'prod') rows",
    rewardRange: o.judge.rewardRange,
    parameters: () => ({}),
    beforeJudge: async () => undefined,
    newerThanId: async (context) => incumbentHighWaterId(await activePolicy(context.db)),
    knownPrefix: async (context) => {
      base = await checkBaseStep(context, await activePolicy(context.db), await incumbentOf(context.db), o);
      return knownPrefix(base);
    },
    prepare: async (context, split) => {
      const prepared = prepareProd(await activePolicy(context.db), await incumbentOf(context.db), base!, o, split);
      plan = prepared.refitPlan;
      return prepared;
    },
    afterChunk: () => undefined,
    gateDetail: `the paired ${estimatorName} lower bound on candidate − incumbent, and the logs' support`,
    gate(_engine, comparison) {
      const settings = { margin: o.gateMargin, minEffectiveSampleSize: o.minEffectiveSampleSize };
      if (comparison === null) {
        return nothingToCompareGate(
          "nothing to evaluate on: no production rows newer than the incumbent's training (its high-water id), " +
            "so the candidate cannot be compared with it on rows neither has seen — not promoted",
          o.gateEstimator,
          (1 - o.level) / 2,
          settings,
        );
      }
      return prodGate(comparison.paired, settings);
    },
    metrics: () => ({}),
    async finish(context, outcome) {
      const { policyVersionId, basisNotRecorded } = await promoteOrRecord(context, outcome, plan!);
      const refit = { ...outcome.base.refit, basisNotRecorded };
      const promoted = policyVersionId !== null;
      return { mode: "prod", ...outcome.base, refit, gate: outcome.gate, promoted, policyVersionId };
    },
  };
}
