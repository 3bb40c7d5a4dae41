/**
 * The production mode: refit on routing_outcomes WHERE source = 'prod' (the reader's SQL: the
 * synthetic wall) with the production engine defaults, compare the candidate with the active policy
 * (the uniform policy when none is active) on the held-out slice, and promote the candidate only if
 * the gate passes — the policy version, the active pointer and the run's end in one transaction.
 * Production code: it never imports src/synthetic.
 */
import { restoreLinUCB } from "../../engine/linucb.js";
import {
  finishTrainingRun,
  promoteTrainingRun,
  readActivePolicy,
  type CorpusSplit,
  type CorpusTable,
  type Db,
  type JsonObject,
  type TrainingRun,
} from "../../store/index.js";
import type { ProdCadenceResult } from "../cadence-result.js";
import { prodGate, type ProdGateDecision } from "../gate.js";
import type { ResolvedCadenceOptions } from "../options.js";
import { PROD_ENGINE_DEFAULTS } from "../prod-defaults.js";
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
      `refusing to promote training run ${run.id}: its corpus was not pure production (cadence ${JSON.stringify(run.cadence)}, ` +
        `corpus ${JSON.stringify(run.corpusTable)}, source filter ${JSON.stringify(run.sourceFilter)}, ` +
        `tables read ${JSON.stringify(tablesRead)})`,
    );
  }
}

/** Arms from the corpus and the active policy, the active policy as the incumbent. */
async function prepareProd(db: Db, o: ResolvedCadenceOptions, split: CorpusSplit): Promise<Preparation> {
  const active = await readActivePolicy(db);
  const incumbent = active === null ? null : await restoreLinUCB(active.snapshot);
  const dimension = split.dimension;
  if (dimension === null) throw new RangeError("the production corpus has no rows to take the feature dimension from");
  if (incumbent !== null && incumbent.dimension !== dimension) {
    throw new RangeError(
      `the active policy (version ${active!.id}) has dimension ${incumbent.dimension} ` +
        `but the production rows have ${dimension} features: they cannot be compared`,
    );
  }
  const arms = [...new Set([...split.models, ...(incumbent?.arms ?? [])])].sort();
  return {
    engineOptions: { ...PROD_ENGINE_DEFAULTS, ...o.engine, dimension, arms },
    incumbent: incumbent ?? "uniform",
    incumbentInfo: active === null ? { kind: "uniform", policyVersionId: null } : { kind: "active", policyVersionId: active.id },
  };
}

/** Promotes the candidate (gate passed) or records the run finished (not promoted). */
async function promoteOrRecord(context: RunContext, outcome: SharedOutcome<ProdGateDecision>): Promise<number | null> {
  const { db, run, steps } = context;
  if (!outcome.gate.passed) {
    await steps.run(
      "record",
      `recording training run ${run.id} (not promoted)`,
      () => finishTrainingRun(db, run.id, outcome.finish),
      (r) => `training run ${r.id} ${r.status}`,
    );
    return null;
  }
  const parameters: JsonObject = { engine: outcome.base.engine, gate: JSON.parse(JSON.stringify(outcome.gate)) as JsonObject };
  const promotion = await steps.run(
    "promote",
    "writing the policy version, flipping the active pointer and finishing the run, in one transaction",
    () => {
      assertPromotable(run, [outcome.base.corpus.table]);
      const snapshot = outcome.engine.snapshot();
      return promoteTrainingRun(db, { trainingRunId: run.id, snapshot, parameters, finish: outcome.finish, validateSnapshot: validatePolicySnapshot });
    },
    (p) => `policy version ${p.version.id} is active (was ${p.activation.previousPolicyVersionId ?? "none"})`,
  );
  return promotion.version.id;
}

/** The production mode of one run; see the module comment. */
export function prodMode(o: ResolvedCadenceOptions): ModeSteps<ProdCadenceResult> {
  return {
    mode: "prod",
    trainingCadence: "prod",
    table: "routing_outcomes",
    corpusRows: "production (source = 'prod') rows",
    rewardRange: o.judge.rewardRange,
    parameters: () => ({}),
    beforeJudge: async () => undefined,
    prepare: (context, split) => prepareProd(context.db, o, split),
    afterChunk: () => undefined,
    gateDetail: `comparing the candidate's ${o.gateEstimator.toUpperCase()} lower bound with the incumbent`,
    gate: (_engine, comparison) => prodGate(comparison.candidate, comparison.incumbent, o.gateEstimator, o.minEffectiveSampleSize),
    metrics: () => ({}),
    async finish(context, outcome) {
      const policyVersionId = await promoteOrRecord(context, outcome);
      return { mode: "prod", ...outcome.base, gate: outcome.gate, promoted: policyVersionId !== null, policyVersionId };
    },
  };
}
