/**
 * The gates: the decision a run ends with.
 *
 * - Warm-up: the convergence report against the planted optimum passes (enough covered cells whose
 *   learned choice is the planted one). Pipeline QA: a refit that cannot find a known answer has a
 *   bug. It decides the exit code, never a promotion.
 * - Production (a promotion): the candidate replaces the incumbent only when
 *   1. the held-out logs support both policies (src/evaluation/support.ts): not every event logged
 *      with propensity 1, each policy's mean importance weight 1 within `critical` standard errors,
 *      no excess of zero weights over what the logged propensities predict, and each policy's
 *      effective sample size at least `minEffectiveSampleSize`, and enough evidence about the
 *      difference itself: each policy's effective sample size on the informative events (where the
 *      two weights differ) at least `minInformativeEffectiveSampleSize` — below about 10 the paired
 *      bootstrap's bound does not hold its level (measured: bench/gate-calibration.ts); and
 *   2. the one-sided lower bound on Δ = V(candidate) − V(incumbent), from one paired bootstrap over
 *      the same resampled events (level α = (1 − level)/2), is above `margin`.
 *   A candidate identical to the incumbent has Δ ≡ 0, so its bound is 0 and it is never promoted.
 */
import {
  normalCriticalValue,
  supportProblems,
  type PairedBoundMethod,
  type PolicyComparison,
  type SupportDiagnostics,
  type LoggingDiagnostics,
  type InformativeEvents,
} from "../evaluation/index.js";
import type { ConvergenceReport } from "../synthetic/index.js";
import type { GateEstimator } from "./options.js";

/** The outcome of a gate. */
export interface GateDecision {
  readonly passed: boolean;
  /** One sentence: why it passed or failed, with the figures. */
  readonly reason: string;
}

/** Settings of the production gate. */
export interface PromotionGateSettings {
  /** Promote only when the lower bound on Δ is above this. @default 0 */
  readonly margin: number;
  /** Minimum Kish effective sample size of each policy's weights. */
  readonly minEffectiveSampleSize: number;
  /**
   * Minimum effective sample size of each policy's weights on the informative events (where the
   * two policies' weights differ). @default 20
   */
  readonly minInformativeEffectiveSampleSize?: number;
  /**
   * False-refusal rate of each support test under support (two-sided normal), which sets the
   * tolerance in standard errors: 0.001 → 3.29 standard errors. @default 0.001
   */
  readonly supportFalseRefusalRate?: number;
}

/** The production gate's figures, with its decision. JSON-able (non-finite numbers become null in JSON). */
export interface ProdGateDecision extends GateDecision {
  readonly estimator: GateEstimator;
  /** One-sided level α of the lower bound. */
  readonly alpha: number;
  readonly method: PairedBoundMethod | null;
  readonly margin: number;
  /** Δ̂ = candidate − incumbent (NaN when there was nothing to compare on). */
  readonly difference: number;
  readonly lowerBound: number;
  readonly standardError: number;
  /**
   * Resampling groups the bootstrap drew per resample (the held-out events, up to the maximum);
   * null when nothing was compared.
   */
  readonly groups: number | null;
  readonly candidateValue: number;
  readonly incumbentValue: number;
  readonly minEffectiveSampleSize: number;
  /** The support checks: tolerance, logging diagnostics, per-policy diagnostics and the problems found. */
  readonly support: {
    readonly critical: number;
    readonly logging: LoggingDiagnostics;
    readonly informative: InformativeEvents;
    readonly minInformativeEffectiveSampleSize: number;
    readonly candidate: SupportDiagnostics;
    readonly incumbent: SupportDiagnostics;
    readonly problems: readonly string[];
  } | null;
}

/** Default minimum informative effective sample size (tuned on seeds 1000–1999, bench/gate-calibration.ts). */
export const DEFAULT_MIN_INFORMATIVE_ESS = 20;

const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : String(x));

/** The production gate on a paired comparison; see the module comment. */
export function prodGate(comparison: PolicyComparison, settings: PromotionGateSettings): ProdGateDecision {
  const critical = normalCriticalValue(settings.supportFalseRefusalRate ?? 0.001);
  const { paired, logging } = comparison;
  const problems: string[] = [];
  if (logging.deterministicShare === 1) {
    problems.push(
      `no support: all ${logging.events} held-out events were logged with propensity 1 ` +
        "(a deterministic logging policy, exploration 'ucb'), so they support no policy but the logger's — " +
        "serve with a randomised exploration (epsilon or softmax) to make the next policy evaluable",
    );
  }
  problems.push(...supportProblems(comparison.candidate, "the candidate", critical, settings.minEffectiveSampleSize));
  problems.push(...supportProblems(comparison.incumbent, "the incumbent", critical, settings.minEffectiveSampleSize));
  const minInformative = settings.minInformativeEffectiveSampleSize ?? DEFAULT_MIN_INFORMATIVE_ESS;
  const informative = comparison.informative;
  const leastInformative = Math.min(informative.candidateEffectiveSampleSize, informative.incumbentEffectiveSampleSize);
  if (informative.events > 0 && !(leastInformative >= minInformative)) {
    problems.push(
      `not enough evidence about the difference: on the ${informative.events} events ` +
        `where the two policies' weights differ, ` +
        `the effective sample sizes are ${informative.candidateEffectiveSampleSize.toFixed(1)} (candidate) and ` +
        `${informative.incumbentEffectiveSampleSize.toFixed(1)} (incumbent), below the minimum ${minInformative}`,
    );
  }
  const name = comparison.estimator.toUpperCase();
  const beats = problems.length === 0 && paired.lowerBound > settings.margin;
  const figures =
    `Δ̂ = ${fmt(paired.difference)} ` +
    `(candidate ${fmt(paired.candidateValue)}, incumbent ${fmt(paired.incumbentValue)})`;
  const level = (100 * (1 - paired.alpha)).toFixed(1);
  const bound =
    `the ${level}% lower bound on Δ (paired ${paired.method} bootstrap of ${name}) ` + `is ${fmt(paired.lowerBound)}`;
  let reason: string;
  if (problems.length > 0) reason = `refused: ${problems.join("; ")}`;
  else if (beats) reason = `${bound}, above the margin ${settings.margin}: ${figures}`;
  else reason = `${bound}, not above the margin ${settings.margin}: ${figures}`;
  return {
    passed: beats,
    reason,
    estimator: comparison.estimator,
    alpha: paired.alpha,
    method: paired.method,
    margin: settings.margin,
    difference: paired.difference,
    lowerBound: paired.lowerBound,
    standardError: paired.standardError,
    groups: paired.groups,
    candidateValue: paired.candidateValue,
    incumbentValue: paired.incumbentValue,
    minEffectiveSampleSize: settings.minEffectiveSampleSize,
    support: {
      critical,
      logging,
      informative,
      minInformativeEffectiveSampleSize: minInformative,
      candidate: comparison.candidate,
      incumbent: comparison.incumbent,
      problems,
    },
  };
}

/**
 * A production gate that had nothing to compare on (e.g. no rows newer than the incumbent's training):
 * not passed, with the reason.
 */
export function nothingToCompareGate(
  reason: string,
  estimator: GateEstimator,
  alpha: number,
  settings: PromotionGateSettings,
): ProdGateDecision {
  return {
    passed: false,
    reason,
    estimator,
    alpha,
    method: null,
    margin: settings.margin,
    difference: Number.NaN,
    lowerBound: Number.NaN,
    standardError: Number.NaN,
    groups: null,
    candidateValue: Number.NaN,
    incumbentValue: Number.NaN,
    minEffectiveSampleSize: settings.minEffectiveSampleSize,
    support: null,
  };
}

/** The warm-up gate: the convergence report's verdict, as a decision. */
export function warmupGate(report: ConvergenceReport): GateDecision {
  const percent = (x: number): string => `${(100 * x).toFixed(1)}%`;
  return {
    passed: report.pass,
    reason:
      `${report.matches} of ${report.coveredCells} covered cells ` +
      `(${percent(report.matchShare)}) match the planted optimum; the threshold is ${percent(report.threshold)}`,
  };
}
