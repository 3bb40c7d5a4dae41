/**
 * Seeded percentile bootstrap for estimators that are a ratio of sums, Σ uᵢ / Σ vᵢ over events:
 * a mean (vᵢ = 1: IPS, DR, DM), a self-normalised mean (vᵢ = wᵢ: SNIPS) or a mean over kept events
 * (vᵢ = kept: replay). Resampling events and recomputing the ratio keeps the randomness of the
 * denominator — for replay, how many events were kept — inside the interval.
 */
import { createSeededRandom } from "./random.js";
import { checkLevel, checkPositiveInteger, checkSeed, describeValue } from "./validate.js";

/** Options of the bootstrap interval. */
export interface BootstrapOptions {
  /** Confidence level of the interval, in (0, 1). @default 0.95 */
  readonly level?: number;
  /** Number of bootstrap resamples. @default 1000 */
  readonly resamples?: number;
  /** Seed of the resampling stream (unsigned 32-bit integer); the same seed gives the same interval. @default 0 */
  readonly seed?: number;
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
}

/** Bootstrap options with defaults applied and values checked. */
export interface ResolvedBootstrapOptions {
  readonly level: number;
  readonly resamples: number;
  readonly seed: number;
}

/** Applies the defaults of {@link BootstrapOptions} and validates them. */
export function resolveBootstrapOptions(options: BootstrapOptions = {}): ResolvedBootstrapOptions {
  return {
    level: options.level === undefined ? 0.95 : checkLevel(options.level, "level"),
    resamples: options.resamples === undefined ? 1000 : checkPositiveInteger(options.resamples, "resamples"),
    seed: options.seed === undefined ? 0 : checkSeed(options.seed, "seed"),
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
  const { level, resamples, seed } = resolveBootstrapOptions(options);
  if (!Array.isArray(statistics) || statistics.length === 0) {
    throw new TypeError(
      `\`statistics\` must be a non-empty array of { numerators, denominators? }; received ${describeValue(statistics)}`,
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
        `\`statistics[${s}].numerators\` must have length ${n} like the first statistic; received length ${numerators.length}`,
      );
    }
    if (denominators !== undefined && (!(denominators instanceof Float64Array) || denominators.length !== n)) {
      throw new RangeError(
        `\`statistics[${s}].denominators\` must be a Float64Array of length ${n} (one per numerator); received ${describeValue(denominators)}`,
      );
    }
  }
  const random = createSeededRandom(seed);
  const indices = new Int32Array(n);
  const estimates = statistics.map(() => new Float64Array(resamples));
  const valid = new Int32Array(statistics.length);
  for (let b = 0; b < resamples; b++) {
    random.fillBelow(indices, n);
    for (let s = 0; s < statistics.length; s++) {
      const { numerators, denominators } = statistics[s];
      let top = 0;
      let bottom = n;
      if (denominators === undefined) {
        for (let j = 0; j < n; j++) top += numerators[indices[j]];
      } else {
        bottom = 0;
        for (let j = 0; j < n; j++) {
          const i = indices[j];
          top += numerators[i];
          bottom += denominators[i];
        }
      }
      if (bottom !== 0) estimates[s][valid[s]++] = top / bottom;
    }
  }
  return estimates.map((all, s) => {
    const kept = all.subarray(0, valid[s]).sort();
    return {
      lower: quantile(kept, (1 - level) / 2),
      upper: quantile(kept, (1 + level) / 2),
      level,
      standardError: standardDeviation(kept),
      resamples,
      seed,
      degenerate: resamples - valid[s],
    };
  });
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
