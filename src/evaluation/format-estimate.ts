/**
 * One-line text of an estimate, for terminals, logs and reports: the value, the interval and the
 * effective sample size, which are the three numbers a reader needs to judge it.
 */
import type { OffPolicyEstimate } from "./estimate.js";

/**
 * E.g. `ips 0.003009 [0.001733, 0.004663] 95% · ESS 655.7 · 10000 events`; replay adds the number of
 * kept events.
 * @param digits Significant digits of the value and bounds. @default 4
 */
export function formatEstimate(estimate: OffPolicyEstimate, digits = 4): string {
  const number = (value: number) => (Number.isFinite(value) ? value.toPrecision(digits) : String(value));
  const level = `${Math.round(estimate.interval.level * 1000) / 10}%`;
  const kept = "kept" in estimate ? ` · kept ${String(estimate.kept)}` : "";
  return (
    `${estimate.estimator} ${number(estimate.value)} [${number(estimate.interval.lower)}, ${number(estimate.interval.upper)}] ${level}` +
    ` · ESS ${estimate.effectiveSampleSize.toFixed(1)}${kept} · ${estimate.events} events`
  );
}
