/**
 * Off-policy evaluation: how well would a target policy have done on events logged by another
 * policy? Pure functions over logged events (actions, rewards, logging propensities) and a target
 * policy given as probabilities per event; no database, no engine. See the estimator files for the
 * math and its assumptions.
 */
export {
  createLoggedEvents,
  loggedEventsFromObjects,
  type ActionSpace,
  type LoggedEvent,
  type LoggedEvents,
  type LoggedEventsInit,
} from "./logged-events.js";
export { readLoggedEvents, type EventFileFormat, type EventFileOptions } from "./read-events.js";
export type { PolicyFunction, RewardModel, RewardModelFunction, TargetPolicy } from "./target-policy.js";
export { fixedActionPolicy, uniformPolicy } from "./policies.js";
export {
  effectiveSampleSize,
  importanceWeights,
  weightDiagnostics,
  type WeightDiagnostics,
} from "./importance-weights.js";
export {
  bootstrapRatio,
  bootstrapRatios,
  type BootstrapOptions,
  type ConfidenceInterval,
  type RatioStatistic,
} from "./bootstrap.js";
export type { EstimateOptions, EstimatorName, OffPolicyEstimate } from "./estimate.js";
export { estimateIps } from "./inverse-propensity.js";
export { estimateSnips } from "./self-normalized-ips.js";
export { estimateDoublyRobust } from "./doubly-robust.js";
export { estimateDirectMethod } from "./direct-method.js";
export { isUniformLogging, replayEvaluate, type ReplayEstimate } from "./replay.js";
export { evaluateOffPolicy, type OffPolicyEvaluation, type OffPolicyEvaluationOptions } from "./evaluate-off-policy.js";
export { evaluatePolicyPair, type PolicyPairEvaluation, type PolicyPairOptions } from "./evaluate-pair.js";
export { PolicyPairAccumulator, type PolicyPairAccumulatorOptions } from "./policy-pair-accumulator.js";
export { DEFAULT_MAX_GROUPS } from "./resampling-groups.js";
export { createSeededRandom, type SeededRandom } from "./random.js";
export {
  loggedEventsFromOutcomes,
  type OutcomeEvents,
  type OutcomeForEvaluation,
} from "./logged-events-from-outcomes.js";
export {
  estimateParts,
  formatEstimate,
  formatEstimateNumber,
  type EstimateNumberFormat,
  type EstimateParts,
} from "./format-estimate.js";
export {
  pairedDifference,
  type PairedBootstrapOptions,
  type PairedBoundMethod,
  type PairedDifference,
} from "./paired-bootstrap.js";
export {
  inverseNormal,
  normalCriticalValue,
  supportDiagnostics,
  supportProblems,
  type SupportDiagnostics,
  type SupportProblem,
} from "./support.js";
export {
  comparePolicies,
  type ComparePoliciesOptions,
  type InformativeEvents,
  type LoggingDiagnostics,
  type PairedEstimator,
  type PolicyComparison,
} from "./compare-policies.js";
