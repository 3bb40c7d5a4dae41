/**
 * The history page (`index.html` in the report folder): every run with a report, newest first —
 * mode, date, verdict, the gate's figures, the policy version promoted, a link to its page — and a
 * small trend chart of each mode's headline figure (warm-up: the matched share against the
 * threshold; production: the candidate's gate estimate and lower bound against the incumbent's).
 */
import type { History, HistoryEntry } from "./history.js";
import { page } from "./page.js";
import { ROLE } from "./palette.js";
import { escapeHtml, fixed, percent, scale, svgFrame, ticks } from "./svg.js";

/** The points of one mode's trend, oldest first: the runs whose headline is of the same kind as the newest's. */
export function trendPoints(history: History, mode: string): HistoryEntry[] {
  const runs = history.entries.filter((e) => e.mode === mode && e.headline !== null);
  const kind = runs[0]?.headline?.kind;
  return runs.filter((e) => e.headline!.kind === kind).reverse();
}

/** One mode's trend chart, or "" when the mode has no run with a headline figure. */
export function trendChart(history: History, mode: string): string {
  const points = trendPoints(history, mode);
  if (points.length === 0) return "";
  const kind = points[0]!.headline!.kind;
  const warmup = kind === "match-share";
  // Drawn as a dashed line: the warm-up's threshold, the paired gate's margin. Else a square per run (the incumbent's
  // estimate).
  const lineReference = kind !== "estimate";
  const width = 540;
  const height = 190;
  const left = 48;
  const right = 16;
  const top = 40;
  const bottom = 34;
  const values = points.flatMap((p) =>
    [p.headline!.value, p.headline!.lower, p.headline!.reference].filter((v): v is number => v !== null),
  );
  const lo = warmup ? 0 : Math.min(...values);
  const hi = warmup ? 1 : Math.max(...values);
  const pad = warmup ? 0 : (hi - lo) * 0.1 || 0.05;
  const y = scale(lo - pad, hi + pad, height - bottom, top);
  const step = (width - left - right) / points.length;
  const x = (i: number): number => left + step * (i + 0.5);
  const format = (v: number): string => (warmup ? percent(v, 0) : v.toFixed(hi - lo + 2 * pad < 0.1 ? 3 : 2));
  const grid = ticks(lo - pad, hi + pad, 4)
    .map(
      (v) =>
        `<line x1="${left}" x2="${width - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" ` +
        `class="grid"/><text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" ` +
        `class="tick">${format(v)}</text>`,
    )
    .join("");
  const marks = points.map((p, i) => {
    const h = p.headline!;
    const cx = x(i).toFixed(1);
    const verdict = p.passed ? "passed" : "failed";
    const promotion = p.promoted ? `promoted v${p.policyVersionId}` : "not promoted";
    const tip = warmup
      ? `run ${p.runId}: ${percent(h.value)} of covered cells match (threshold ${percent(h.reference ?? NaN)}), ` +
        `gate ${verdict}`
      : kind === "difference"
        ? `run ${p.runId}: ${h.name} ${fixed(h.value, 4)} (lower bound ${fixed(h.lower, 4)}, margin ` +
          `${fixed(h.reference, 4)}), ${promotion}`
        : `run ${p.runId}: candidate ${h.name} ${fixed(h.value, 4)} (lower bound ${fixed(h.lower, 4)}), incumbent ` +
          `${fixed(h.reference, 4)}, ${promotion}`;
    const whisker =
      h.lower === null
        ? ""
        : `<line x1="${cx}" x2="${cx}" y1="${y(h.lower).toFixed(1)}" y2="${y(h.value).toFixed(1)}" ` +
          `stroke="${ROLE.candidate}" stroke-width="2"/>`;
    const reference =
      lineReference || h.reference === null
        ? ""
        : `<rect x="${(x(i) + 5).toFixed(1)}" y="${(y(h.reference) - 4).toFixed(1)}" width="8" height="8" ` +
          `fill="${ROLE.incumbent}"/>`;
    const dot =
      `<circle cx="${cx}" cy="${y(h.value).toFixed(1)}" r="4.5" fill="${p.passed ? ROLE.candidate : "#ffffff"}" ` +
      `stroke="${ROLE.candidate}" stroke-width="2"/>`;
    const label =
      `<text x="${cx}" y="${height - bottom + 14}" text-anchor="middle" ` +
      `class="tick">${p.runId}${p.promoted ? " ★" : ""}</text>`;
    return `<g><title>${escapeHtml(tip)}</title>${whisker}${reference}${dot}${label}</g>`;
  });
  const threshold = lineReference && points[0]!.headline!.reference !== null ? points[0]!.headline!.reference : null;
  const thresholdLine =
    threshold === null
      ? ""
      : `<line x1="${left}" x2="${width - right}" y1="${y(threshold).toFixed(1)}" y2="${y(threshold).toFixed(1)}" ` +
        `stroke="${ROLE.fail}" stroke-dasharray="5 4"/>`;
  const vertices = points.map((p, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(p.headline!.value).toFixed(1)}`);
  const path = warmup ? `<path d="${vertices.join(" ")}" fill="none" stroke="${ROLE.candidate}"/>` : "";
  const name = points[0]!.headline!.name;
  const caption = warmup
    ? ["warm-up: share of covered cells matching the planted optimum", "● passed, ○ failed; dashed: the threshold"]
    : kind === "difference"
      ? [
          `prod: ${name}, the candidate's estimated gain over the incumbent`,
          "line down to its lower bound; ● passed, ○ failed; dashed: the margin; ★ promoted",
        ]
      : [
          `prod: the candidate's ${name} estimate, line down to its lower bound`,
          "● passed, ○ failed; ■ the incumbent's estimate; ★ promoted",
        ];
  const captionText = caption
    .map((line, i) => `<text x="${left}" y="${13 + i * 13}" class="tick">${escapeHtml(line)}</text>`)
    .join("");
  const body = `${captionText}${grid}${thresholdLine}${path}${marks.join("")}
<text x="${(left + width - right) / 2}" y="${height - 4}" text-anchor="middle" class="tick">training run</text>`;
  return svgFrame(width, height, `trend of the ${mode} runs' headline figure`, body, `trend-${mode}`);
}

function figures(e: HistoryEntry): string {
  const h = e.headline;
  if (h === null) return escapeHtml(e.reason);
  if (h.kind === "match-share") return `match share ${percent(h.value)} (threshold ${percent(h.reference ?? NaN)})`;
  if (h.kind === "difference")
    return (
      `${escapeHtml(h.name)} ${fixed(h.value, 4)}, lower bound ${fixed(h.lower, 4)} vs margin ` +
      `${fixed(h.reference, 4)}`
    );
  return (
    `${escapeHtml(h.name)} ${fixed(h.value, 4)}, lower bound ${fixed(h.lower, 4)} vs incumbent ` +
    `${fixed(h.reference, 4)}`
  );
}

function row(e: HistoryEntry): string {
  const link = e.page === null ? `run&nbsp;${e.runId}` : `<a href="${escapeHtml(e.page)}">run&nbsp;${e.runId}</a>`;
  const verdict = `<span class="verdict ${e.passed ? "pass" : "fail"}">${e.passed ? "passed" : "failed"}</span>`;
  const promoted =
    e.mode === "warmup"
      ? "— (warm-ups never promote)"
      : e.promoted
        ? `policy version ${e.policyVersionId}`
        : "not promoted";
  return `<tr><td class="text">${link}</td><td class="text">${escapeHtml(e.mode)}</td><td class="text
nowrap">${escapeHtml(e.date.replace("T", " ").replace(/\.\d+Z$/, "Z"))}</td>
<td class="text">${verdict}</td><td class="text" title="${escapeHtml(e.reason)}">${figures(e)}</td><td
class="text">${escapeHtml(e.incumbent)}</td><td class="text">${escapeHtml(promoted)}</td>
<td class="text"><a href="${escapeHtml(e.json)}">JSON</a></td></tr>`;
}

/** The history page; see the module comment. */
export function renderIndexPage(history: History): string {
  const modes = [...new Set(history.entries.map((e) => e.mode))].sort();
  const trends = modes.map((m) => trendChart(history, m)).filter((c) => c !== "");
  const table =
    history.entries.length === 0
      ? "<p>No run has written a report here yet.</p>"
      : `<table class="chart" data-chart="runs"><thead><tr><th>run</th><th>mode</th><th>date (UTC)</th><th>gate</th>
<th>gate figures</th><th>compared with</th><th>promoted</th><th></th></tr></thead>
<tbody>${history.entries.map(row).join("\n")}</tbody></table>`;
  const unreadable =
    history.unreadable.length === 0
      ? ""
      : `<p class="muted">Not listed (unreadable): ` +
        `${history.unreadable.map((u) => `${escapeHtml(u.file)} — ${escapeHtml(u.error)}`).join("; ")}.</p>`;
  const promotions = history.entries.filter((e) => e.promoted).length;
  const body = `<h1>linucb cadence runs</h1>
<p>${history.entries.length} runs with a report in this folder, ${promotions} promoted; newest first.
Rewritten after every run.
A run that failed wrote no report and is not listed here (<code>linucb runs</code> lists every run of a database).</p>
${trends.length === 0 ? "" : `<h2>Trend</h2><div class="trends">${trends.join("\n")}</div>`}
<h2>Runs</h2>
${table}
${unreadable}`;
  return page("linucb cadence runs", body);
}
