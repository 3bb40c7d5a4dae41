/**
 * The off-policy estimates: a forest plot of each estimator's value and interval for the candidate
 * and the incumbent, against the logged mean reward, and a table with one line on each estimator
 * and only the diagnostics it has.
 */
import type { CadenceResult } from "../cadence/index.js";
import { estimateParts, type OffPolicyEstimate } from "../evaluation/index.js";
import { diagnosticsOf, ESTIMATOR_NOTES, ESTIMATORS } from "./estimator-notes.js";
import { ROLE } from "./palette.js";
import { escapeHtml, scale, svgFrame, ticks, xAxis } from "./svg.js";

/** One row of the forest plot. */
export interface EstimateRow {
  readonly estimator: string;
  readonly who: "candidate" | "incumbent";
  readonly estimate: OffPolicyEstimate;
}

/** The forest plot's rows: every estimator the run has, candidate then incumbent. */
export function estimateRows(result: CadenceResult): EstimateRow[] {
  if (result.evaluation === null) return [];
  const { candidate, incumbentEstimates } = result.evaluation;
  return ESTIMATORS.flatMap((name) => {
    const out: EstimateRow[] = [];
    const c = candidate[name];
    const i = incumbentEstimates[name];
    if (c !== undefined) out.push({ estimator: name, who: "candidate", estimate: c });
    if (i !== undefined) out.push({ estimator: name, who: "incumbent", estimate: i });
    return out;
  });
}

/** Each estimator's point and interval, for the candidate and the incumbent, with the logged reward. */
export function estimatesChart(result: CadenceResult): string {
  if (result.evaluation === null) return "";
  const { candidate, loggedValue } = result.evaluation;
  const rows = estimateRows(result);
  const values = rows
    .flatMap((r) => [r.estimate.value, r.estimate.interval.lower, r.estimate.interval.upper])
    .filter(Number.isFinite);
  values.push(loggedValue);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = (hi - lo) * 0.05 || 0.05;
  const width = 900;
  const left = 160;
  const right = 40;
  const top = 24;
  const rowHeight = 18;
  const height = top + rows.length * rowHeight + 30;
  const x = scale(lo - pad, hi + pad, left, width - right);
  const axisY = top + rows.length * rowHeight + 4;
  const marks = rows.map((r, k) => {
    const yy = top + k * rowHeight + rowHeight / 2;
    const color = r.who === "candidate" ? ROLE.candidate : ROLE.incumbent;
    const e = r.estimate;
    const whisker =
      Number.isFinite(e.interval.lower) && Number.isFinite(e.interval.upper)
        ? `<line x1="${x(e.interval.lower).toFixed(1)}" x2="${x(e.interval.upper).toFixed(1)}" y1="${yy}" ` +
          `y2="${yy}" stroke="${color}" stroke-width="2"/>`
        : "";
    // Shapes as well as colours: a dot for the candidate, a square for the incumbent.
    const point = !Number.isFinite(e.value)
      ? ""
      : r.who === "candidate"
        ? `<circle cx="${x(e.value).toFixed(1)}" cy="${yy}" r="4" fill="${color}"/>`
        : `<rect x="${(x(e.value) - 4).toFixed(1)}" y="${yy - 4}" width="8" height="8" fill="${color}"/>`;
    const parts = estimateParts(e, { notation: "fixed" });
    const ess = r.estimator === "dm" ? "" : `, ESS ${parts.effectiveSampleSize}`;
    return (
      `<g><title>${r.who} ${r.estimator.toUpperCase()}: ${parts.value} ${parts.interval}${ess}</title>` +
      `<text x="${left - 8}" y="${yy + 4}" text-anchor="end" class="label">${r.estimator.toUpperCase()} · ` +
      `${r.who}</text>${whisker}${point}</g>`
    );
  });
  const level = Math.round((candidate.snips.interval.level ?? 0.95) * 100);
  const body =
    `<text x="8" y="14" class="tick">expected reward per request with ${level}% bootstrap intervals: ● candidate, ` +
    `■ incumbent; dashed line: the logged mean ` +
    `reward</text>\n${xAxis(x, ticks(lo - pad, hi + pad), axisY, top, (v) => v.toFixed(2))}\n<line ` +
    `x1="${x(loggedValue).toFixed(1)}" x2="${x(loggedValue).toFixed(1)}" y1="${top}" y2="${axisY}" ` +
    `stroke="${ROLE.muted}" stroke-dasharray="4 3"/>\n${marks.join("\n")}`;
  return svgFrame(width, height, "off-policy estimates of the candidate and the incumbent", body, "estimates");
}

function estimateCells(e: OffPolicyEstimate | undefined): string {
  if (e === undefined) return `<td>—</td><td></td><td class="diag"></td>`;
  const diagnostics = diagnosticsOf(e)
    .map((d) => `${escapeHtml(d.name)} ${escapeHtml(d.value)}`)
    .join("<br>");
  const parts = estimateParts(e, { notation: "fixed" });
  return `<td>${parts.value}</td><td class="nowrap">${parts.interval}</td><td class="diag">${diagnostics}</td>`;
}

/** The table: one line on each estimator, its value and interval, and its own diagnostics, for both policies. */
export function estimatesTable(result: CadenceResult): string {
  if (result.evaluation === null) return "";
  const { candidate, incumbentEstimates } = result.evaluation;
  const rows = ESTIMATORS.map(
    (name) =>
      `<tr><th>${name.toUpperCase()}<div class="note">${escapeHtml(ESTIMATOR_NOTES[name])}</div></th>` +
      `${estimateCells(candidate[name])}${estimateCells(incumbentEstimates[name])}</tr>`,
  ).join("\n");
  return `<table class="estimates chart" data-chart="estimates-table"><thead><tr><th rowspan="2">estimator</th><th
colspan="3">candidate</th><th colspan="3">incumbent</th></tr>
<tr><th>value</th><th>interval</th><th>diagnostics</th><th>value</th><th>interval</th><th>diagnostics</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}
