/**
 * The warm-up's own charts: each cell's learned choice against the planted optimum, and the
 * learning curve of the matched share against the rows fitted, with what each point is fitted on.
 */
import type { WarmupCadenceResult } from "../cadence/index.js";
import type { CellConvergence, ConvergenceReport } from "../synthetic/index.js";
import { ROLE } from "./palette.js";
import { escapeHtml, fixed, percent, scale, svgFrame, ticks, xAxis } from "./svg.js";

/** Per cell: a hollow circle at the planted optimum's reward, a dot at the learned choice's, joined by the regret. */
export function cellsChart(report: ConvergenceReport): string {
  const cells = report.cells;
  const rowHeight = 16;
  const left = 170;
  const right = 290;
  const width = 900;
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
    const color = c.match === null ? ROLE.muted : c.match ? ROLE.pass : ROLE.fail;
    const learned =
      c.learnedReward === null
        ? ""
        : `<line x1="${x(c.plantedReward).toFixed(1)}" x2="${x(c.learnedReward).toFixed(1)}" y1="${y}" y2="${y}" ` +
          `stroke="${color}" stroke-width="2"/><circle cx="${x(c.learnedReward).toFixed(1)}" cy="${y}" r="4" ` +
          `fill="${color}"><title>learned ${escapeHtml(c.learned ?? "")}: ${fixed(c.learnedReward)}</title></circle>`;
    const verdict =
      c.match === null ? "not covered" : c.match ? `${c.learned} ✓` : `${c.learned} ✗ (planted ${c.planted})`;
    return (
      `<text x="${left - 8}" y="${y + 4}" text-anchor="end" class="label">${escapeHtml(c.cell)}</text>` +
      learned +
      `<circle cx="${x(c.plantedReward).toFixed(1)}" cy="${y}" r="5" fill="none" stroke="${ROLE.text}" ` +
      `stroke-width="1.5"><title>planted ${escapeHtml(c.planted)}: ${fixed(c.plantedReward)} (gap ` +
      `${fixed(c.gap)})</title></circle><text x="${width - right + 10}" y="${y + 4}" class="label" ` +
      `fill="${color}">${escapeHtml(verdict)} · ${c.rows} rows</text>`
    );
  });
  const body =
    `<text x="${left}" y="14" class="tick">planted expected reward: ○ planted optimum, ● learned choice (✓ same ` +
    `model, ✗ another; line: ` +
    `regret)</text>\n${xAxis(x, ticks(lo - pad, hi + pad), axisY, top, (v) => v.toFixed(2))}\n${rows.join("\n")}`;
  return svgFrame(width, height, "learned choice against planted optimum, per cell", body, "cells");
}

/** What each point of the learning curve is fitted on, in words (also used under the chart). */
export function learningCurveCaption(result: WarmupCadenceResult): string {
  const training = result.corpus.split.training;
  return (
    `Each point is the model fitted on the first n rows in time order, graded against the planted optimum (share ` +
    `of covered cells, ≥ ${result.convergence.minRows} rows, whose greedy choice is the planted one). Points up to ` +
    `n = ${training} use the training slice only; the last of them is the candidate the off-policy estimates ` +
    `score. Points after it add the held-out rows back — the recorded model is fitted on every row — so they are ` +
    `not out-of-sample. The gate grades the last point.`
  );
}

/** The matched share of covered cells against rows fitted, with the threshold and the end of the training slice. */
export function learningCurveChart(result: WarmupCadenceResult): string {
  // A point with no covered cell has no match share: it is left out, not drawn at 0%.
  const points = result.learningCurve.filter((p) => p.coveredCells > 0);
  const threshold = result.convergence.threshold;
  const width = 900;
  const height = 280;
  const left = 50;
  const right = 20;
  const top = 30;
  const bottom = 36;
  const maxN = Math.max(1, ...result.learningCurve.map((p) => p.n));
  const x = scale(0, maxN, left, width - right);
  const y = scale(0, 1, height - bottom, top);
  const training = result.corpus.split.training;
  const path = points
    .map((p, i) => `${i === 0 ? "M" : "L"}${x(p.n).toFixed(1)},${y(p.matchShare).toFixed(1)}`)
    .join(" ");
  const yTicks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (v) =>
        `<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" class="grid"/><text x="${left - 6}" ` +
        `y="${y(v) + 4}" text-anchor="end" class="tick">${percent(v, 0)}</text>`,
    )
    .join("");
  const heldOut =
    training > 0 && training < maxN
      ? `<rect x="${x(training).toFixed(1)}" y="${top}" width="${(x(maxN) - x(training)).toFixed(1)}" ` +
        `height="${height - bottom - top}" fill="${ROLE.empty}"/><line x1="${x(training).toFixed(1)}" ` +
        `x2="${x(training).toFixed(1)}" y1="${top - 12}" y2="${height - bottom}" stroke="${ROLE.text}" ` +
        `stroke-dasharray="2 3"/><text x="${(x(training) - 6).toFixed(1)}" y="${top - 16}" text-anchor="end" ` +
        `class="tick">← training slice only (candidate at n = ${training})</text><text ` +
        `x="${(x(training) + 6).toFixed(1)}" y="${top - 16}" class="tick">held-out rows added back →</text>`
      : "";
  const dots = points
    .map((p) => {
      const shape =
        p.n <= training
          ? `<circle cx="${x(p.n).toFixed(1)}" cy="${y(p.matchShare).toFixed(1)}" r="3.5" fill="${ROLE.candidate}"/>`
          : diamond(x(p.n), y(p.matchShare));
      const fitted = p.n <= training ? "training rows only" : "training + held-out rows";
      return (
        `<g><title>n ${p.n} (${fitted}): ${p.matches}/${p.coveredCells} covered cells match ` +
        `(${percent(p.matchShare)})</title>${shape}</g>`
      );
    })
    .join("");
  const body =
    `${heldOut}${yTicks}\n${xAxis(x, ticks(0, maxN), height - bottom, top, (v) => v.toFixed(0))}\n<line ` +
    `x1="${left}" x2="${width - right}" y1="${y(threshold)}" y2="${y(threshold)}" stroke="${ROLE.fail}" ` +
    `stroke-dasharray="5 4"/><text x="${left + 6}" y="${y(threshold) - 5}" class="tick" fill="${ROLE.fail}">gate ` +
    `threshold ${percent(threshold, 0)}</text>\n<path d="${path}" fill="none" stroke="${ROLE.candidate}" ` +
    `stroke-width="2"/>\n${dots}\n<text x="${(left + width - right) / 2}" y="${height - 4}" text-anchor="middle" ` +
    `class="tick">rows fitted (n, in time order): ● training slice only, ◇ held-out rows added</text>`;
  return svgFrame(width, height, "learning curve: matched share against rows fitted", body, "learning-curve");
}

function diamond(cx: number, cy: number): string {
  const r = 5;
  return (
    `<path d="M${cx.toFixed(1)},${(cy - r).toFixed(1)} l${r},${r} l${-r},${r} l${-r},${-r} z" fill="#ffffff" ` +
    `stroke="${ROLE.candidate}" stroke-width="1.6"/>`
  );
}
