/**
 * Seeded percentile bootstrap for estimators that are a ratio of sums, Σ uᵢ / Σ vᵢ over events:
 * a mean (vᵢ = 1: IPS, DR, DM), a self-normalised mean (vᵢ = wᵢ: SNIPS) or a mean over kept events
 * (vᵢ = kept: replay). Resampling events and recomputing the ratio keeps the randomness of the
 * denominator — for replay, how many events were kept — inside the interval.
 *
 * A resample needs only Σu and Σv, so it is drawn over resampling groups' sums, not over events
 * (src/evaluation/resampling-groups.ts): the cost is rows + resamples × groups, and with at most
 * `groups` events every event is its own group and the draws are the row bootstrap's.
 */
import { checkMaxGroups, GroupSums, resampleSums, resamplingGroups } from "./resampling-groups.js";
import { checkLevel, checkPositiveInteger, checkSeed, describeValue } from "./validate.js";

/** Options of the bootstrap interval. */
export interface BootstrapOptions {
  /** Confidence level of the interval, in (0, 1). @default 0.95 */
  readonly level?: number;
  /** Number of bootstrap resamples. @default 1000 */
  readonly resamples?: number;
  /** Seed of the resampling stream (unsigned 32-bit integer); the same seed gives the same interval. @default 0 */
  readonly seed?: number;
  /**
   * The most resampling groups G: with more events than this, events are dealt into G groups of
   * near-equal size (seeded) and resamples draw groups, so the cost no longer grows with
   * resamples × events. @default 4096 (see src/evaluation/resampling-groups.ts)
   */
  readonly groups?: number;
}

/** A percentile bootstrap confidence interval. */
export interface ConfidenceInterval {
  /** Lower bound: the (1 − level)/2 quantile of the resampled estimates. */
  readonly lower: number;
  /** Upper bound: the (1 + level)/2 quantile of the resampled estimates. */
  readonly upper: number;
  readonly level: number;
  /** Standard deviation of the resampled estimates: the bootstrap standard error. */
  readonly standardError: number;
  readonly resamples: number;
  readonly seed: number;
  /**
   * Resamples whose denominator was 0 (e.g. replay resamples that kept no event); they have no
   * estimate and are left out of the quantiles.
   */
  readonly degenerate: number;
  /** Resampling groups drawn per resample: the events when there are at most `groups` of them. */
  readonly groups: number;
}

/** Bootstrap options with defaults applied and values checked. */
export interface ResolvedBootstrapOptions {
  readonly level: number;
  readonly resamples: number;
  readonly seed: number;
  /** The most resampling groups. */
  readonly groups: number;
}

/** Applies the defaults of {@link BootstrapOptions} and validates them. */
export function resolveBootstrapOptions(options: BootstrapOptions = {}): ResolvedBootstrapOptions {
  return {
    level: options.level === undefined ? 0.95 : checkLevel(options.level, "level"),
    resamples: options.resamples === undefined ? 1000 : checkPositiveInteger(options.resamples, "resamples"),
    seed: options.seed === undefined ? 0 : checkSeed(options.seed, "seed"),
    groups: checkMaxGroups(options.groups),
  };
}

/** One ratio statistic Σ uᵢ / Σ vᵢ for {@link bootstrapRatios}. */
export interface RatioStatistic {
  /** uᵢ per event. */
  readonly numerators: Float64Array;
  /** vᵢ per event, or `undefined` for the plain mean (vᵢ = 1). */
  readonly denominators?: Float64Array | undefined;
}

/**
 * Percentile bootstrap interval of Σ uᵢ / Σ vᵢ.
 * @param numerators uᵢ per event.
 * @param denominators vᵢ per event, or `undefined` for the plain mean (vᵢ = 1).
 */
export function bootstrapRatio(
  numerators: Float64Array,
  denominators: Float64Array | undefined,
  options: BootstrapOptions = {},
): ConfidenceInterval {
  return bootstrapRatios([{ numerators, denominators }], options)[0];
}

/**
 * Percentile bootstrap intervals of several ratio statistics over the same events, drawing each
 * resample's event indices once for all of them. The draws depend only on the seed and the number of
 * events, so each interval equals what {@link bootstrapRatio} gives for that statistic alone.
 */
export function bootstrapRatios(
  statistics: readonly RatioStatistic[],
  options: BootstrapOptions = {},
): ConfidenceInterval[] {
  const { level, resamples, seed, groups } = resolveBootstrapOptions(options);
  if (!Array.isArray(statistics) || statistics.length === 0) {
    throw new TypeError(
      `\`statistics\` must be a non-empty array of { numerators, denominators? }; ` +
        `received ${describeValue(statistics)}`,
    );
  }
  const n = statistics[0].numerators?.length;
  for (const [s, { numerators, denominators }] of statistics.entries()) {
    if (!(numerators instanceof Float64Array)) {
      throw new TypeError(
        `\`statistics[${s}].numerators\` must be a Float64Array; received ${describeValue(numerators)}`,
      );
    }
    if (numerators.length !== n) {
      throw new RangeError(
        `\`statistics[${s}].numerators\` must have length ${n} like the first statistic; ` +
          `received length ${numerators.length}`,
      );
    }
    if (denominators !== undefined && (!(denominators instanceof Float64Array) || denominators.length !== n)) {
      throw new RangeError(
        `\`statistics[${s}].denominators\` must be a Float64Array of length ${n} (one per numerator); ` +
          `received ${describeValue(denominators)}`,
      );
    }
  }
  const table = new GroupSums(resamplingGroups(n, groups, seed));
  const columns = statistics.map(({ numerators, denominators }) => ratioColumns(table, numerators, denominators));
  const sums = resampleSums(table, resamples, seed);
  return columns.map((ratio) => ratioInterval(sums, table.columns.length, ratio, { level, resamples, seed }, table));
}

/** The column indices of a ratio's numerator and denominator in a {@link GroupSums} table. @internal */
export interface RatioColumns {
  readonly top: number;
  readonly bottom: number;
}

/** Adds a ratio's numerator and denominator (1 per event when undefined) to the table. @internal */
export function ratioColumns(
  table: GroupSums,
  numerators: Float64Array,
  denominators: Float64Array | undefined,
): RatioColumns {
  return { top: table.add(numerators), bottom: table.add(denominators) };
}

/**
 * The percentile interval of a ratio from resampled column sums (resamples × `width`, row-major).
 * @internal
 */
export function ratioInterval(
  sums: Float64Array,
  width: number,
  { top, bottom }: RatioColumns,
  { level, resamples, seed }: Omit<ResolvedBootstrapOptions, "groups">,
  table: GroupSums,
): ConfidenceInterval {
  const estimates = new Float64Array(resamples);
  let valid = 0;
  for (let b = 0; b < resamples; b++) {
    const denominator = sums[b * width + bottom]!;
    if (denominator !== 0) estimates[valid++] = sums[b * width + top]! / denominator;
  }
  const kept = estimates.subarray(0, valid).sort();
  return {
    lower: quantile(kept, (1 - level) / 2),
    upper: quantile(kept, (1 + level) / 2),
    level,
    standardError: standardDeviation(kept),
    resamples,
    seed,
    degenerate: resamples - valid,
    groups: table.groups.count,
  };
}

/** Quantile of sorted values by linear interpolation between order statistics (R's type 7). NaN when empty. */
export function quantile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const position = (n - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, n - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

function standardDeviation(values: Float64Array): number {
  const n = values.length;
  if (n < 2) return Number.NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - mean) ** 2;
  return Math.sqrt(squares / (n - 1));
}
