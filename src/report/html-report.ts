/**
 * The cadence report as one self-contained HTML file (inline CSS and SVG, no scripts, no network):
 * the gate's verdict, the off-policy estimates of the candidate and the incumbent with their
 * intervals, and for a warm-up each cell's learned choice against the planted optimum and the
 * learning curve of the matched share against n.
 */
import type { CadenceResult, WarmupCadenceResult } from "../cadence/index.js";
import { formatRejected } from "./text-report.js";
import type { OffPolicyEstimate, SupportDiagnostics } from "../evaluation/index.js";
import type { CellConvergence, ConvergenceReport } from "../synthetic/index.js";

const ESTIMATORS = ["replay", "ips", "snips", "dr", "dm"] as const;
const MATCH = "#1a7f37";
const MISS = "#cf222e";
const CANDIDATE = "#0969da";
const INCUMBENT = "#8250df";
const MUTED = "#6e7781";

/** Escapes text for HTML and SVG content and attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

function fixed(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "—" : x.toFixed(digits);
}

/** A linear scale from [d0, d1] to [r0, r1]. */
function scale(d0: number, d1: number, r0: number, r1: number): (x: number) => number {
  const span = d1 - d0 || 1;
  return (x) => r0 + ((x - d0) / span) * (r1 - r0);
}

/** Round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

function xAxis(x: (v: number) => number, values: number[], y: number, top: number, digits: number): string {
  return values
    .map(
      (v) =>
        `<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${top}" y2="${y}" class="grid"/>` +
        `<text x="${x(v).toFixed(1)}" y="${y + 14}" text-anchor="middle" class="tick">${v.toFixed(digits)}</text>`,
    )
    .join("");
}

/** Per cell: a hollow circle at the planted optimum's reward, a dot at the learned choice's, joined by the regret. */
export function cellsChart(report: ConvergenceReport): string {
  const cells = report.cells;
  const rowHeight = 16;
  const left = 170;
  const right = 250;
  const width = 820;
  const top = 24;
  const height = top + cells.length * rowHeight + 24;
  const rewards = cells.flatMap((c) => [c.plantedReward, ...(c.learnedReward === null ? [] : [c.learnedReward])]);
  const lo = Math.min(...rewards);
  const hi = Math.max(...rewards);
  const pad = (hi - lo) * 0.05 || 0.05;
  const x = scale(lo - pad, hi + pad, left, width - right);
  const axisY = top + cells.length * rowHeight + 4;
  const rows = cells.map((c: CellConvergence, i) => {
    const y = top + i * rowHeight + rowHeight / 2;
    const color = c.match === null ? MUTED : c.match ? MATCH : MISS;
    const learned =
      c.learnedReward === null
        ? ""
        : `<line x1="${x(c.plantedReward).toFixed(1)}" x2="${x(c.learnedReward).toFixed(1)}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2"/>` +
          `<circle cx="${x(c.learnedReward).toFixed(1)}" cy="${y}" r="4" fill="${color}"><title>learned ${escapeHtml(c.learned ?? "")}: ${fixed(c.learnedReward)}</title></circle>`;
    const verdict = c.match === null ? "not covered" : c.match ? `${c.learned} ✓` : `${c.learned} ✗ (planted ${c.planted})`;
    return (
      `<text x="${left - 8}" y="${y + 4}" text-anchor="end" class="label">${escapeHtml(c.cell)}</text>` +
      learned +
      `<circle cx="${x(c.plantedReward).toFixed(1)}" cy="${y}" r="5" fill="none" stroke="#24292f" stroke-width="1.5"><title>planted ${escapeHtml(c.planted)}: ${fixed(c.plantedReward)} (gap ${fixed(c.gap)})</title></circle>` +
      `<text x="${width - right + 10}" y="${y + 4}" class="label" fill="${color}">${escapeHtml(verdict)} · ${c.rows} rows</text>`
    );
  });
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" role="img" aria-label="learned against planted, per cell">
<text x="${left}" y="14" class="tick">planted expected reward: ○ planted optimum, ● learned choice (green: same model, red: another, line: regret)</text>
${xAxis(x, ticks(lo - pad, hi + pad), axisY, top, 2)}
${rows.join("\n")}
</svg>`;
}

/** The matched share of covered cells against rows fitted, with the threshold. */
export function learningCurveChart(result: WarmupCadenceResult): string {
  // A point with no covered cell has no match share: it is left out, not drawn at 0%.
  const points = result.learningCurve.filter((p) => p.coveredCells > 0);
  const threshold = result.convergence.threshold;
  const width = 820;
  const height = 260;
  const left = 50;
  const right = 20;
  const top = 16;
  const bottom = 36;
  const maxN = Math.max(1, ...result.learningCurve.map((p) => p.n));
  const x = scale(0, maxN, left, width - right);
  const y = scale(0, 1, height - bottom, top);
  const path = points.map((p, i) => `${i === 0 ? "M" : "L"}${x(p.n).toFixed(1)},${y(p.matchShare).toFixed(1)}`).join(" ");
  const yTicks = [0, 0.25, 0.5, 0.75, 1]
    .map((v) => `<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" class="grid"/><text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" class="tick">${(v * 100).toFixed(0)}%</text>`)
    .join("");
  const dots = points
    .map(
      (p) =>
        `<circle cx="${x(p.n).toFixed(1)}" cy="${y(p.matchShare).toFixed(1)}" r="3.5" fill="${p.matchShare >= threshold ? MATCH : CANDIDATE}"><title>n ${p.n}: ${p.matches}/${p.coveredCells} covered cells match (${(p.matchShare * 100).toFixed(1)}%)</title></circle>`,
    )
    .join("");
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" role="img" aria-label="learning curve">
${yTicks}
${xAxis(x, ticks(0, maxN), height - bottom, top, 0)}
<line x1="${left}" x2="${width - right}" y1="${y(threshold)}" y2="${y(threshold)}" stroke="${MISS}" stroke-dasharray="5 4"/>
<text x="${left + 6}" y="${y(threshold) - 5}" class="tick" fill="${MISS}">gate threshold ${(threshold * 100).toFixed(0)}%</text>
<path d="${path}" fill="none" stroke="${CANDIDATE}" stroke-width="2"/>
${dots}
<text x="${(left + width - right) / 2}" y="${height - 4}" text-anchor="middle" class="tick">rows fitted (n)</text>
</svg>`;
}

/** Each estimator's point and interval, for the candidate and the incumbent, with the logged reward. */
export function estimatesChart(result: CadenceResult): string {
  if (result.evaluation === null) return "";
  const { candidate, incumbentEstimates, loggedValue } = result.evaluation;
  const rows = ESTIMATORS.flatMap((name) => {
    const out: { name: string; who: "candidate" | "incumbent"; estimate: OffPolicyEstimate }[] = [];
    const c = candidate[name];
    const i = incumbentEstimates[name];
    if (c !== undefined) out.push({ name, who: "candidate", estimate: c });
    if (i !== undefined) out.push({ name, who: "incumbent", estimate: i });
    return out;
  });
  const values = rows.flatMap((r) => [r.estimate.value, r.estimate.interval.lower, r.estimate.interval.upper]).filter(Number.isFinite);
  values.push(loggedValue);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = (hi - lo) * 0.05 || 0.05;
  const width = 820;
  const left = 150;
  const right = 40;
  const top = 24;
  const rowHeight = 18;
  const height = top + rows.length * rowHeight + 30;
  const x = scale(lo - pad, hi + pad, left, width - right);
  const axisY = top + rows.length * rowHeight + 4;
  const marks = rows.map((r, k) => {
    const yy = top + k * rowHeight + rowHeight / 2;
    const color = r.who === "candidate" ? CANDIDATE : INCUMBENT;
    const e = r.estimate;
    const whisker = Number.isFinite(e.interval.lower) && Number.isFinite(e.interval.upper)
      ? `<line x1="${x(e.interval.lower).toFixed(1)}" x2="${x(e.interval.upper).toFixed(1)}" y1="${yy}" y2="${yy}" stroke="${color}" stroke-width="2"/>`
      : "";
    const point = Number.isFinite(e.value) ? `<circle cx="${x(e.value).toFixed(1)}" cy="${yy}" r="4" fill="${color}"/>` : "";
    return (
      `<g><title>${r.who} ${r.name.toUpperCase()}: ${fixed(e.value, 4)} [${fixed(e.interval.lower, 4)}, ${fixed(e.interval.upper, 4)}], ESS ${e.effectiveSampleSize.toFixed(1)}</title>` +
      `<text x="${left - 8}" y="${yy + 4}" text-anchor="end" class="label">${r.name.toUpperCase()} · ${r.who}</text>${whisker}${point}</g>`
    );
  });
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" role="img" aria-label="off-policy estimates">
<text x="${left}" y="14" class="tick">expected reward per request, ${Math.round((candidate.snips.interval.level ?? 0.95) * 100)}% bootstrap intervals; dashed: the logged (logging policy's) mean reward</text>
${xAxis(x, ticks(lo - pad, hi + pad), axisY, top, 2)}
<line x1="${x(loggedValue).toFixed(1)}" x2="${x(loggedValue).toFixed(1)}" y1="${top}" y2="${axisY}" stroke="${MUTED}" stroke-dasharray="4 3"/>
${marks.join("\n")}
</svg>`;
}

/** The production gate's paired bound and support diagnostics, per policy (empty for a warm-up or when nothing was compared). */
function supportTable(result: CadenceResult): string {
  if (result.mode !== "prod" || result.gate.support === null) return "";
  const { gate } = result;
  const support = gate.support!;
  const row = (name: string, d: SupportDiagnostics): string =>
    `<tr><th>${name}</th><td>${fixed(d.meanWeight, 4)} ± ${fixed(d.meanWeightStandardError, 4)}</td>` +
    `<td>${fixed(100 * d.zeroWeightShare, 2)}%</td>` +
    `<td>${d.expectedZeroWeightShare === null ? "—" : `${fixed(100 * d.expectedZeroWeightShare, 2)}%`}</td>` +
    `<td>${d.effectiveSampleSize.toFixed(1)}</td></tr>`;
  const { informative, logging } = support;
  return `<h2>Promotion gate</h2>
<p>Δ̂ = ${fixed(gate.difference, 4)} (candidate ${fixed(gate.candidateValue, 4)}, incumbent ${fixed(gate.incumbentValue, 4)});
one-sided ${(100 * (1 - gate.alpha)).toFixed(1)}% lower bound ${fixed(gate.lowerBound, 4)}
(paired ${escapeHtml(gate.method ?? "—")} bootstrap of ${gate.estimator.toUpperCase()}), margin ${gate.margin}.
Logs: ${logging.events} events, ${fixed(100 * logging.deterministicShare, 1)}% with propensity 1; ${informative.events} informative events
(effective sizes ${informative.candidateEffectiveSampleSize.toFixed(1)} / ${informative.incumbentEffectiveSampleSize.toFixed(1)},
minimum ${support.minInformativeEffectiveSampleSize}).</p>
<table><thead><tr><th>policy</th><th>mean weight</th><th>zero weights</th><th>predicted</th><th>ESS</th></tr></thead><tbody>
${row("candidate", support.candidate)}
${row("incumbent", support.incumbent)}
</tbody></table>`;
}

function estimatesTable(result: CadenceResult): string {
  if (result.evaluation === null) return "";
  const { candidate, incumbentEstimates } = result.evaluation;
  const cell = (e: OffPolicyEstimate | undefined): string =>
    e === undefined ? "<td>—</td><td></td><td></td>" : `<td>${fixed(e.value, 4)}</td><td>[${fixed(e.interval.lower, 4)}, ${fixed(e.interval.upper, 4)}]</td><td>${e.effectiveSampleSize.toFixed(1)}</td>`;
  const rows = ESTIMATORS.map((name) => `<tr><th>${name.toUpperCase()}</th>${cell(candidate[name])}${cell(incumbentEstimates[name])}</tr>`).join("\n");
  return `<table><thead><tr><th rowspan="2">estimator</th><th colspan="3">candidate</th><th colspan="3">incumbent</th></tr>
<tr><th>value</th><th>interval</th><th>ESS</th><th>value</th><th>interval</th><th>ESS</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** The rejected rows (by reason, the first ids) and the runs found abandoned, as text lines: empty when there are none. */
function rejectedHtml(result: CadenceResult): string {
  const lines = [...formatRejected(result.corpus)];
  if (result.abandonedRuns.length > 0) lines.push(`abandoned runs ${result.abandonedRuns.join(", ")}: left running by a process that died`);
  return lines.length === 0 ? "" : `<pre class="muted">${escapeHtml(lines.join("\n"))}</pre>`;
}

/** The whole report as an HTML document; see the module comment. */
export function renderHtmlReport(result: CadenceResult): string {
  const { corpus, evaluation, gate } = result;
  const info = evaluation?.incumbent;
  const incumbent = info?.kind === "active" ? `the active policy (version ${info.policyVersionId})` : "the uniform policy (no active policy)";
  const verdictColor = gate.passed ? MATCH : MISS;
  const conv = result.mode === "warmup" ? result.convergence : null;
  const warmupSections =
    result.mode === "prod" || conv === null
      ? ""
      : `<h2>Learned against planted, per cell</h2>
<p>${conv.matches} of ${conv.coveredCells} covered cells (${(conv.matchShare * 100).toFixed(1)}%) choose the planted optimum. Value per request over covered cells:
optimum ${fixed(conv.value.optimum, 4)}, learned ${fixed(conv.value.learned, 4)}, logging policy ${fixed(conv.value.logging, 4)} (regret ${fixed(conv.value.regret, 4)}, ${(conv.value.relativeRegret * 100).toFixed(1)}% of the optimum).
Synthetic results are pipeline QA, never evidence about real traffic.</p>
${cellsChart(conv)}
<h2>Learning curve</h2>
<p>Share of covered cells (≥ ${conv.minRows} rows) whose learned choice is the planted optimum, after each chunk of rows fitted (training slice first, then the held-out slice).</p>
${learningCurveChart(result)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>linucb cadence ${escapeHtml(result.mode)} · run ${result.runId}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#24292f;max-width:880px;margin:2em auto;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #d0d7de;padding-bottom:.2em}
.verdict{display:inline-block;padding:.15em .6em;border-radius:1em;color:#fff;font-weight:600}
table{border-collapse:collapse;margin:.6em 0}td,th{padding:.25em .6em;border-bottom:1px solid #eaeef2;text-align:right;font-variant-numeric:tabular-nums}th{text-align:left}
svg{display:block;max-width:100%;height:auto}svg text{font:11px system-ui,sans-serif}.tick{fill:${MUTED}}.label{fill:#24292f}.grid{stroke:#eaeef2}
.muted{color:${MUTED}}
</style></head><body>
<h1>Cadence ${escapeHtml(result.mode)} · training run ${result.runId}</h1>
<p><span class="verdict" style="background:${verdictColor}">gate ${gate.passed ? "passed" : "failed"}</span> ${escapeHtml(gate.reason)}</p>
<p>${
    result.mode === "warmup"
      ? "A warm-up never promotes: the active policy is unchanged."
      : result.promoted
        ? `Promoted: policy version ${result.policyVersionId} is now the active policy.`
        : "Not promoted: the active policy is unchanged."
  }</p>
<p class="muted">Corpus ${escapeHtml(corpus.table)}${corpus.sourceFilter === null ? "" : ` WHERE source = '${escapeHtml(corpus.sourceFilter)}'`}: ${corpus.split.total} rows, ${corpus.rowsRead} fitted, ${corpus.rowsRejected} rejected, ${corpus.cells} cells;
held out ${corpus.split.heldOut} rows created from ${escapeHtml(corpus.split.cutoff?.createdAt ?? "—")}. Steps: ${result.timings.map((t) => `${t.step} ${t.seconds.toFixed(2)} s`).join(", ")}.</p>
${rejectedHtml(result)}
<h2>Off-policy estimates on the held-out slice</h2>
<p>${
    evaluation === null
      ? "No row was held out (no rows newer than the incumbent's training): nothing was evaluated."
      : `The candidate (refitted on the training slice) against ${incumbent}, on ${evaluation.events} held-out events; ` +
        `logged mean reward ${fixed(evaluation.loggedValue, 4)}.`
  }
Replay is unbiased only under uniform logging; DR and DM use the candidate's own θᵀx as the reward model.</p>
${estimatesChart(result)}
${estimatesTable(result)}
${supportTable(result)}
${warmupSections}
</body></html>
`;
}
