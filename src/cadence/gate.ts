/**
 * The gates: the decision a run ends with.
 *
 * - Warm-up: the convergence report against the planted optimum passes (enough covered cells whose
 *   learned choice is the planted one). Pipeline QA: a refit that cannot find a known answer has a
 *   bug. It decides the exit code, never a promotion.
 * - Production: the candidate is promoted only when the lower bound of its confidence interval
 *   beats the incumbent's point estimate (same estimator, same slice), and the candidate's estimate
 *   rests on at least `minEffectiveSampleSize` effective events — a conservative rule: a candidate
 *   that is only probably better, or better on a handful of heavily weighted events, waits.
 */
import type { OffPolicyEstimate, OffPolicyEvaluation } from "../evaluation/index.js";
import type { ConvergenceReport } from "../synthetic/index.js";
import type { GateEstimator } from "./options.js";

/** The outcome of a gate. */
export interface GateDecision {
  readonly passed: boolean;
  /** One sentence: why it passed or failed, with the figures. */
  readonly reason: string;
}

/** The production gate's figures, with its decision. */
export interface ProdGateDecision extends GateDecision {
  readonly estimator: GateEstimator;
  readonly candidateLower: number;
  readonly candidateValue: number;
  readonly incumbentValue: number;
  readonly effectiveSampleSize: number;
  readonly minEffectiveSampleSize: number;
}

function pick(evaluation: OffPolicyEvaluation, estimator: GateEstimator, who: string): OffPolicyEstimate {
  const estimate = evaluation[estimator];
  if (estimate === undefined) throw new RangeError(`the ${who}'s ${estimator.toUpperCase()} estimate is missing (DR needs a reward model)`);
  return estimate;
}

/** The production gate; see the module comment. */
export function prodGate(
  candidate: OffPolicyEvaluation,
  incumbent: OffPolicyEvaluation,
  estimator: GateEstimator,
  minEffectiveSampleSize: number,
): ProdGateDecision {
  const c = pick(candidate, estimator, "candidate");
  const i = pick(incumbent, estimator, "incumbent");
  const name = estimator.toUpperCase();
  const figures = {
    estimator,
    candidateLower: c.interval.lower,
    candidateValue: c.value,
    incumbentValue: i.value,
    effectiveSampleSize: c.effectiveSampleSize,
    minEffectiveSampleSize,
  };
  const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : String(x));
  if (!(c.effectiveSampleSize >= minEffectiveSampleSize)) {
    return {
      ...figures,
      passed: false,
      reason: `not enough evidence: the candidate's ${name} effective sample size is ${c.effectiveSampleSize.toFixed(1)}, below the minimum ${minEffectiveSampleSize}`,
    };
  }
  const beats = c.interval.lower > i.value;
  return {
    ...figures,
    passed: beats,
    reason: beats
      ? `the candidate's ${name} lower bound ${fmt(c.interval.lower)} beats the incumbent's ${name} estimate ${fmt(i.value)} (effective sample size ${c.effectiveSampleSize.toFixed(1)})`
      : `the candidate's ${name} lower bound ${fmt(c.interval.lower)} does not beat the incumbent's ${name} estimate ${fmt(i.value)} (candidate estimate ${fmt(c.value)})`,
  };
}

/** The warm-up gate: the convergence report's verdict, as a decision. */
export function warmupGate(report: ConvergenceReport): GateDecision {
  const percent = (x: number): string => `${(100 * x).toFixed(1)}%`;
  return {
    passed: report.pass,
    reason: `${report.matches} of ${report.coveredCells} covered cells (${percent(report.matchShare)}) match the planted optimum; the threshold is ${percent(report.threshold)}`,
  };
}
