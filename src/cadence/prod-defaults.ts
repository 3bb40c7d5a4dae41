/**
 * The engine configuration of a production refit, apart from dimension and arms (which come from
 * the corpus and the active policy). Production code's own copy: the prod cadence never imports
 * src/synthetic, where the warm-up's configuration lives.
 *
 * Disjoint LinUCB per cell with pooling across cells (ridge 1), a strong per-cell ridge toward the
 * pooled prior (λ = 10,000) and statistics kept (the evaluation and the next refit need them). The
 * values are those the warm-up measured on its planted worlds (src/synthetic/gate.ts): routing
 * cells see few rows per (cell, model), so each model's fit over all cells, used as every cell's
 * prior, is what a cell learns from until it has thousands of rows of its own. `alpha` only sets
 * how widely the served policy explores, not the greedy choice the gate evaluates.
 */
import type { LinUCBOptions } from "../engine/types.js";

/** Engine options of a production refit (overridable with `CadenceOptions.engine`). */
export const PROD_ENGINE_DEFAULTS = {
  lambda: 10_000,
  alpha: 1,
  pooling: { ridge: 1 },
  statistics: true,
} as const satisfies Partial<LinUCBOptions>;
