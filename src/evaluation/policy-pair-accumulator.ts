/**
 * Two target policies evaluated on events that arrive in batches, in memory that does not grow with
 * the number of events: what {@link evaluatePolicyPair} returns (every estimator's interval for each
 * policy, the paired comparison, the support diagnostics), accumulated batch by batch. The cadence
 * feeds it the held-out slice chunk by chunk as the reader yields it; evaluatePolicyPair feeds it all
 * the events as one batch — one implementation of the estimators' per-event terms
 * (./evaluate-off-policy.ts `pendingEvaluation`) and of what is summed from them.
 *
 * Each batch is reduced at once to what the estimates need (every bootstrap statistic is a smooth
 * function of a few sums, src/evaluation/resampling-groups.ts):
 * - point estimates: Σu and Σv of every estimator in event order (the same additions, in the same
 *   order, as over the whole array: the same numbers to the bit);
 * - the bootstrap: the sums of G resampling groups; event i goes to group π(i) mod G with π a seeded
 *   permutation of [0, N) (N = `expectedEvents`, the caller's upper bound: the cadence knows the
 *   held-out slice's row count from the split before reading it), so with N = n the groups are those
 *   the whole-array bootstrap deals;
 * - the first G events are kept per event until a (G + 1)-th arrives. With n ≤ G every event is its
 *   own group and the draws are exactly the row bootstrap's (as for whole arrays); past G the kept
 *   events are dealt into their groups, and their ratios and mean weights centre and scale the paired
 *   terms whose second moments the studentized bound needs (any centre gives the same sums; one near
 *   θ̂ keeps their rounding small, and θ̂ itself is not known until the last event; a policy the first
 *   G events give no weight is centred on their mean reward, since 0 can be far from θ̂);
 * - diagnostics: running counts and sums, and Welford's update for the two spreads.
 *
 * Memory: about (G kept events + G groups) × 25 columns × 8 B ≈ 1.6 MB at G = 4096, whatever n is.
 * The result is the same whether the events come in one batch or many (tested).
 */
import { ratioInterval, type ConfidenceInterval } from "./bootstrap.js";
import {
  checkPairedEstimator,
  InformativeTotals,
  LoggingTotals,
  type PairedEstimator,
  type PolicyComparison,
} from "./compare-policies.js";
import { DIRECT_METHOD_WARNING } from "./direct-method.js";
import {
  checkEvents,
  resolveEstimateOptions,
  weightWarnings,
  type EstimatorName,
  type OffPolicyEstimate,
  type ResolvedEstimateOptions,
} from "./estimate.js";
import {
  pendingEvaluation,
  pendingStatistics,
  type OffPolicyEvaluation,
  type PendingEvaluation,
} from "./evaluate-off-policy.js";
import { WeightTotals } from "./importance-weights.js";
import type { LoggedEvents } from "./logged-events.js";
import {
  pairedBounds,
  pairedColumns,
  pairedPointOfTotals,
  pairedTerms,
  resolvePairedOptions,
  termScaleOf,
  type PairedBoundMethod,
  type PairedColumns,
  type Ratio,
  type TermScale,
} from "./paired-bootstrap.js";
import type { SeededRandom } from "./random.js";
import { isUniformPropensity, replayChooser, replayResult } from "./replay.js";
import { MAX_DOMAIN } from "./keyed-permutation.js";
import { GroupSums, groupDealer, resampleSums } from "./resampling-groups.js";
import { SupportTotals } from "./support.js";
import type { RewardModel, TargetPolicy } from "./target-policy.js";
import { checkPositiveInteger, describeValue } from "./validate.js";

/** Options of {@link evaluatePolicyPair} and {@link PolicyPairAccumulator}. */
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

/** Options of {@link PolicyPairAccumulator}: those of {@link evaluatePolicyPair}, q̂ given per batch. */
export interface PolicyPairAccumulatorOptions extends Omit<PolicyPairOptions, "rewardModel"> {
  /** K: the size of the events' action space. */
  readonly actionCount: number;
  /**
   * N: how many events will be added, or an upper bound (the groups are near-equal when it is close;
   * more events than this still work, see `groupDealer`).
   */
  readonly expectedEvents: number;
  /** Whether every batch comes with q̂ (then DR and DM are estimated). @default false */
  readonly rewardModel?: boolean;
}

/** The estimators in the order of `pendingStatistics`, and whether each has a denominator column. */
const STATISTICS: readonly { readonly name: EstimatorName; readonly ratio: boolean }[] = [
  { name: "replay", ratio: true },
  { name: "ips", ratio: false },
  { name: "snips", ratio: true },
  { name: "dr", ratio: false },
  { name: "dm", ratio: false },
];

/** Where one statistic's numerator and denominator are among the columns (-1: 1 per event). */
interface StatisticColumns {
  readonly top: number;
  readonly bottom: number;
}

/** What is summed for one policy besides the columns. */
class PolicyTotals {
  readonly weights = new WeightTotals();
  readonly kept = new WeightTotals();
  readonly support = new SupportTotals();
  deterministic = true;
  constructor(readonly chooser: SeededRandom) {}
}

/** The options of a pair evaluation, checked, with their defaults. */
function resolvePairOptions(options: PolicyPairAccumulatorOptions) {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`\`options\` must be an object; received ${describeValue(options)}`);
  }
  const estimator = checkPairedEstimator(options.estimator, options.rewardModel === true);
  const resolved = resolveEstimateOptions({
    ...(options.level === undefined ? {} : { level: options.level }),
    ...(options.resamples === undefined ? {} : { resamples: options.resamples }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.groups === undefined ? {} : { groups: options.groups }),
  });
  // alpha and method are checked as the paired bootstrap checks them (the rest is resolved already).
  const { alpha, method } = resolvePairedOptions({
    alpha: options.alpha ?? (1 - resolved.level) / 2,
    method: options.method,
    resamples: resolved.resamples,
    seed: resolved.seed,
    groups: resolved.groups,
  });
  return { resolved, alpha, method, estimator };
}

/** The four paired terms of a run of events (see `pairedTerms`). */
type Terms = readonly [Float64Array, Float64Array, Float64Array, Float64Array];

/** See the module comment. */
export class PolicyPairAccumulator {
  private readonly resolved: ResolvedEstimateOptions;
  private readonly alpha: number;
  private readonly method: PairedBoundMethod;
  private readonly estimator: PairedEstimator;
  private readonly actionCount: number;
  /** The action ids of the first batch that had them (later ones must match). */
  private actionIds: readonly string[] | undefined;
  private readonly withModel: boolean;
  private readonly statistics: number;
  /** Per policy (candidate, incumbent) and statistic, its columns. */
  private readonly layout: StatisticColumns[][];
  private readonly width: number;
  private readonly maxGroups: number;
  private readonly deal: (index: number) => number;
  private readonly candidate: PolicyTotals;
  private readonly incumbent: PolicyTotals;
  /** Σ of every column over all events, in event order. */
  private readonly pointSums: Float64Array;
  /** Per column, the values of the first G events. */
  private readonly kept: Float64Array[];
  /** Per column (and the ten paired moments after them), the group sums; null until past G events. */
  private groupSums: Float64Array[] | null = null;
  private groupSizes: Float64Array | null = null;
  private scales: { candidate: TermScale; incumbent: TermScale } | null = null;
  private count = 0;
  private rewardSum = 0;
  /** Σ rewards of the kept (first G) events: the centre of a policy they give no weight. */
  private keptRewardSum = 0;
  private readonly logging = new LoggingTotals();
  private maxPropensity = -Infinity;
  private uniformLogging = true;
  private readonly informative = new InformativeTotals();

  constructor(options: PolicyPairAccumulatorOptions) {
    ({
      resolved: this.resolved,
      alpha: this.alpha,
      method: this.method,
      estimator: this.estimator,
    } = resolvePairOptions(options));
    this.withModel = options.rewardModel === true;
    this.actionCount = checkPositiveInteger(options.actionCount, "actionCount");
    const expected = checkPositiveInteger(options.expectedEvents, "expectedEvents");
    this.statistics = this.withModel ? 5 : 3;
    let width = 0;
    this.layout = [0, 1].map(() =>
      STATISTICS.slice(0, this.statistics).map(({ ratio }) => ({ top: width++, bottom: ratio ? width++ : -1 })),
    );
    this.width = width;
    this.maxGroups = this.resolved.groups;
    // Blocks of more than G events, so that past G the first block deals into every group; at most
    // the permutation's largest domain (a larger bound deals block by block like an exceeded one).
    const block = Math.min(Math.max(expected, this.maxGroups + 1), MAX_DOMAIN);
    this.deal = groupDealer(block, this.maxGroups, this.resolved.seed);
    this.pointSums = new Float64Array(width);
    this.kept = Array.from({ length: width }, () => new Float64Array(Math.min(this.maxGroups, expected, 1024)));
    this.candidate = new PolicyTotals(replayChooser(this.resolved.seed));
    this.incumbent = new PolicyTotals(replayChooser(this.resolved.seed));
  }

  /** Events added so far. */
  get events(): number {
    return this.count;
  }

  /**
   * Batches that name their actions must name the same ones, in the same order, as the first batch
   * that did: the same count under other names would add one action's terms to another's.
   */
  private checkActionIds(ids: readonly string[] | undefined): void {
    if (ids === undefined) return;
    const known = this.actionIds;
    if (known === undefined) return;
    const at = known.findIndex((id, a) => ids[a] !== id);
    if (at >= 0) {
      throw new RangeError(
        `\`events.actionIds\` must be the accumulator's (${known.join(", ")}); ` +
          `action ${at} is ${JSON.stringify(ids[at])} instead of ${JSON.stringify(known[at])}`,
      );
    }
  }

  /**
   * Adds a batch of events with both policies' targets on them (indexed by the batch's events) and,
   * when the accumulator was made with `rewardModel: true`, q̂ on them. Validates everything before
   * adding anything: a bad batch leaves the sums as they were.
   */
  add(events: LoggedEvents, candidate: TargetPolicy, incumbent: TargetPolicy, rewardModel?: RewardModel): void {
    checkEvents(events);
    if (events.actionCount !== this.actionCount) {
      throw new RangeError(
        `\`events\` must have ${this.actionCount} actions like the accumulator; received ${events.actionCount}`,
      );
    }
    this.checkActionIds(events.actionIds);
    if (this.withModel !== (rewardModel !== undefined)) {
      throw new TypeError(
        this.withModel
          ? "`rewardModel` is required for every batch (the accumulator was made with rewardModel: true); " +
              "received undefined"
          : "`rewardModel` was given, but the accumulator was made without one (rewardModel: true enables DR and DM)",
      );
    }
    // The choosers advance as the policies are read: a batch that throws puts them back.
    const before = [this.candidate.chooser.getState(), this.incumbent.chooser.getState()] as const;
    let pendingC: PendingEvaluation;
    let pendingI: PendingEvaluation;
    try {
      pendingC = pendingEvaluation(events, candidate, this.resolved, rewardModel, this.candidate.chooser);
      pendingI = pendingEvaluation(events, incumbent, this.resolved, rewardModel, this.incumbent.chooser);
    } catch (error) {
      this.candidate.chooser.setState(before[0]);
      this.incumbent.chooser.setState(before[1]);
      throw error;
    }
    // Accepted: the first batch to name its actions sets them for the rest.
    if (this.actionIds === undefined && events.actionIds !== undefined) this.actionIds = [...events.actionIds];
    const columns = this.columnsOf(pendingC, pendingI);
    const n = events.length;
    this.addDiagnostics(events, pendingC, pendingI, candidate, incumbent);
    for (let k = 0; k < this.width; k++) {
      const values = columns[k]!;
      let sum = this.pointSums[k]!;
      for (let j = 0; j < n; j++) sum += values[j]!;
      this.pointSums[k] = sum;
    }
    const keep = Math.max(0, Math.min(n, this.maxGroups - this.count));
    if (keep > 0) {
      this.reserve(this.count + keep);
      for (let k = 0; k < this.width; k++) this.kept[k]!.set(columns[k]!.subarray(0, keep), this.count);
      for (let j = 0; j < keep; j++) this.keptRewardSum += events.rewards[j]!;
      this.count += keep;
    }
    if (keep < n) {
      if (this.groupSums === null) this.dealKept();
      this.addGrouped(columns, keep, n);
    }
  }

  /** Room for `events` kept events (at most G; grown by doubling, so small inputs stay small). */
  private reserve(events: number): void {
    const capacity = this.kept[0]!.length;
    if (events <= capacity) return;
    const grown = Math.min(this.maxGroups, Math.max(2 * capacity, events));
    for (let k = 0; k < this.width; k++) {
      const values = new Float64Array(grown);
      values.set(this.kept[k]!);
      this.kept[k] = values;
    }
  }

  /** The batch's per-event values of every column, in layout order. */
  private columnsOf(pendingC: PendingEvaluation, pendingI: PendingEvaluation): Float64Array[] {
    const columns: Float64Array[] = [];
    for (const pending of [pendingC, pendingI]) {
      for (const statistic of pendingStatistics(pending)) {
        columns.push(statistic.numerators);
        if (statistic.denominators !== undefined) columns.push(statistic.denominators);
      }
    }
    return columns;
  }

  private addDiagnostics(
    events: LoggedEvents,
    pendingC: PendingEvaluation,
    pendingI: PendingEvaluation,
    candidate: TargetPolicy,
    incumbent: TargetPolicy,
  ): void {
    const n = events.length;
    for (const [totals, pending, policy] of [
      [this.candidate, pendingC, candidate],
      [this.incumbent, pendingI, incumbent],
    ] as const) {
      totals.weights.add(pending.weighting.weights, pending.weighting.diagnostics.clipped);
      totals.kept.add(pending.replay.statistic.denominators!);
      totals.support.add(pending.weighting.weights, events.propensities);
      totals.deterministic &&= policy instanceof Int32Array;
    }
    this.logging.add(events);
    this.informative.add(pendingC.weighting.weights, pendingI.weighting.weights);
    for (let j = 0; j < n; j++) {
      const p = events.propensities[j]!;
      this.rewardSum += events.rewards[j]!;
      if (p > this.maxPropensity) this.maxPropensity = p;
      if (this.uniformLogging && !isUniformPropensity(p, this.actionCount)) this.uniformLogging = false;
    }
  }

  /** The paired statistic's numerator and denominator columns of each policy. */
  private pairedColumnIndices(): { c: StatisticColumns; i: StatisticColumns } {
    const s = this.estimator === "snips" ? 2 : this.estimator === "ips" ? 1 : 3;
    return { c: this.layout[0]![s]!, i: this.layout[1]![s]! };
  }

  /** The paired ratios of events [from, to) of `columns`. */
  private pairedRatios(columns: readonly Float64Array[], from: number, to: number): { c: Ratio; i: Ratio } {
    const { c, i } = this.pairedColumnIndices();
    // The column itself when it is all of it, so that GroupSums.add, which knows columns by identity, adds it once.
    const part = (k: number): Float64Array | undefined =>
      k < 0 ? undefined : from === 0 && to === columns[k]!.length ? columns[k]! : columns[k]!.subarray(from, to);
    return { c: { u: part(c.top)!, v: part(c.bottom) }, i: { u: part(i.top)!, v: part(i.bottom) } };
  }

  /** Past G events: centres and scales from the kept ones, which are then dealt into their groups. */
  private dealKept(): void {
    const g = this.maxGroups;
    const { c, i } = this.pairedColumnIndices();
    const total = (k: number): number => (k < 0 ? g : this.kept[k]!.reduce((sum, x) => sum + x, 0));
    // A policy the kept events give no weight is centred on their mean reward (not 0: see termScaleOf).
    const meanReward = this.keptRewardSum / g;
    this.scales = {
      candidate: termScaleOf(total(c.top), total(c.bottom), g, meanReward),
      incumbent: termScaleOf(total(i.top), total(i.bottom), g, meanReward),
    };
    this.groupSums = Array.from({ length: this.width + 10 }, () => new Float64Array(g));
    this.groupSizes = new Float64Array(g);
    this.count = 0;
    this.addGrouped(this.kept, 0, g);
  }

  /** Adds events [from, to) of `columns` to their groups (and the events counted). */
  private addGrouped(columns: readonly Float64Array[], from: number, to: number): void {
    const sums = this.groupSums!;
    const sizes = this.groupSizes!;
    const { c, i } = this.pairedRatios(columns, from, to);
    const m = to - from;
    const terms: Terms = [new Float64Array(m), new Float64Array(m), new Float64Array(m), new Float64Array(m)];
    pairedTerms(c, i, m, this.scales!.candidate, this.scales!.incumbent, terms);
    const groupOf = new Int32Array(m);
    for (let j = 0; j < m; j++) {
      const group = this.deal(this.count + j);
      groupOf[j] = group;
      sizes[group]!++;
    }
    // Column by column (contiguous reads); each group still adds its events in event order.
    for (let k = 0; k < this.width; k++) {
      const values = columns[k]!;
      const column = sums[k]!;
      for (let j = 0; j < m; j++) column[groupOf[j]!]! += values[from + j];
    }
    let moment = this.width;
    for (let p = 0; p < 4; p++) {
      for (let q = p; q < 4; q++) {
        const column = sums[moment++]!;
        const x = terms[p];
        const y = terms[q];
        for (let j = 0; j < m; j++) column[groupOf[j]!]! += x[j]! * y[j]!;
      }
    }
    this.count += m;
  }

  /** The table of group sums to resample, with the paired comparison's plan. */
  private table(): { table: GroupSums; columns: number[]; plan: PairedColumns } {
    const n = this.count;
    const { c, i } = this.pairedColumnIndices();
    if (this.groupSums === null) {
      // Every event its own group: the row bootstrap's draws, the exact θ̂ and v̄ as centre and scale.
      const table = new GroupSums({ rows: n, count: n, groupOf: null });
      const kept = this.kept.map((values) => values.subarray(0, n));
      const columns = kept.map((values) => table.add(values));
      const ratios = this.pairedRatios(kept, 0, n);
      return { table, columns, plan: pairedColumns(table, ratios.c, ratios.i) };
    }
    const table = new GroupSums({ rows: n, count: this.maxGroups, groupOf: null });
    const columns = this.groupSums.slice(0, this.width).map((sums) => table.addSums(sums));
    const rows = table.addSums(this.groupSizes!, true);
    const moments = Int32Array.from(this.groupSums.slice(this.width), (sums) => table.addSums(sums));
    const column = (k: number): number => (k < 0 ? rows : columns[k]!);
    const layout = {
      candidateTop: column(c.top),
      candidateBottom: column(c.bottom),
      incumbentTop: column(i.top),
      incumbentBottom: column(i.bottom),
      rows,
      moments,
      candidateScale: this.scales!.candidate,
      incumbentScale: this.scales!.incumbent,
    };
    const totals = new Float64Array(table.columns.length);
    table.columns.forEach((sums, k) => {
      totals[k] = sums.reduce((sum, x) => sum + x, 0);
    });
    const spread = pairedPointOfTotals(totals, layout);
    // Δ̂ from the event-order sums (the point estimates'); its standard error from the moments.
    const cValue = this.pointEstimate(c);
    const iValue = this.pointEstimate(i);
    const defined = !Number.isNaN(cValue) && !Number.isNaN(iValue);
    const full = {
      c: cValue,
      i: iValue,
      delta: defined ? cValue - iValue : Number.NaN,
      se: defined ? spread.se : Number.NaN,
    };
    return { table, columns, plan: { ...layout, full, moments: defined ? moments : null } };
  }

  /**
   * Every estimate and the paired comparison of the events added so far.
   * @throws RangeError when no event was added.
   */
  finish(): PolicyPairEvaluation {
    const n = this.count;
    if (n === 0) throw new RangeError("the evaluation needs at least one event; received 0");
    const { table, columns, plan } = this.table();
    const { resamples, seed } = this.resolved;
    const sums = resampleSums(table, resamples, seed);
    const width = table.columns.length;
    const rowsColumn = table.rows();
    const evaluationOf = (policy: 0 | 1, totals: PolicyTotals): OffPolicyEvaluation => {
      const intervals = this.layout[policy]!.map(({ top, bottom }) =>
        ratioInterval(
          sums,
          width,
          { top: columns[top]!, bottom: bottom < 0 ? rowsColumn : columns[bottom]! },
          this.resolved,
          table,
        ),
      );
      return this.estimates(policy, totals, intervals);
    };
    const paired = pairedBounds(
      sums,
      width,
      plan,
      { alpha: this.alpha, resamples, seed, method: this.method },
      table.groups.count,
    );
    return {
      candidate: evaluationOf(0, this.candidate),
      incumbent: evaluationOf(1, this.incumbent),
      comparison: {
        estimator: this.estimator,
        paired,
        candidate: this.candidate.support.finish(this.candidate.deterministic),
        incumbent: this.incumbent.support.finish(this.incumbent.deterministic),
        logging: this.logging.finish(),
        informative: this.informative.finish(),
      },
    };
  }

  /** Mean observed reward of the events: the logging policy's value. */
  loggedValue(): number {
    return this.rewardSum / this.count;
  }

  /** A statistic's point estimate from the event-order sums: Σu/Σv, or Σu/n without a denominator. */
  private pointEstimate({ top, bottom }: StatisticColumns): number {
    const v = bottom < 0 ? this.count : this.pointSums[bottom]!;
    return v === 0 ? Number.NaN : this.pointSums[top]! / v;
  }

  /** One policy's estimates from the sums (Σu/Σv, or Σu/n without a denominator) and their intervals. */
  private estimates(
    policy: 0 | 1,
    totals: PolicyTotals,
    intervals: readonly ConfidenceInterval[],
  ): OffPolicyEvaluation {
    const n = this.count;
    const diagnostics = totals.weights.finish(this.resolved.clip);
    const weighted = (s: number): OffPolicyEstimate => ({
      estimator: STATISTICS[s]!.name,
      value: this.pointEstimate(this.layout[policy]![s]!),
      interval: intervals[s]!,
      events: n,
      effectiveSampleSize: diagnostics.effectiveSampleSize,
      weights: diagnostics,
      warnings: STATISTICS[s]!.name === "dm" ? [DIRECT_METHOD_WARNING] : weightWarnings(diagnostics),
    });
    const replay = this.layout[policy]![0]!;
    const replayCounts = {
      events: n,
      kept: this.pointSums[replay.bottom]!,
      rewardSum: this.pointSums[replay.top]!,
      min: this.logging.minPropensity,
      max: this.maxPropensity,
      uniformLogging: this.uniformLogging,
    };
    return {
      replay: replayResult(replayCounts, this.actionCount, totals.kept.finish(), intervals[0]!),
      ips: weighted(1),
      snips: weighted(2),
      dr: this.withModel ? weighted(3) : undefined,
      dm: this.withModel ? weighted(4) : undefined,
    };
  }
}
