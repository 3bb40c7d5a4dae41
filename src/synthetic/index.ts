/**
 * The synthetic cold-start world: a seeded generator with a planted optimum (the answer key), and
 * the convergence report that checks a refitted engine against it. Pipeline QA only: nothing here
 * is evidence about real traffic.
 */
export {
  generateWorld,
  checkWorld,
  SYNTHETIC_SOURCE,
  AFFINITY_VERSION,
  SYNTHETIC_JUDGE_MODEL,
  DEFAULT_SEED,
  MIN_GAP,
  MAX_GAP,
  DEVIATION_SHARE,
  DEVIATION_MARGIN,
  type WorldOptions,
  type SyntheticWorld,
  type SyntheticAgent,
  type SyntheticCell,
  type ModelTraits,
  type LoggingPolicyParameters,
} from "./world.js";
export {
  SYNTHETIC_DIMENSION,
  SYNTHETIC_FEATURE_NAMES,
  FeatureIndex,
  AGENT_FEATURE_COUNT,
  TASK_FEATURE_COUNT,
  buildSyntheticFeatures,
  writeSyntheticFeatures,
} from "./features.js";
export {
  TASK_TYPES,
  DIFFICULTY_BUCKETS,
  MODEL_IDS,
  AGENT_IDS,
  CELL_COUNT,
  type TaskType,
  type DifficultyBucket,
} from "./catalog.js";
export {
  DEFAULT_REWARD_FUNCTION,
  rewardOf,
  resolveRewardFunction,
  type RewardFunction,
  type ResolvedRewardFunction,
} from "./reward.js";
export {
  generateColumns,
  generateOutcomes,
  outcomeAt,
  toEventBatch,
  SYNTHETIC_EPOCH_MS,
  SYNTHETIC_WINDOW_MS,
  DEFAULT_OUTCOME_COUNT,
  MAX_OUTCOME_COUNT,
  type OutcomeOptions,
  type SyntheticColumns,
  type SyntheticEventBatch,
} from "./generator.js";
export {
  plantedExpectedReward,
  plantedProbabilities,
  plantedRewardCoefficients,
  cellMeanContext,
  cellAgentMeanContext,
  cellExpectedRewards,
  loggingPropensities,
  cellLoggingShares,
  cellLoggingValue,
  cellIndexOf,
  modelIndexOf,
  agentIndexOf,
  type CellRef,
  type ModelRef,
  type AgentRef,
} from "./planted.js";
export {
  plantedOptimum,
  OPTIMAL_CHOICE_DEFINITION,
  type PlantedOptimum,
  type PlantedCellOptimum,
} from "./answer-key.js";
export {
  convergenceReport,
  formatConvergenceReport,
  countRowsPerCell,
  DEFAULT_MIN_ROWS,
  DEFAULT_MATCH_THRESHOLD,
  DEFAULT_MIN_ROWS_PER_MODEL,
  DEFAULT_MIN_COVERED_CELLS,
  HEADLINE_MATCH_TARGET,
  countRowsPerModel,
  effectiveSampleSize,
  type ModelSupport,
  type ConvergenceEngine,
  type ConvergenceOptions,
  type ConvergenceReport,
  type CellConvergence,
  type RowsPerCell,
} from "./convergence.js";
export { outcomeJsonChunks, parseOutcomeJsonLine, type JsonChunkOptions } from "./jsonl.js";
export { writeSyntheticDataset, OUTCOMES_FILE, ANSWER_KEY_FILE, type WrittenDataset } from "./dataset.js";
export { SeededRandom, deriveSeed } from "./prng.js";
export {
  runConvergenceGate,
  syntheticEngineOptions,
  warmupEngineOptions,
  gateVerdict,
  gateRule,
  reportOptions,
  WARMUP_GATE,
  type GateOptions,
  type GateResult,
  type GateRule,
  type GateVerdict,
} from "./gate.js";
export { pooledLimitChoices, pooledLimitCoefficients, deviatingCells } from "./pooled-limit.js";
export {
  calibrateGate,
  runPipelineVariant,
  corruptLog,
  PIPELINE_VARIANTS,
  FIRST_CHUNK_ROWS,
  type PipelineVariant,
  type PipelineRun,
  type VariantSummary,
  type CalibrationOptions,
} from "./calibration.js";
export { gradeCorpus, worldOfKey, readCorpus, type CorpusGrade } from "./grade-corpus.js";
