/**
 * Two target policies compared on the same logged events: the paired estimate of
 * Δ = V(candidate) − V(incumbent) with its one-sided lower bound (one bootstrap, same resamples for
 * both), and each policy's support diagnostics. What a promotion gate decides from.
 */
import type { RatioStatistic } from "./bootstrap.js";
import { doublyRobustFromTerms } from "./doubly-robust.js";
import { checkEvents, weighting } from "./estimate.js";
import { ipsFromWeights } from "./inverse-propensity.js";
import type { LoggedEvents } from "./logged-events.js";
import { pairedDifference, type PairedBoundMethod, type PairedDifference } from "./paired-bootstrap.js";
import { snipsFromWeights } from "./self-normalized-ips.js";
import { supportDiagnostics, type SupportDiagnostics } from "./support.js";
import { policyTerms, type RewardModel, type TargetPolicy } from "./target-policy.js";
import { describeValue } from "./validate.js";

/** The estimators a paired comparison can use. */
export type PairedEstimator = "snips" | "ips" | "dr";

/** Options of {@link comparePolicies}. */
export interface ComparePoliciesOptions {
  /** @default 'snips' */
  readonly estimator?: PairedEstimator;
  /** q̂ for DR (required by it). */
  readonly rewardModel?: RewardModel;
  /** One-sided level of the lower bound on Δ. @default 0.025 */
  readonly alpha?: number;
  /** @default 1000 */
  readonly resamples?: number;
  /** @default 0 */
  readonly seed?: number;
  /** @default 'studentized' */
  readonly method?: PairedBoundMethod;
  /** The most resampling groups of the bootstrap (src/evaluation/resampling-groups.ts). @default 4096 */
  readonly groups?: number;
}

/** What the logging policy's propensities look like. */
export interface LoggingDiagnostics {
  readonly events: number;
  /** Share of events logged with propensity 1: a deterministic logger in those contexts. */
  readonly deterministicShare: number;
  readonly minPropensity: number;
}

/**
 * The events that inform Δ: those where exactly one policy's weight is positive, or where the
 * weights differ (the logged arm is the candidate's but not the incumbent's, or the reverse). The
 * paired difference is estimated from these alone, so their effective sample sizes — not those of
 * all events — say how much the logs know about Δ.
 */
export interface InformativeEvents {
  /** Events whose two weights differ. */
  readonly events: number;
  /** Kish effective sample size of the candidate's weights on those events. */
  readonly candidateEffectiveSampleSize: number;
  /** Kish effective sample size of the incumbent's weights on those events. */
  readonly incumbentEffectiveSampleSize: number;
}

/** The result of {@link comparePolicies}. */
export interface PolicyComparison {
  readonly estimator: PairedEstimator;
  readonly paired: PairedDifference;
  readonly candidate: SupportDiagnostics;
  readonly incumbent: SupportDiagnostics;
  readonly logging: LoggingDiagnostics;
  readonly informative: InformativeEvents;
}

/** {@link InformativeEvents} summed batch by batch (the same additions in the same order as one batch). @internal */
export class InformativeTotals {
  private events = 0;
  private cs = 0;
  private cq = 0;
  private is = 0;
  private iq = 0;

  /** Adds the events of a batch, given by both policies' weights on them. */
  add(candidate: Float64Array, incumbent: Float64Array): void {
    for (let j = 0; j < candidate.length; j++) {
      const c = candidate[j]!;
      const i = incumbent[j]!;
      if (c === i) continue;
      this.events++;
      this.cs += c;
      this.cq += c * c;
      this.is += i;
      this.iq += i * i;
    }
  }

  finish(): InformativeEvents {
    return {
      events: this.events,
      candidateEffectiveSampleSize: this.cq === 0 ? 0 : (this.cs * this.cs) / this.cq,
      incumbentEffectiveSampleSize: this.iq === 0 ? 0 : (this.is * this.is) / this.iq,
    };
  }
}

/** The informative events of two policies' weights. @internal */
export function informativeEvents(candidate: Float64Array, incumbent: Float64Array): InformativeEvents {
  const totals = new InformativeTotals();
  totals.add(candidate, incumbent);
  return totals.finish();
}

/** {@link LoggingDiagnostics} summed batch by batch. @internal */
export class LoggingTotals {
  private events = 0;
  private ones = 0;
  private min = Infinity;

  /** Adds the logged propensities of a batch. */
  add(events: LoggedEvents): void {
    for (let i = 0; i < events.length; i++) {
      const p = events.propensities[i]!;
      if (p === 1) this.ones++;
      if (p < this.min) this.min = p;
    }
    this.events += events.length;
  }

  /** The smallest logged propensity so far. */
  get minPropensity(): number {
    return this.min;
  }

  finish(): LoggingDiagnostics {
    return { events: this.events, deterministicShare: this.ones / this.events, minPropensity: this.min };
  }
}

/** What the logged propensities look like. @internal */
export function loggingDiagnostics(events: LoggedEvents): LoggingDiagnostics {
  const totals = new LoggingTotals();
  totals.add(events);
  return totals.finish();
}

/** Checks the paired estimator (default 'snips') and that DR has a reward model. @internal */
export function checkPairedEstimator(value: unknown, hasRewardModel: boolean): PairedEstimator {
  const estimator = value ?? "snips";
  if (estimator !== "snips" && estimator !== "ips" && estimator !== "dr") {
    throw new RangeError(`\`estimator\` must be 'snips', 'ips' or 'dr'; received ${describeValue(estimator)}`);
  }
  if (estimator === "dr" && !hasRewardModel) {
    throw new TypeError("`rewardModel` is required by the 'dr' estimator; received undefined");
  }
  return estimator;
}

/** Compares two target policies on `events`; see the module comment. */
export function comparePolicies(
  events: LoggedEvents,
  candidate: TargetPolicy,
  incumbent: TargetPolicy,
  options: ComparePoliciesOptions = {},
): PolicyComparison {
  checkEvents(events);
  const estimator = checkPairedEstimator(options.estimator, options.rewardModel !== undefined);
  const model = estimator === "dr" ? options.rewardModel : undefined;
  const statisticOf = (
    policy: TargetPolicy,
  ): { statistic: RatioStatistic; weights: Float64Array; support: SupportDiagnostics } => {
    const terms = policyTerms(events, policy, model);
    const weights = weighting(events, terms, Infinity);
    const pending =
      estimator === "snips"
        ? snipsFromWeights(events, weights)
        : estimator === "ips"
          ? ipsFromWeights(events, weights)
          : doublyRobustFromTerms(events, terms, weights);
    const support = supportDiagnostics(weights.weights, events.propensities, policy instanceof Int32Array);
    return { statistic: pending.statistic, weights: weights.weights, support };
  };
  const c = statisticOf(candidate);
  const i = statisticOf(incumbent);
  const paired = pairedDifference(c.statistic, i.statistic, {
    ...(options.alpha === undefined ? {} : { alpha: options.alpha }),
    ...(options.resamples === undefined ? {} : { resamples: options.resamples }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.method === undefined ? {} : { method: options.method }),
    ...(options.groups === undefined ? {} : { groups: options.groups }),
  });
  return {
    estimator,
    paired,
    candidate: c.support,
    incumbent: i.support,
    logging: loggingDiagnostics(events),
    informative: informativeEvents(c.weights, i.weights),
  };
}
