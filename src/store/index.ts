/**
 * The outcome store: everything the cadence and the CLI use from src/store/, in one explicit list.
 * The store yields rows and columnar chunks; it never imports the engine.
 */
export type { DatabaseBackend, Db, Queryable, QueryResult, ReservedConnection } from "./db.js";
export { atomically } from "./db.js";
export { DEFAULT_DATA_DIR, describeDatabaseTarget, openDatabase, type OpenDatabaseOptions } from "./open-database.js";
export { StoreError, type StoreErrorCode } from "./errors.js";
export { lockPathOf } from "./data-dir-lock.js";
export {
  ensureSchema,
  migrateDown,
  migrateUp,
  migrationStatus,
  type MigrateDownOptions,
  type MigrateOptions,
  type MigrationState,
  type MigrationStatus,
} from "./migrator.js";
export { retireSyntheticOutcomes, type RetireSyntheticOptions } from "./retire-synthetic.js";
export { analyzeTable, type LoadedTable } from "./table-statistics.js";
export type { DataLoss } from "./down-data-loss.js";
export { migrations, type Migration } from "./migrations/index.js";
export {
  readCorpus,
  MAX_REJECTED_EXAMPLES,
  type CorpusChunk,
  type CorpusReader,
  type CorpusReadOptions,
  type CorpusReadTotals,
  type CorpusPosition,
  type CorpusSplitSide,
  type CorpusTable,
  type RejectedRow,
} from "./corpus-reader.js";
export { DEFAULT_ROW_BOUNDS, resolveRowBounds, validRowSql, type RewardBounds, type RowBounds } from "./row-bounds.js";
export {
  loadSyntheticOutcomes,
  type LoadSyntheticOptions,
  type LoadSyntheticResult,
  type SyntheticOutcomeInput,
} from "./synthetic-loader.js";
export {
  abandonRunningRuns,
  failTrainingRun,
  finishTrainingRun,
  getTrainingRun,
  listTrainingRuns,
  startTrainingRun,
  type FinishTrainingRun,
  type JsonObject,
  type StartTrainingRun,
  type TrainingCadence,
  type TrainingRun,
  type TrainingRunStatus,
} from "./training-runs.js";
export {
  activatePolicyVersion,
  insertPolicyVersion,
  readActivePolicy,
  readActivePolicyVersionId,
  readPolicyVersion,
  listPolicyVersions,
  sha256Hex,
  type Activation,
  type PolicyVersionListing,
  type SnapshotValidator,
  type ActivePolicy,
  type NewPolicyVersion,
  type PolicyVersion,
  type PolicyVersionInfo,
} from "./policy-versions.js";
export { tryAcquireAdvisoryLock, withAdvisoryLock, type AdvisoryLock } from "./advisory-lock.js";
export {
  splitCorpusByTime,
  type CorpusPrefix,
  type CorpusSplit,
  type CorpusSplitOptions,
} from "./corpus-split.js";
export { corpusPrefixFingerprint, describePrefixChange, type CorpusPrefixFingerprint } from "./corpus-prefix.js";
export {
  deleteShardResults,
  deleteStaleShardResults,
  finishedShards,
  readShardResults,
  writeShardResult,
  type StoredShardResult,
} from "./shard-results.js";
export { MAX_SHARDS, planCorpusShards, type CorpusShard, type CorpusShardPlan } from "./corpus-shards.js";
export {
  judgeUnlabelled,
  type JudgeUnlabelledOptions,
  type JudgeUnlabelledResult,
  type JudgeVerdict,
  type UnjudgedOutcome,
} from "./judge-queue.js";
export { judgeUnlabelledInSql, type JudgeUnlabelledInSqlOptions, type LinearOutcomeRewardSql } from "./sql-judge.js";
export {
  judgedRewardSql,
  judgedThroughId,
  readJudgeWatermarks,
  type JudgeWatermark,
} from "./judge-watermarks.js";
export { promoteTrainingRun, type Promotion, type PromotionResult } from "./promote.js";
export { listSyntheticRuns, type SyntheticRunRows } from "./synthetic-runs.js";
export {
  insertOutcomeRows,
  readOutcomesByKey,
  type OutcomeRowInput,
  type StoredOutcome,
  type WritableSource,
} from "./outcome-writes.js";
export {
  decisionOutcomeKey,
  deleteDecisionsBefore,
  insertDecisions,
  readDecisions,
  type Decision,
  type StoredDecision,
} from "./decisions.js";
export { ACTIVE_POLICY_CHANNEL, listenForActivations, type ActivationListener } from "./policy-notifications.js";
/** The same query as readActivePolicyVersionId, under the name the serving docs use. */
export { readActivePolicyVersionId as readActivePolicyId } from "./policy-versions.js";
export { readProdCorpusShape, type CorpusShape } from "./corpus-shape.js";
