/**
 * Forgetting by age: a per-day discount γ applied to the rows of a refit by how old they are. A row
 * created at c weighs w = γ^((T − c) / 1 day), where T (the run's `asOfMs`) is the newest created_at
 * of the corpus when the run split it — the data's own clock, so the same rows give the same policy
 * whenever the refit runs. The weight enters the statistics as weighted least squares: the row's
 * context and reward are scaled by √w before they are accumulated, so Σxxᵀ, Σrx and Σr² each carry w
 * once (the count n stays the number of rows).
 *
 * Why it can be incremental, exactly: every weight of a statistic fitted at T₀ carries the same
 * factor when the clock moves on to T, γ^((T − c)/day) = γ^((T − T₀)/day) · γ^((T₀ − c)/day), so the
 * stored statistics are brought to T by multiplying them by γ^((T − T₀)/day) ({@link discountStatistics})
 * — the order the rows were read in plays no part, unlike the engine's per-update `discount`.
 *
 * The prior does not fade (issue 12): λI and the pooled prior's ridge are not statistics and keep
 * their full weight, so a model whose rows have all grown old leans back toward its prior (the pooled
 * fit of its arm over every cell, itself weighted by age), never toward an unregularised fit of few
 * effective rows.
 */
import type { EventBatch, LinUCBStatistics } from "../engine/types.js";
import type { CorpusChunk } from "../store/index.js";

/** Milliseconds in a day: the discount's unit of age. */
export const DAY_MS = 86_400_000;

/** The discount of one run: γ per day, and the instant ages are measured from. */
export interface Forgetting {
  /** γ ∈ (0, 1]; 1 is no forgetting. */
  readonly dailyDiscount: number;
  /** The reference instant T (ms since the epoch): the corpus's newest created_at. */
  readonly asOfMs: number;
}

/** A run's forgetting: its daily discount, ages measured from the corpus's newest row (0 for an empty corpus). */
export function forgettingOf(dailyDiscount: number, split: { readonly newestAtMs: number | null }): Forgetting {
  return { dailyDiscount, asOfMs: split.newestAtMs ?? 0 };
}

/** The weight of a row created at `createdAtMs`: γ^((T − c) / day). */
export function rowWeight(forgetting: Forgetting, createdAtMs: number): number {
  return forgetting.dailyDiscount ** ((forgetting.asOfMs - createdAtMs) / DAY_MS);
}

/**
 * The chunk as the engine should accumulate it under `forgetting`: contexts and rewards scaled by √w
 * (new arrays; the chunk itself, which the evaluation and the checks read, is left as it was).
 */
export function weightedBatch(chunk: CorpusChunk, forgetting: Forgetting): EventBatch {
  const d = chunk.dimension;
  const contexts = new Float64Array(chunk.contexts.length);
  const rewards = new Float64Array(chunk.length);
  for (let i = 0; i < chunk.length; i++) {
    const root = Math.sqrt(rowWeight(forgetting, chunk.createdAtMs[i]!));
    rewards[i] = chunk.rewards[i]! * root;
    for (let j = i * d; j < i * d + d; j++) contexts[j] = chunk.contexts[j]! * root;
  }
  return { cells: chunk.cells, arms: chunk.arms, contexts, rewards };
}

/** The factor that brings statistics weighted at `fromMs` to `toMs`: γ^((to − from) / day). */
export function discountFactor(dailyDiscount: number, fromMs: number, toMs: number): number {
  return dailyDiscount ** ((toMs - fromMs) / DAY_MS);
}

/** Statistics with Σxxᵀ, Σrx and Σr² multiplied by `factor` (counts and prior weights unchanged). */
export function discountStatistics(stats: LinUCBStatistics, factor: number): LinUCBStatistics {
  if (factor === 1) return stats;
  const scale = (values: Float64Array): Float64Array => values.map((v) => v * factor);
  return {
    ...stats,
    xx: scale(stats.xx),
    xr: scale(stats.xr),
    ...(stats.yy === undefined ? {} : { yy: scale(stats.yy) }),
  };
}
