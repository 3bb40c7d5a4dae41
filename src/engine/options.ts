/**
 * Engine options: defaults, validation, and the resolved form both engines run on. Defaults are
 * applied once here; nothing else in the engine reads a raw option.
 */
import { describeValue } from "./errors.js";
import type { ArmPrior, Exploration, KernelBuild, LinUCBOptions, ResolvedOptions } from "./types.js";

/** Default values of every optional field of {@link LinUCBOptions}. */
export const defaultOptions = {
  alpha: 1,
  lambda: 1,
  discount: 1,
  interceptIndex: 0,
  exploration: "ucb" as Exploration,
  seed: 0,
  build: "auto" as KernelBuild,
  statistics: true,
  pooling: false,
} as const;

/** Ridge of the pooled per-arm fits when `pooling` is `true`. */
export const defaultPoolingRidge = 1;

/**
 * Range of the ridges λ and `pooling.ridge`, and the least discount: with them every entry of A⁻¹
 * (at most 1/(γ·w·λ), w ≥ 10⁻⁶) stays far from f64 overflow, which the kernel's update relies on
 * (assembly/guard.ts). Values outside are not meaningful ridges or forgetting rates anyway.
 */
export const minRidge = 1e-100;
export const maxRidge = 1e100;
export const minDiscount = 1e-100;

/** Largest dimension accepted: at 4096 one model already holds 256 MiB (A⁻¹ and Σxxᵀ). */
export const maxDimension = 4096;

const builds: readonly KernelBuild[] = ["auto", "relaxed", "simd", "scalar"];

function fail(kind: "type" | "range", name: string, expected: string, value: unknown): never {
  const message = `\`${name}\` must be ${expected}; received ${describeValue(value)}`;
  throw kind === "type" ? new TypeError(message) : new RangeError(message);
}

function finiteNumber(name: string, value: unknown): number {
  if (typeof value !== "number") fail("type", name, "a number", value);
  if (!Number.isFinite(value)) fail("range", name, "a finite number", value);
  return value;
}

/** Validates an exploration setting. */
export function resolveExploration(value: unknown, name = "exploration"): Exploration {
  if (value === "ucb") return "ucb";
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "epsilon") {
      const epsilon = (value as { epsilon: unknown }).epsilon;
      if (typeof epsilon !== "number" || !(epsilon >= 0 && epsilon <= 1)) {
        fail(typeof epsilon === "number" ? "range" : "type", `${name}.epsilon`, "a number in [0, 1]", epsilon);
      }
      return { epsilon };
    }
    if (keys.length === 1 && keys[0] === "softmax") {
      const temperature = (value as { softmax: unknown }).softmax;
      if (typeof temperature !== "number" || !(temperature > 0) || !Number.isFinite(temperature)) {
        fail(
          typeof temperature === "number" ? "range" : "type",
          `${name}.softmax`,
          "a finite temperature > 0",
          temperature,
        );
      }
      return { softmax: temperature };
    }
  }
  return fail("type", name, "'ucb', { epsilon: number } or { softmax: number }", value);
}

function resolvePrior(arm: string, prior: ArmPrior, dimension: number, interceptIndex: number): Float64Array {
  const name = `priors[${JSON.stringify(arm)}]`;
  const mean = new Float64Array(dimension);
  if (typeof prior === "number") {
    if (!Number.isFinite(prior)) fail("range", name, "a finite number or a vector", prior);
    mean[interceptIndex] = prior;
    return mean;
  }
  if (prior === null || typeof prior !== "object" || typeof (prior as ArrayLike<number>).length !== "number") {
    fail("type", name, "a number or an array of numbers", prior);
  }
  if (prior.length !== dimension) {
    fail("range", `${name}.length`, `equal to dimension (${dimension})`, prior.length);
  }
  for (let i = 0; i < dimension; i++) {
    const value = prior[i];
    if (typeof value !== "number" || !Number.isFinite(value)) fail("range", `${name}[${i}]`, "a finite number", value);
    mean[i] = value;
  }
  return mean;
}

/** b starts at λ·θ₀ (and a pooled fit at ridge·θ₀): a prior mean so large that it overflows is refused. */
function checkPriorScale(arms: readonly string[], means: readonly Float64Array[], ridge: number): void {
  means.forEach((mean, a) => {
    const bad = mean.findIndex((value) => !Number.isFinite(ridge * value));
    if (bad < 0) return;
    fail(
      "range",
      `priors[${JSON.stringify(arms[a])}][${bad}]`,
      `small enough that the ridge ${ridge} times it is finite`,
      mean[bad],
    );
  });
}

/**
 * The creation options that reproduce resolved ones (priors by arm id, pooling with its ridge):
 * `resolveOptions(creationOptions(r))` equals `r`. Used to rebuild an engine from a snapshot or
 * to make a copy of one with a few options changed.
 */
export function creationOptions(
  resolved: Omit<ResolvedOptions, "build"> & { readonly build?: KernelBuild },
): LinUCBOptions {
  return {
    dimension: resolved.dimension,
    arms: [...resolved.arms],
    alpha: resolved.alpha,
    lambda: resolved.lambda,
    discount: resolved.discount,
    priors: Object.fromEntries(resolved.arms.map((arm, a) => [arm, resolved.priorMeans[a]!])),
    interceptIndex: resolved.interceptIndex,
    exploration: resolved.exploration,
    seed: resolved.seed,
    statistics: resolved.statistics,
    pooling: resolved.pooling
      ? { ridge: resolved.poolingRidge, ...(resolved.shrinkage === "auto" ? { shrinkage: "auto" as const } : {}) }
      : false,
    ...(resolved.build === undefined ? {} : { build: resolved.build }),
  };
}

/** Validates options and applies defaults. Throws TypeError/RangeError naming the option and value. */
export function resolveOptions(options: LinUCBOptions): ResolvedOptions {
  if (options === null || typeof options !== "object") fail("type", "options", "an object", options);
  const { dimension } = options;
  if (typeof dimension !== "number") fail("type", "dimension", "a positive integer", dimension);
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > maxDimension) {
    fail("range", "dimension", `a positive integer ≤ ${maxDimension}`, dimension);
  }

  const arms = options.arms;
  if (!Array.isArray(arms)) fail("type", "arms", "an array of arm ids (strings)", arms);
  if (arms.length === 0) fail("range", "arms", "a non-empty array", arms);
  const seen = new Set<string>();
  for (let i = 0; i < arms.length; i++) {
    const id: unknown = arms[i];
    if (typeof id !== "string") fail("type", `arms[${i}]`, "a string", id);
    if (id.length === 0) fail("range", `arms[${i}]`, "a non-empty string", id);
    if (seen.has(id)) fail("range", `arms[${i}]`, "unique (duplicate arm id)", id);
    seen.add(id);
  }

  const alpha = finiteNumber("alpha", options.alpha ?? defaultOptions.alpha);
  if (alpha < 0) fail("range", "alpha", "≥ 0", alpha);
  const lambda = finiteNumber("lambda", options.lambda ?? defaultOptions.lambda);
  if (!(lambda >= minRidge && lambda <= maxRidge))
    fail("range", "lambda", `> 0, within [${minRidge}, ${maxRidge}]`, lambda);
  const discount = finiteNumber("discount", options.discount ?? defaultOptions.discount);
  if (!(discount >= minDiscount && discount <= 1))
    fail("range", "discount", `in (0, 1], at least ${minDiscount}`, discount);

  const interceptIndex = options.interceptIndex ?? defaultOptions.interceptIndex;
  if (typeof interceptIndex !== "number") fail("type", "interceptIndex", "an integer", interceptIndex);
  if (!Number.isInteger(interceptIndex) || interceptIndex < 0 || interceptIndex >= dimension) {
    fail("range", "interceptIndex", `an integer in [0, ${dimension - 1}]`, interceptIndex);
  }

  const priors = options.priors ?? {};
  if (priors === null || typeof priors !== "object" || Array.isArray(priors)) {
    fail("type", "priors", "an object keyed by arm id", priors);
  }
  for (const key of Object.keys(priors)) {
    if (!seen.has(key))
      fail("range", "priors", `keyed by known arm ids (${arms.map((a) => JSON.stringify(a)).join(", ")})`, key);
  }
  // Own properties only: an arm named like an Object.prototype member ("toString") has no prior
  // unless the caller gave one.
  const priorMeans = arms.map((arm) =>
    !Object.hasOwn(priors, arm) || priors[arm] === undefined
      ? new Float64Array(dimension)
      : resolvePrior(arm, priors[arm] as ArmPrior, dimension, interceptIndex),
  );

  const exploration = resolveExploration(options.exploration ?? defaultOptions.exploration);

  const seed = options.seed ?? defaultOptions.seed;
  if (typeof seed !== "number") fail("type", "seed", "an integer in [0, 2³² − 1]", seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    fail("range", "seed", "an integer in [0, 2³² − 1]", seed);

  const build = options.build ?? defaultOptions.build;
  if (!builds.includes(build)) fail("range", "build", "one of 'auto', 'relaxed', 'simd', 'scalar'", build);

  const statistics = options.statistics ?? defaultOptions.statistics;
  if (typeof statistics !== "boolean") fail("type", "statistics", "a boolean", statistics);

  const { pooling, poolingRidge, shrinkage, strength } = resolvePooling(
    options.pooling ?? defaultOptions.pooling,
    lambda,
    options.lambda !== undefined,
  );
  if (pooling && !statistics)
    fail(
      "range",
      "pooling",
      "false when `statistics` is false (pooling sums the statistics of all cells)",
      options.pooling,
    );

  checkPriorScale(arms, priorMeans, Math.max(lambda, pooling ? poolingRidge : 0));

  if (options.cells !== undefined && !Array.isArray(options.cells))
    fail("type", "cells", "an array of cell ids", options.cells);

  return {
    dimension,
    arms: Object.freeze([...arms]),
    alpha,
    lambda: strength,
    discount,
    priorMeans,
    interceptIndex,
    exploration,
    seed,
    build,
    statistics,
    pooling,
    poolingRidge,
    shrinkage,
  };
}

const poolingExpected = "true, false or { ridge?: number, shrinkage?: 'auto' | number }";

/**
 * Validates `pooling`. A numeric `shrinkage` is the per-cell ridge: it replaces `lambda`, and a
 * `lambda` given beside it must be equal (two values for one strength would be ambiguous).
 */
function resolvePooling(
  option: unknown,
  lambda: number,
  lambdaGiven: boolean,
): { pooling: boolean; poolingRidge: number; shrinkage: "auto" | "fixed"; strength: number } {
  if (typeof option === "boolean")
    return { pooling: option, poolingRidge: defaultPoolingRidge, shrinkage: "fixed", strength: lambda };
  if (typeof option !== "object" || option === null || Array.isArray(option))
    fail("type", "pooling", poolingExpected, option);
  const unknown = Object.keys(option).filter((key) => key !== "ridge" && key !== "shrinkage");
  if (unknown.length > 0) fail("type", "pooling", poolingExpected, option);
  const poolingRidge = finiteNumber("pooling.ridge", (option as { ridge?: unknown }).ridge ?? defaultPoolingRidge);
  if (!(poolingRidge >= minRidge && poolingRidge <= maxRidge))
    fail("range", "pooling.ridge", `> 0, within [${minRidge}, ${maxRidge}]`, poolingRidge);
  const shrinkage: unknown = (option as { shrinkage?: unknown }).shrinkage;
  if (shrinkage === undefined) return { pooling: true, poolingRidge, shrinkage: "fixed", strength: lambda };
  if (shrinkage === "auto") return { pooling: true, poolingRidge, shrinkage: "auto", strength: lambda };
  if (typeof shrinkage !== "number") fail("type", "pooling.shrinkage", "'auto' or a number", shrinkage);
  if (!(shrinkage >= minRidge && shrinkage <= maxRidge))
    fail("range", "pooling.shrinkage", `a number > 0, within [${minRidge}, ${maxRidge}]`, shrinkage);
  if (lambdaGiven && lambda !== shrinkage)
    fail("range", "pooling.shrinkage", `equal to \`lambda\` (${lambda}) when both are given`, shrinkage);
  return { pooling: true, poolingRidge, shrinkage: "fixed", strength: shrinkage };
}
