/**
 * The cadence report as one self-contained HTML page: the verdict (and, when nothing was promoted,
 * why, in words), where each cell routes and how traffic shifts, the off-policy estimates with what
 * each estimator is, coverage of the log per (cell, model), and for a warm-up the learned choice
 * against the planted optimum and the learning curve. Each chart is its own module; this file only
 * puts the page together.
 */
import type { CadenceResult } from "../cadence/index.js";
import {
  coverageChart,
  coverageFromRouting,
  coverageFromTable,
  coverageSummary,
  type CoverageInput,
} from "./coverage-map.js";
import { estimatesChart, estimatesTable } from "./estimates-chart.js";
import { whyNotPromoted } from "./gate-explanation.js";
import { gateFigures } from "./gate-figures.js";
import { page } from "./page.js";
import { routingMap, routingMapData } from "./routing-map.js";
import { escapeHtml, fixed, percent } from "./svg.js";
import { trafficShiftChart, trafficShiftData } from "./traffic-shift.js";
import { cellsChart, learningCurveCaption, learningCurveChart } from "./warmup-charts.js";

export { escapeHtml } from "./svg.js";
export { cellsChart, learningCurveChart } from "./warmup-charts.js";
export { estimatesChart } from "./estimates-chart.js";

/** The name of the history page, next to the run pages. */
export const INDEX_PAGE = "index.html";

function incumbentName(result: CadenceResult): string {
  const i = result.evaluation?.incumbent;
  if (i === undefined) return "incumbent";
  return i.kind === "active" ? `active policy v${i.policyVersionId}` : "uniform policy";
}

/** The paragraph a held-out section shows when no row was held out. */
const NOTHING_HELD_OUT =
  "<p>No row was held out (no rows newer than the incumbent's training): nothing was evaluated.</p>";

function verdict(result: CadenceResult): string {
  const { gate } = result;
  const outcome =
    result.mode === "warmup"
      ? "A warm-up never promotes: the active policy is unchanged."
      : result.promoted
        ? `Promoted: policy version ${result.policyVersionId} is now the active policy.`
        : "Not promoted: the active policy is unchanged.";
  return `<p><span class="verdict ${gate.passed ? "pass" : "fail"}">gate ${gate.passed ? "passed" : "failed"}</span>
${escapeHtml(gate.reason)}</p>
<p>${escapeHtml(outcome)}</p>`;
}

function whyBox(result: CadenceResult): string {
  const sentences = whyNotPromoted(result);
  if (sentences.length === 0) return "";
  const title = result.mode === "warmup" ? "Why the warm-up failed" : "Why not promoted";
  return (
    `<section class="box" ` +
    `data-box="why-not-promoted"><h2>${title}</h2>${sentences.map((s) => `<p>${escapeHtml(s)}</p>`).join("")}</section>`
  );
}

function gateSection(result: CadenceResult): string {
  const figures = gateFigures(result);
  return figures === "" ? "" : `<h2>Gate figures</h2>\n${figures}`;
}

function corpusLine(result: CadenceResult): string {
  const { corpus } = result;
  const filter = corpus.sourceFilter === null ? "" : ` WHERE source = '${escapeHtml(corpus.sourceFilter)}'`;
  return `<p class="muted">Corpus ${escapeHtml(corpus.table)}${filter}: ${corpus.split.total} rows,
${corpus.rowsRead} fitted, ${corpus.rowsRejected} rejected, ${corpus.cells} cells;
held out ${corpus.split.heldOut} rows created from ${escapeHtml(corpus.split.cutoff?.createdAt ?? "—")}. Steps:
${result.timings.map((t) => `${t.step} ${t.seconds.toFixed(2)} s`).join(", ")}.</p>
${rejectedRows(result)}${abandonedRuns(result)}`;
}

/** Runs of this mode a dead process left running, marked abandoned before this run started. */
function abandonedRuns(result: CadenceResult): string {
  if (result.abandonedRuns.length === 0) return "";
  return (
    `<p class="muted">Abandoned runs ${result.abandonedRuns.join(", ")}: left running by a process that died, ` +
    `marked abandoned.</p>`
  );
}

/** The rows the reader refused, by reason, with the examples the cadence kept. */
function rejectedRows(result: CadenceResult): string {
  const { corpus } = result;
  if (corpus.rowsRejected === 0) return "";
  const reasons = Object.entries(corpus.rejectedByReason)
    .map(([kind, count]) => `${escapeHtml(kind)} ${count}`)
    .join(", ");
  const examples = corpus.rejectedExamples.map((row) => `<li>row ${row.id}: ${escapeHtml(row.reason)}</li>`).join("");
  const more =
    corpus.rowsRejected > corpus.rejectedExamples.length
      ? `<li>… and ${corpus.rowsRejected - corpus.rejectedExamples.length} more</li>`
      : "";
  return (
    `<p class="muted">${corpus.rowsRejected} rows rejected (${reasons}), never fitted:</p><ul ` +
    `class="muted">${examples}${more}</ul>`
  );
}

function routingSection(result: CadenceResult): string {
  const data = routingMapData(result);
  if (data === null) return `<h2>Where each cell routes</h2>\n${NOTHING_HELD_OUT}`;
  const how = data.warmup
    ? "The new policy's greedy choice per cell (the model fitted on every row, at the cell's mean context) beside " +
      "the planted optimum; ✗ marks a miss."
    : "Each policy's greedy choice per cell (θᵀx at the cell's mean held-out context); the new policy is the model " +
      "fitted on every row — the one promoted if the gate passes.";
  const counts = [
    `${data.cells.length} cells`,
    data.incumbentHasChoices
      ? `${data.changed} changed since the incumbent`
      : "the incumbent is the uniform policy: it has no per-cell choice, so nothing is marked changed",
    ...(data.warmup ? [`${data.misses} misses`] : []),
  ].join(", ");
  return `<h2>Where each cell routes</h2>
<p>${escapeHtml(how)} ${escapeHtml(counts)}.</p>
${routingMap(data, incumbentName(result))}`;
}

function trafficSection(result: CadenceResult): string {
  const data = trafficShiftData(result);
  if (data === null) return `<h2>Traffic shift</h2>\n${NOTHING_HELD_OUT}`;
  return `<h2>Traffic shift</h2>
<p>Share of the ${data.requests} held-out requests each model gets: as logged (the logging policy), under the
${escapeHtml(incumbentName(result))} and under the new policy
(its exploration-free choice per request). At least ${percent(data.moved)} of requests would go to another model than
under the
incumbent; the figure in brackets is each model's change.</p>
${trafficShiftChart(data, incumbentName(result))}`;
}

function estimatesSection(result: CadenceResult): string {
  const { evaluation } = result;
  if (evaluation === null) return `<h2>Off-policy estimates on the held-out slice</h2>\n${NOTHING_HELD_OUT}`;
  const incumbent =
    evaluation.incumbent.kind === "active"
      ? `the active policy (version ${evaluation.incumbent.policyVersionId})`
      : "the uniform policy (no active policy)";
  return `<h2>Off-policy estimates on the held-out slice</h2>
<p>The candidate (refitted on the training slice only) against ${incumbent}, on ${evaluation.events} held-out
requests; logged mean
reward ${fixed(evaluation.loggedValue, 4)}.
Estimators disagree when their assumptions do: read the line under each name. ESS is the effective number of requests
behind a weighted
estimate.</p>
${estimatesChart(result)}
${estimatesTable(result)}`;
}

function coverageSection(coverage: CoverageInput | null): string {
  if (coverage === null) return `<h2>Coverage of the log</h2>\n${NOTHING_HELD_OUT}`;
  const counts = coverageSummary(coverage);
  return `<h2>Coverage of the log</h2>
<p>Per cell and model: ${escapeHtml(coverage.scope)} (rows) · their effective sample size (ESS, weights 1/propensity);
darker is more
evidence, blank is none.
The new policy's choice is outlined; “?” and hatching mark the ${counts.undecided} cells the gate could not decide
(hover a cell label
for why).
${counts.empty} of ${counts.pairs} (cell, model) pairs have no logged request.</p>
${coverageChart(coverage)}`;
}

function warmupSections(result: CadenceResult): string {
  if (result.mode !== "warmup") return "";
  const conv = result.convergence;
  return `<h2>Learned against planted, per cell</h2>
<p>${conv.matches} of ${conv.coveredCells} covered cells (${percent(conv.matchShare)}) choose the planted optimum.
Value per request over
covered cells:
optimum ${fixed(conv.value.optimum, 4)}, learned ${fixed(conv.value.learned, 4)}, logging policy
${fixed(conv.value.logging, 4)} (regret
${fixed(conv.value.regret, 4)}, ${percent(conv.value.relativeRegret)} of the optimum).
Synthetic results are pipeline QA, never evidence about real traffic.</p>
${cellsChart(conv)}
<h2>Learning curve</h2>
<p>${escapeHtml(learningCurveCaption(result))}</p>
${learningCurveChart(result)}`;
}

/** Options of {@link renderHtmlReport}. */
export interface HtmlReportOptions {
  /**
   * The coverage to draw; by default the run's coverage table, else the held-out slice's (from the routing summary).
   */
  readonly coverage?: CoverageInput;
}

/** The whole report as an HTML document; see the module comment. */
export function renderHtmlReport(result: CadenceResult, options: HtmlReportOptions = {}): string {
  const body = `<nav><a href="${INDEX_PAGE}">← all runs</a></nav>
<h1>Cadence ${escapeHtml(result.mode)} · training run ${result.runId}</h1>
${verdict(result)}
${corpusLine(result)}
${whyBox(result)}
${gateSection(result)}
${routingSection(result)}
${trafficSection(result)}
${estimatesSection(result)}
${coverageSection(options.coverage ?? coverageFromTable(result) ?? coverageFromRouting(result))}
${warmupSections(result)}`;
  return page(`linucb cadence ${result.mode} · run ${result.runId}`, body);
}
