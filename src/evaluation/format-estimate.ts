/**
 * Estimates as text, for terminals, logs and reports: the value, the interval and the effective
 * sample size, which are the three numbers a reader needs to judge it. Every place that prints an
 * estimate (the one-line form here, the cadence report's table, `linucb evaluate`'s table) takes its
 * pieces from `estimateParts`, so the numbers read the same everywhere.
 */
import type { OffPolicyEstimate } from "./estimate.js";

/**
 * How the numbers of an estimate are written: `significant` digits suit values of any scale; a
 * `fixed` number of decimals lines up a column of rewards in [0, 1].
 */
export interface EstimateNumberFormat {
  /** Significant digits, or decimals when `notation` is `fixed`. @default 4 */
  readonly digits?: number;
  /** @default "significant" */
  readonly notation?: "significant" | "fixed";
}

/** The text pieces of an estimate, e.g. `0.003009`, `[0.001733, 0.004663]`, `95%`, `655.7`. */
export interface EstimateParts {
  readonly value: string;
  readonly interval: string;
  readonly level: string;
  readonly effectiveSampleSize: string;
}

/** One number of an estimate; NaN and ±Infinity are written as such rather than hidden. */
export function formatEstimateNumber(value: number, format: EstimateNumberFormat = {}): string {
  if (!Number.isFinite(value)) return String(value);
  const digits = format.digits ?? 4;
  return format.notation === "fixed" ? value.toFixed(digits) : value.toPrecision(digits);
}

/** The value, interval, level and effective sample size (one decimal) of an estimate as text. */
export function estimateParts(estimate: OffPolicyEstimate, format: EstimateNumberFormat = {}): EstimateParts {
  const number = (value: number): string => formatEstimateNumber(value, format);
  return {
    value: number(estimate.value),
    interval: `[${number(estimate.interval.lower)}, ${number(estimate.interval.upper)}]`,
    level: `${Math.round(estimate.interval.level * 1000) / 10}%`,
    effectiveSampleSize: estimate.effectiveSampleSize.toFixed(1),
  };
}

/**
 * E.g. `ips 0.003009 [0.001733, 0.004663] 95% · ESS 655.7 · 10000 events`; replay adds the number of
 * kept events.
 * @param digits Significant digits of the value and bounds. @default 4
 */
export function formatEstimate(estimate: OffPolicyEstimate, digits = 4): string {
  const parts = estimateParts(estimate, { digits });
  const kept = "kept" in estimate ? ` · kept ${String(estimate.kept)}` : "";
  return (
    `${estimate.estimator} ${parts.value} ${parts.interval} ${parts.level}` +
    ` · ESS ${parts.effectiveSampleSize}${kept} · ${estimate.events} events`
  );
}
