/**
 * The policy `linucb serve` routes with: either the active policy version, restored from its
 * snapshot under the exploration it was promoted with, or — before any promotion — the uniform
 * policy over the known models (propensity exactly 1/K). Immutable once built: a hot reload builds
 * a new one and swaps the reference, so a request that picked up a policy finishes on it.
 */
import { restoreLinUCB, type LinUCB } from "../engine/linucb.js";
import { resolveExploration } from "../engine/options.js";
import type { Exploration, SelectionTarget } from "../engine/types.js";
import type { ActivePolicy, JsonObject } from "../store/index.js";

/** One routing choice and the exact probability with which it was made. */
export interface PolicyChoice {
  readonly model: string;
  /** The model's index in `models`. */
  readonly armIndex: number;
  readonly propensity: number;
}

/** What `GET /v1/policy` shows and every decision records. */
export interface ServedPolicy {
  /** The policy version, or null for the uniform policy (nothing promoted yet). */
  readonly versionId: number | null;
  /** When this version became active (null for the uniform policy). */
  readonly activatedAt: Date | null;
  /** The version's stored parameters (null for the uniform policy). */
  readonly parameters: JsonObject | null;
  /** The exploration choices are drawn under; "uniform" before any promotion. */
  readonly exploration: Exploration | "uniform";
  /** The models (arms) it chooses among, sorted. */
  readonly models: readonly string[];
  /** The feature dimension every request must have. */
  readonly dimension: number;
  /**
   * Chooses a model for one request; `features` has length `dimension` and is finite. The result
   * may be an object the policy reuses for its next choice: read it before choosing again.
   */
  choose(cell: string, features: ArrayLike<number>): PolicyChoice;
}

/** The uniform policy over `models` (before any promotion): each model with probability 1/K. */
export function uniformPolicy(
  models: readonly string[],
  dimension: number,
  random: () => number = Math.random,
): ServedPolicy {
  const sorted = [...new Set(models)].sort();
  if (sorted.length === 0) throw new RangeError("the uniform policy needs at least one model; received none");
  const propensity = 1 / sorted.length;
  const choice = { model: sorted[0]!, armIndex: 0, propensity };
  return {
    versionId: null,
    activatedAt: null,
    parameters: null,
    exploration: "uniform",
    models: sorted,
    dimension,
    choose() {
      choice.armIndex = Math.min(sorted.length - 1, Math.floor(random() * sorted.length));
      choice.model = sorted[choice.armIndex]!;
      return choice;
    },
  };
}

/** The engine's selection target, read as a {@link PolicyChoice} (`model`: the chosen arm). */
class EngineChoice implements SelectionTarget, PolicyChoice {
  arm = "";
  armIndex = 0;
  propensity = 0;
  get model(): string {
    return this.arm;
  }
}

/**
 * The exploration a version is served with: `parameters.exploration` as promoted (the agreed
 * contract), else `fallback` for versions promoted before the field existed. A malformed value
 * throws a RangeError/TypeError naming `policy_versions.parameters.exploration`.
 */
export function explorationOf(parameters: JsonObject, fallback: Exploration): Exploration {
  const recorded = parameters.exploration;
  return recorded === undefined ? fallback : resolveExploration(recorded, "policy_versions.parameters.exploration");
}

/** Restores the active policy into an engine and serves it under its exploration. */
export async function activeVersionPolicy(
  active: ActivePolicy,
  fallbackExploration: Exploration,
): Promise<ServedPolicy> {
  const exploration = explorationOf(active.parameters, fallbackExploration);
  const engine: LinUCB = await restoreLinUCB(active.snapshot, { exploration });
  const selection = new EngineChoice();
  return {
    versionId: active.id,
    activatedAt: active.activatedAt,
    parameters: active.parameters,
    exploration,
    models: [...engine.arms],
    dimension: engine.dimension,
    // One selection target per policy, filled in place: the route's hot path allocates nothing here.
    choose: (cell, features) => engine.select(cell, features, selection),
  };
}
