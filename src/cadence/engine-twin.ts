/**
 * Twins of an engine: a new engine with the same models (its exact sufficient statistics merged
 * in) but a few options changed. The evaluation uses two kinds, so that it never mutates the
 * engine it evaluates (selecting in a cell the engine has never seen creates that cell, and the
 * candidate's snapshot must be what it learned, nothing else):
 *
 * - the policy twin (exploration 'ucb'): the deterministic UCB argmax the engine would serve,
 *   evaluated as a one-hot target policy;
 * - the reward-model twin (alpha 0, so its scores are θᵀx): the direct-method model q̂ of DR.
 */
import { createLinUCB } from "../engine/linucb.js";
import { creationOptions } from "../engine/options.js";
import type { LinUCBEngine, LinUCBOptions, ResolvedOptions } from "../engine/types.js";

/** The creation options that reproduce `resolved` (the engine's own mapping). */
export const engineOptionsOf: (resolved: ResolvedOptions) => LinUCBOptions = creationOptions;

/**
 * A new engine with `engine`'s models and `overrides` applied. Needs the engine's statistics (the
 * default); without them, the engine itself is returned when the overrides change nothing it would
 * do, and an error is thrown otherwise.
 */
export async function twinOf(engine: LinUCBEngine, overrides: Pick<LinUCBOptions, "alpha" | "exploration">): Promise<LinUCBEngine> {
  if (!engine.options.statistics) {
    const same =
      (overrides.alpha === undefined || overrides.alpha === engine.options.alpha) &&
      (overrides.exploration === undefined || JSON.stringify(overrides.exploration) === JSON.stringify(engine.options.exploration));
    if (same) return engine;
    throw new RangeError(
      `cannot evaluate a policy kept without statistics (statistics: false) under other options (${JSON.stringify(overrides)}); ` +
        "keep statistics (the default) to evaluate it offline",
    );
  }
  const twin = await createLinUCB({ ...engineOptionsOf(engine.options), ...overrides });
  twin.mergeStatistics(engine.exportStatistics());
  return twin;
}
