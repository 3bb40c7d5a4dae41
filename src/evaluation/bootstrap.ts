/**
 * Seeded percentile bootstrap for estimators that are a ratio of sums, Σ uᵢ / Σ vᵢ over events:
 * a mean (vᵢ = 1: IPS, DR, DM), a self-normalised mean (vᵢ = wᵢ: SNIPS) or a mean over kept events
 * (vᵢ = kept: replay). Resampling events and recomputing the ratio keeps the randomness of the
 * denominator — for replay, how many events were kept — inside the interval.
 */
import { createSeededRandom } from "./random.js";
import { checkLevel, checkPositiveInteger, checkSeed } from "./validate.js";

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
  const { level, resamples, seed } = resolveBootstrapOptions(options);
  const n = numerators.length;
  if (denominators !== undefined && denominators.length !== n) {
    throw new RangeError(`\`denominators\` must have length ${n} (one per numerator); received length ${denominators.length}`);
  }
  const random = createSeededRandom(seed);
  const estimates = new Float64Array(resamples);
  let valid = 0;
  for (let b = 0; b < resamples; b++) {
    let top = 0;
    let bottom = 0;
    if (denominators === undefined) {
      for (let j = 0; j < n; j++) top += numerators[random.nextBelow(n)];
      bottom = n;
    } else {
      for (let j = 0; j < n; j++) {
        const i = random.nextBelow(n);
        top += numerators[i];
        bottom += denominators[i];
      }
    }
    if (bottom !== 0) estimates[valid++] = top / bottom;
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
