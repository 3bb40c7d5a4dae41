/**
 * The production gate's figures as a table under the verdict: the paired gate's estimated gain Δ,
 * its lower bound and the margin, and the support checks of each policy (mean importance weight,
 * zero-weight share against the share the logged propensities predict, effective sample size,
 * and the effective sample size on the requests where the two policies differ), each failed check
 * marked ✗. The earlier gate shows its lower bound, the incumbent's estimate and the ESS.
 */
import type { CadenceResult } from "../cadence/index.js";
import { escapeHtml, fixed, percent } from "./svg.js";

/** One policy's support diagnostics, as the gate records them (JSON: non-finite numbers are null). */
interface Support {
  readonly meanWeight: number;
  readonly meanWeightStandardError: number;
  readonly meanWeightZ: number | null;
  readonly zeroWeightShare: number;
  readonly expectedZeroWeightShare: number | null;
  readonly zeroWeightExcessZ: number | null;
  readonly effectiveSampleSize: number;
}

interface PairedGate {
  readonly estimator: string;
  readonly alpha: number;
  readonly method: string | null;
  readonly margin: number;
  readonly difference: number | null;
  readonly lowerBound: number | null;
  readonly standardError: number | null;
  readonly minEffectiveSampleSize: number;
  readonly support: {
    readonly critical: number;
    readonly informative: {
      readonly events: number;
      readonly candidateEffectiveSampleSize: number;
      readonly incumbentEffectiveSampleSize: number;
    };
    readonly minInformativeEffectiveSampleSize: number;
    readonly candidate: Support;
    readonly incumbent: Support;
  } | null;
}

interface LowerBoundGate {
  readonly estimator: string;
  readonly candidateLower: number;
  readonly candidateValue: number;
  readonly incumbentValue: number;
  readonly effectiveSampleSize: number;
  readonly minEffectiveSampleSize: number;
}

function mark(failed: boolean): string {
  return failed ? ' <span class="flag">✗</span>' : "";
}

function supportRow(
  who: string,
  s: Support,
  critical: number,
  minEss: number,
  informativeEss: number,
  minInformative: number,
): string {
  const meanFails = Math.abs(s.meanWeightZ ?? Number.POSITIVE_INFINITY) > critical;
  const zeroFails = s.zeroWeightExcessZ !== null && s.zeroWeightExcessZ > critical;
  const expected = s.expectedZeroWeightShare === null ? "" : ` (log predicts ${percent(s.expectedZeroWeightShare)})`;
  const essFails = !(s.effectiveSampleSize >= minEss);
  const informativeFails = !(informativeEss >= minInformative);
  return (
    `<tr><th>${escapeHtml(who)}</th><td>${fixed(s.meanWeight, 3)} ± ` +
    `${fixed(s.meanWeightStandardError, 3)}${mark(meanFails)}</td><td ` +
    `class="text">${percent(s.zeroWeightShare)}${expected}${mark(zeroFails)}</td>` +
    `<td>${fixed(s.effectiveSampleSize, 1)}${mark(essFails)}</td>` +
    `<td>${fixed(informativeEss, 1)}${mark(informativeFails)}</td></tr>`
  );
}

function pairedTable(g: PairedGate): string {
  // Nothing was compared (no held-out row): the verdict already says why; there are no figures.
  if (g.support === null && (g.difference === null || !Number.isFinite(g.difference))) return "";
  const name = g.estimator.toUpperCase();
  const bound = `<p>Paired ${escapeHtml(g.method ?? "")} bootstrap of ${escapeHtml(name)}
over the same held-out requests: estimated gain Δ = ${fixed(g.difference, 4)}
(standard error ${fixed(g.standardError, 4)}), ${percent(1 - g.alpha, 1)} lower bound ${fixed(g.lowerBound, 4)}
against the margin ${g.margin}.</p>`;
  const s = g.support;
  if (s === null) return bound;
  const rows = [
    supportRow(
      "candidate",
      s.candidate,
      s.critical,
      g.minEffectiveSampleSize,
      s.informative.candidateEffectiveSampleSize,
      s.minInformativeEffectiveSampleSize,
    ),
    supportRow(
      "incumbent",
      s.incumbent,
      s.critical,
      g.minEffectiveSampleSize,
      s.informative.incumbentEffectiveSampleSize,
      s.minInformativeEffectiveSampleSize,
    ),
  ].join("");
  return `${bound}
<table class="chart" data-chart="gate-support"><thead><tr><th>support of the log</th><th>mean weight (1 if covered)</th>
<th>zero weight</th><th>ESS (min ${g.minEffectiveSampleSize})</th>
<th>ESS where they differ (min ${s.minInformativeEffectiveSampleSize},
${s.informative.events} requests)</th></tr></thead>
<tbody>${rows}</tbody></table>
<p class="muted">${rows.includes("✗") ? "✗: the check failed. " : ""}The weight tests allow ${fixed(s.critical, 2)}
standard errors.</p>`;
}

function lowerBoundTable(g: LowerBoundGate): string {
  const name = g.estimator.toUpperCase();
  return `<p>${escapeHtml(name)}: candidate ${fixed(g.candidateValue, 4)}, lower bound
${fixed(g.candidateLower, 4)}${mark(!(g.candidateLower > g.incumbentValue))};
incumbent ${fixed(g.incumbentValue, 4)}; effective sample size ${fixed(g.effectiveSampleSize, 1)} (min
${g.minEffectiveSampleSize})${mark(!(g.effectiveSampleSize >= g.minEffectiveSampleSize))}.</p>`;
}

/** The gate's figures for a production run ("" for a warm-up, whose figures are its convergence report). */
export function gateFigures(result: CadenceResult): string {
  if (result.mode !== "prod") return "";
  const gate = result.gate as object;
  if ("lowerBound" in gate && "support" in gate) return pairedTable(gate as PairedGate);
  if ("candidateLower" in gate) return lowerBoundTable(gate as LowerBoundGate);
  return "";
}
