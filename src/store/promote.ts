/**
 * Promotion: the last step of a production cadence, in one transaction — write the policy version,
 * finish the training run (running → succeeded), and flip the active pointer to the version — so a
 * failure anywhere, or a process killed at any point, leaves the active policy and the run as they
 * were (the caller then marks the run failed; a killed run is marked abandoned by the next cadence).
 *
 * The guards, all inside the transaction: the run exists, is running, is a pure prod run (below),
 * read rows (rowsRead > 0: a refit of nothing is no policy), and the stored snapshot passes its
 * checksum and the caller's {@link SnapshotValidator} (required: the store never imports the
 * engine, so the cadence hands it the engine's check).
 *
 * The synthetic wall, checked once more where it matters most: inside the transaction the run is
 * locked and re-read, and only a running 'prod' run whose corpus was routing_outcomes filtered to
 * source 'prod' may be promoted. The schema already refuses a prod run with any other corpus
 * (training_runs_prod_corpus_check); this refuses promoting anything that is not a prod run (a
 * synthetic warm-up, say), whatever the caller believes about it.
 */
import type { Db } from "./db.js";
import { StoreError, describeValue } from "./errors.js";
import {
  activatePolicyVersion,
  insertPolicyVersion,
  type Activation,
  type PolicyVersionInfo,
  type SnapshotValidator,
} from "./policy-versions.js";
import { finishTrainingRun, type FinishTrainingRun, type JsonObject, type TrainingRun } from "./training-runs.js";

/** What {@link promoteTrainingRun} writes. */
export interface Promotion {
  readonly trainingRunId: number;
  /** The candidate's snapshot bytes. */
  readonly snapshot: Uint8Array;
  /** Stored with the policy version (engine options, the gate's figures, …). */
  readonly parameters?: JsonObject;
  /** Σr² per model in the snapshot's order, stored for the next incremental refit (policy_versions.reward_squares). */
  readonly rewardSquares?: Float64Array;
  /** The run's final counts and metrics; `rowsRead` must be positive. */
  readonly finish: Omit<FinishTrainingRun, "policyVersionId">;
  /** The engine's snapshot check, run on the stored bytes before the pointer flips. */
  readonly validateSnapshot: SnapshotValidator;
}

/** What a promotion produced. */
export interface PromotionResult {
  readonly version: PolicyVersionInfo;
  readonly activation: Activation;
  readonly run: TrainingRun;
}

/**
 * Promotes a run's candidate atomically; see the module comment. Throws StoreError `NOT_FOUND` for a
 * run that does not exist, is not running, or is not a pure-prod run (the message says which), and
 * then nothing is written.
 */
export async function promoteTrainingRun(db: Db, promotion: Promotion): Promise<PromotionResult> {
  if (typeof promotion !== "object" || promotion === null)
    throw new TypeError(`promotion must be an object; received ${describeValue(promotion)}`);
  const { trainingRunId, snapshot, parameters = {}, finish, validateSnapshot, rewardSquares } = promotion;
  if (!Number.isSafeInteger(trainingRunId) || trainingRunId < 1) {
    throw new RangeError(`trainingRunId must be a positive integer id; received ${describeValue(trainingRunId)}`);
  }
  if (!(snapshot instanceof Uint8Array) || snapshot.length === 0)
    throw new TypeError(`snapshot must be non-empty bytes; received ${describeValue(snapshot)}`);
  if (typeof finish !== "object" || finish === null)
    throw new TypeError(`finish must be an object; received ${describeValue(finish)}`);
  if (typeof validateSnapshot !== "function") {
    throw new TypeError(
      `validateSnapshot must be a function (the engine's snapshot check); received ${describeValue(validateSnapshot)}`,
    );
  }
  return db.transaction(async (tx) => {
    const locked = await tx.query<{
      cadence: string;
      corpus_table: string;
      source_filter: string | null;
      status: string;
    }>("SELECT cadence, corpus_table, source_filter, status FROM training_runs WHERE id = $1 FOR UPDATE", [
      trainingRunId,
    ]);
    const run = locked.rows[0];
    if (run === undefined) throw new StoreError("NOT_FOUND", `training run ${trainingRunId} does not exist`);
    if (run.status !== "running")
      throw new StoreError("NOT_FOUND", `training run ${trainingRunId} is not running (status ${run.status})`);
    if (run.cadence !== "prod" || run.corpus_table !== "routing_outcomes" || run.source_filter !== "prod") {
      throw new StoreError(
        "NOT_FOUND",
        `refusing to promote training run ${trainingRunId}: only a prod run over routing_outcomes filtered to ` +
          `source 'prod' can be promoted; this one is cadence ${describeValue(run.cadence)}, corpus ` +
          `${describeValue(run.corpus_table)}, source filter ${describeValue(run.source_filter)}`,
      );
    }
    if (!(Number.isSafeInteger(finish.rowsRead) && finish.rowsRead > 0)) {
      throw new StoreError(
        "NOT_FOUND",
        `refusing to promote training run ${trainingRunId}: it read ${describeValue(finish.rowsRead)} rows; a ` +
          `promoted policy must be fitted on some`,
      );
    }
    const version = await insertPolicyVersion(tx, {
      trainingRunId,
      snapshot,
      parameters,
      ...(rewardSquares === undefined ? {} : { rewardSquares }),
    });
    const finished = await finishTrainingRun(tx, trainingRunId, { ...finish, policyVersionId: version.id });
    const activation = await activatePolicyVersion(tx, version.id, validateSnapshot);
    return { version, activation, run: { ...finished, promoted: true } };
  });
}
