/**
 * The one fixed-decimals number format of the reports, terminal tables and the synthetic world's
 * convergence table: missing or non-finite values read as an em dash. (Off-policy estimates have
 * their own format, src/evaluation/format-estimate.ts, which spells NaN out: an estimate that is
 * NaN is a finding, not a blank.) It imports nothing, so every layer may use it.
 */

/** `value` with `digits` decimals, or an em dash when there is no finite number. */
export function fixed(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "—" : value.toFixed(digits);
}
