/**
 * Two target policies evaluated on the same events in one bootstrap: every estimator's interval for
 * each policy (what {@link evaluateOffPolicy} gives) and the paired comparison the promotion gate
 * decides from (what {@link comparePolicies} gives), all from one set of resampled sums. The
 * estimates, the intervals and the paired bound equal those of the three separate calls with the
 * same options (they drew the same resamples from the same seed); the events are reduced to their
 * resampling groups' sums once and the resamples are drawn once instead of three times.
 */
import { ratioColumns, ratioInterval, type ConfidenceInterval } from "./bootstrap.js";
import {
  checkPairedEstimator,
  informativeEvents,
  loggingDiagnostics,
  type PairedEstimator,
  type PolicyComparison,
} from "./compare-policies.js";
import { checkModelGiven } from "./direct-method.js";
import { checkEvents, resolveEstimateOptions } from "./estimate.js";
import {
  completeEvaluation,
  pendingEvaluation,
  pendingStatistics,
  type OffPolicyEvaluation,
  type PendingEvaluation,
} from "./evaluate-off-policy.js";
import type { LoggedEvents } from "./logged-events.js";
import { pairedBounds, pairedColumns, type PairedBoundMethod } from "./paired-bootstrap.js";
import { GroupSums, resampleSums, resamplingGroups } from "./resampling-groups.js";
import { supportDiagnostics } from "./support.js";
import type { RewardModel, TargetPolicy } from "./target-policy.js";
import { describeValue } from "./validate.js";

/** Options of {@link evaluatePolicyPair}. */
export interface PolicyPairOptions {
  /** Two-sided level of the per-estimator intervals. @default 0.95 */
  readonly level?: number;
  /** One-sided level of the paired lower bound. @default (1 − level)/2 */
  readonly alpha?: number;
  /** @default 1000 */
  readonly resamples?: number;
  /** @default 0 */
  readonly seed?: number;
  /** The most resampling groups (src/evaluation/resampling-groups.ts). @default 4096 */
  readonly groups?: number;
  /** q̂ for DR and DM (required by the 'dr' paired estimator). */
  readonly rewardModel?: RewardModel;
  /** The paired comparison's estimator. @default 'snips' */
  readonly estimator?: PairedEstimator;
  /** @default 'studentized' */
  readonly method?: PairedBoundMethod;
}

/** Both policies' estimates and their paired comparison. */
export interface PolicyPairEvaluation {
  readonly candidate: OffPolicyEvaluation;
  readonly incumbent: OffPolicyEvaluation;
  readonly comparison: PolicyComparison;
}

/** The pending estimate whose statistic the paired comparison resamples. */
function pairedStatistic(pending: PendingEvaluation, estimator: PairedEstimator) {
  const estimate = estimator === "snips" ? pending.snips : estimator === "ips" ? pending.ips : pending.dr!;
  return { u: estimate.statistic.numerators, v: estimate.statistic.denominators };
}

/** Evaluates both policies and compares them in one bootstrap; see the module comment. */
export function evaluatePolicyPair(
  events: LoggedEvents,
  candidate: TargetPolicy,
  incumbent: TargetPolicy,
  options: PolicyPairOptions = {},
): PolicyPairEvaluation {
  checkEvents(events);
  if (options === null || typeof options !== "object") {
    throw new TypeError(`\`options\` must be an object; received ${describeValue(options)}`);
  }
  const estimator = checkPairedEstimator(options.estimator, options.rewardModel);
  const resolved = resolveEstimateOptions({
    ...(options.level === undefined ? {} : { level: options.level }),
    ...(options.resamples === undefined ? {} : { resamples: options.resamples }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.groups === undefined ? {} : { groups: options.groups }),
  });
  const alpha = options.alpha ?? (1 - resolved.level) / 2;
  if (typeof alpha !== "number" || !(alpha > 0 && alpha < 0.5)) {
    throw new RangeError(`\`alpha\` must be a number in (0, 0.5); received ${describeValue(alpha)}`);
  }
  const method = options.method ?? "studentized";
  if (method !== "studentized" && method !== "percentile" && method !== "basic") {
    throw new RangeError(
      `\`method\` must be 'studentized', 'percentile' or 'basic'; received ${describeValue(method)}`,
    );
  }
  const rewardModel = options.rewardModel === undefined ? undefined : checkModelGiven(options.rewardModel);
  const pendingC = pendingEvaluation(events, candidate, resolved, rewardModel);
  const pendingI = pendingEvaluation(events, incumbent, resolved, rewardModel);

  const table = new GroupSums(resamplingGroups(events.length, resolved.groups, resolved.seed));
  const columnsOf = (pending: PendingEvaluation) =>
    pendingStatistics(pending).map((s) => ratioColumns(table, s.numerators, s.denominators));
  const columnsC = columnsOf(pendingC);
  const columnsI = columnsOf(pendingI);
  const plan = pairedColumns(table, pairedStatistic(pendingC, estimator), pairedStatistic(pendingI, estimator));
  const sums = resampleSums(table, resolved.resamples, resolved.seed);
  const width = table.columns.length;
  const intervalsOf = (columns: typeof columnsC): ConfidenceInterval[] =>
    columns.map((ratio) => ratioInterval(sums, width, ratio, resolved, table));
  const paired = pairedBounds(
    sums,
    width,
    plan,
    { alpha, resamples: resolved.resamples, seed: resolved.seed, method },
    table.groups.count,
  );
  const weightsC = pendingC.weighting.weights;
  const weightsI = pendingI.weighting.weights;
  return {
    candidate: completeEvaluation(pendingC, intervalsOf(columnsC)),
    incumbent: completeEvaluation(pendingI, intervalsOf(columnsI)),
    comparison: {
      estimator,
      paired,
      candidate: supportDiagnostics(weightsC, events.propensities, candidate instanceof Int32Array),
      incumbent: supportDiagnostics(weightsI, events.propensities, incumbent instanceof Int32Array),
      logging: loggingDiagnostics(events),
      informative: informativeEvents(weightsC, weightsI),
    },
  };
}
