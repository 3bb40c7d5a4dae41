/**
 * The cadence: judge → refit → replay → gate → promote over the outcome store. Orchestration only:
 * the SQL is in src/store, the estimators in src/evaluation, the answer key in src/synthetic (used
 * by the warm-up mode only), the learning in src/engine.
 */
export { runCadence, CadenceError } from "./run-cadence.js";
export type {
  CadenceResult,
  CadenceResultBase,
  CorpusSummary,
  EvaluationSummary,
  IncumbentInfo,
  LearningCurvePoint,
  ProdCadenceResult,
  WarmupCadenceResult,
  WarmupLoad,
} from "./cadence-result.js";
export { assertPromotable } from "./modes/prod.js";
export { PROD_ENGINE_DEFAULTS } from "./prod-defaults.js";
export { validatePolicySnapshot } from "./snapshot-check.js";
export {
  CADENCE_DEFAULTS,
  MAX_WARMUP_OUTCOMES,
  resolveCadenceOptions,
  type CadenceMode,
  type CadenceOptions,
  type GateEstimator,
  type ResolvedCadenceOptions,
} from "./options.js";
export { outcomeRewardJudge, DEFAULT_JUDGE_WEIGHTS, type Judge } from "./judge.js";
export { prodGate, warmupGate, type GateDecision, type ProdGateDecision } from "./gate.js";
export { silentProgress, type CadenceProgress, type CadenceStep, type StepTiming } from "./progress.js";
export {
  compareOnHeldOut,
  HeldOutEvaluation,
  type HeldOutEvaluationInput,
  policyChoices,
  rewardModelOf,
  type ReplayComparison,
  type EvaluationSettings,
} from "./offline-evaluation.js";
export { heldOutBatch, type HeldOutSlice } from "./held-out-slice.js";
export {
  routingSummary,
  RoutingCollector,
  ROUTING_SAMPLE_VALUES,
  type RoutingSummary,
  type CellRouting,
  type TrafficShares,
  type RoutingInput,
} from "./report-data.js";
