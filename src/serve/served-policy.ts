/**
 * The policy `linucb serve` routes with: either the active policy version, restored from its
 * snapshot under the exploration it was promoted with, or — before any promotion — the uniform
 * policy over the known models (propensity exactly 1/K). Immutable once built: a hot reload builds
 * a new one and swaps the reference, so a request that picked up a policy finishes on it.
 */
import { restoreLinUCB, type LinUCB } from "../engine/linucb.js";
import { resolveExploration } from "../engine/options.js";
import type { Exploration } from "../engine/types.js";
import type { ActivePolicy, JsonObject } from "../store/index.js";

/** One routing choice and the exact probability with which it was made. */
export interface PolicyChoice {
  readonly model: string;
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
  /** Chooses a model for one request; `features` has length `dimension` and is finite. */
  choose(cell: string, features: Float64Array): PolicyChoice;
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
  return {
    versionId: null,
    activatedAt: null,
    parameters: null,
    exploration: "uniform",
    models: sorted,
    dimension,
    choose: () => ({ model: sorted[Math.min(sorted.length - 1, Math.floor(random() * sorted.length))]!, propensity }),
  };
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
  return {
    versionId: active.id,
    activatedAt: active.activatedAt,
    parameters: active.parameters,
    exploration,
    models: [...engine.arms],
    dimension: engine.dimension,
    choose(cell, features) {
      const selection = engine.select(cell, features);
      return { model: selection.arm, propensity: selection.propensity };
    },
  };
}
