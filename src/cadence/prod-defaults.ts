/**
 * The engine configuration of a production refit, apart from dimension and arms (which come from
 * the corpus and the active policy). Production code's own copy: the prod cadence never imports
 * src/synthetic, where the warm-up's configuration lives.
 *
 * Disjoint LinUCB per cell with pooling across cells (ridge 1), the per-cell ridge toward the
 * pooled prior estimated from the corpus at every refit (`shrinkage: 'auto'`: empirical Bayes,
 * src/engine/shrinkage.ts; `lambda` is only the strength before the first estimate), and
 * statistics kept (the evaluation and the next refit need them). It is the procedure the warm-up
 * validates on its planted worlds (src/synthetic/gate.ts): each model's fit over all cells is what
 * a cell starts from, and the data say how far a cell's own rows move it. `alpha` only sets how
 * widely the served policy explores, not the greedy choice the gate evaluates.
 */
import type { LinUCBOptions } from "../engine/types.js";

/** Engine options of a production refit (overridable with `CadenceOptions.engine`). */
export const PROD_ENGINE_DEFAULTS = {
  lambda: 10_000,
  alpha: 1,
  pooling: { ridge: 1, shrinkage: "auto" },
  statistics: true,
} as const satisfies Partial<LinUCBOptions>;

/**
 * The engine options of a production refit: the defaults, the overrides, and — when the overrides
 * set `lambda` but not `pooling` — that λ as the fixed per-cell ridge (whoever sets λ means that
 * strength, not a starting point for the estimate).
 */
export function prodEngineOptions(overrides: Partial<LinUCBOptions>): Partial<LinUCBOptions> {
  const fixed =
    overrides.lambda !== undefined && overrides.pooling === undefined
      ? { pooling: { ridge: PROD_ENGINE_DEFAULTS.pooling.ridge, shrinkage: overrides.lambda } }
      : {};
  return { ...PROD_ENGINE_DEFAULTS, ...overrides, ...fixed };
}
