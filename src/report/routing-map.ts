/**
 * The routing map: which model each cell routes to under the new policy, next to the incumbent's
 * choice (cells that changed marked with a corner triangle) and, on a warm-up, next to the planted
 * optimum (misses marked ✗). A grid when cell ids have two parts, a sorted table otherwise.
 *
 * - Production: each policy's greedy choice at the cell's mean held-out context (the cadence's
 *   routing summary); only cells with held-out requests are shown.
 * - Warm-up: the new policy's choice is the convergence report's learned choice (the figure the
 *   gate grades), at the world's mean context of the cell; cells with too few rows are "not covered".
 */
import type { CadenceResult, RoutingSummary } from "../cadence/index.js";
import { convergenceOf } from "./result-parts.js";
import { cellGrid, gridCellId, sortCellIds, type CellGrid } from "./cell-grid.js";
import { shortModelLabels } from "./model-labels.js";
import { modelColors, ROLE, textOn } from "./palette.js";
import { escapeHtml, svgFrame } from "./svg.js";

/** One cell of the map. */
export interface RoutingMapCell {
  readonly cell: string;
  /** The new policy's choice; null when it has none (warm-up: the cell is not covered). */
  readonly chosen: string | null;
  /** The incumbent's choice; null when the incumbent is the uniform policy. */
  readonly incumbent: string | null;
  /** Both choices known and different. */
  readonly changed: boolean;
  /** Warm-up: the planted optimum; null in production. */
  readonly planted: string | null;
  /** Warm-up: a covered cell whose choice is not the planted optimum. */
  readonly miss: boolean;
  /** Warm-up: the planted optimum differs from the pooled-limit choice (only a per-cell learner can match it). */
  readonly deviating: boolean;
  /** Requests behind the cell: held-out requests (production) or rows in the log (warm-up). */
  readonly requests: number;
}

/** Everything the map draws. */
export interface RoutingMapData {
  readonly models: readonly string[];
  readonly cells: readonly RoutingMapCell[];
  /** The grid layout, or null for a sorted list. */
  readonly grid: CellGrid | null;
  readonly warmup: boolean;
  /** Whether the incumbent has per-cell choices (an active policy) or not (the uniform policy). */
  readonly incumbentHasChoices: boolean;
  readonly changed: number;
  readonly misses: number;
}

function warmupCells(result: CadenceResult, routing: RoutingSummary): RoutingMapCell[] {
  const incumbentOf = new Map(routing.cells.map((c) => [c.cell, c.incumbent]));
  return (convergenceOf(result)?.cells ?? []).map((c) => {
    const incumbent = incumbentOf.get(c.cell) ?? null;
    return {
      cell: c.cell,
      chosen: c.learned,
      incumbent,
      changed: incumbent !== null && c.learned !== null && incumbent !== c.learned,
      planted: c.planted,
      miss: c.match === false,
      deviating: c.deviating === true,
      requests: c.rows,
    };
  });
}

function prodCells(routing: RoutingSummary): RoutingMapCell[] {
  return routing.cells.map((c) => ({
    cell: c.cell,
    chosen: c.candidate,
    incumbent: c.incumbent,
    changed: c.incumbent !== null && c.incumbent !== c.candidate,
    planted: null,
    miss: false,
    deviating: false,
    requests: c.requests,
  }));
}

/** The map's data for a cadence result; null when no row was held out (there is nothing to route). */
export function routingMapData(result: CadenceResult): RoutingMapData | null {
  const routing = result.routing;
  if (routing === null) return null;
  const warmup = convergenceOf(result) !== null;
  const cells = warmup ? warmupCells(result, routing) : prodCells(routing);
  const grid = cellGrid(cells.map((c) => c.cell));
  return {
    models: routing.models,
    cells: grid === null ? sortCellIds(cells.map((c) => c.cell)).map((id) => cells.find((c) => c.cell === id)!) : cells,
    grid,
    warmup,
    incumbentHasChoices: result.evaluation?.incumbent.kind === "active",
    changed: cells.filter((c) => c.changed).length,
    misses: cells.filter((c) => c.miss).length,
  };
}

/** One panel of the grid: a title and which choice of each cell it shows. */
interface Panel {
  readonly title: string;
  readonly choice: (cell: RoutingMapCell) => string | null;
  /** Marks: the new policy's panel marks changes and misses. */
  readonly marks: boolean;
  /** The planted panel marks deviating cells with "*". */
  readonly planted?: boolean;
}

function panelsOf(data: RoutingMapData, incumbentTitle: string): Panel[] {
  const panels: Panel[] = [];
  if (data.incumbentHasChoices) panels.push({ title: incumbentTitle, choice: (c) => c.incumbent, marks: false });
  panels.push({ title: "new policy", choice: (c) => c.chosen, marks: true });
  if (data.warmup) panels.push({ title: "planted optimum", choice: (c) => c.planted, marks: false, planted: true });
  return panels;
}

const CELL_HEIGHT = 20;
const MAX_WIDTH = 1060;
const PANEL_GAP = 22;

function gridSvg(data: RoutingMapData, grid: CellGrid, panels: readonly Panel[]): string | null {
  const colors = modelColors(data.models);
  const labels = shortModelLabels(data.models);
  const byId = new Map(data.cells.map((c) => [c.cell, c]));
  const labelWidth = 12 + 6.4 * Math.max(...grid.rows.map((r) => r.length));
  const cellWidth = Math.min(
    60,
    (MAX_WIDTH - labelWidth - PANEL_GAP * (panels.length - 1)) / (panels.length * grid.columns.length),
  );
  if (cellWidth < 26) return null;
  const panelWidth = cellWidth * grid.columns.length;
  const top = 42;
  const width = Math.ceil(labelWidth + panels.length * panelWidth + (panels.length - 1) * PANEL_GAP);
  const height = top + grid.rows.length * CELL_HEIGHT + 4;
  const parts: string[] = [];
  grid.rows.forEach((row, r) => {
    parts.push(
      `<text x="${labelWidth - 6}" y="${top + r * CELL_HEIGHT + 14}" text-anchor="end" ` +
        `class="label">${escapeHtml(row)}</text>`,
    );
  });
  panels.forEach((panel, p) => {
    const left = labelWidth + p * (panelWidth + PANEL_GAP);
    parts.push(
      `<text x="${left + panelWidth / 2}" y="12" text-anchor="middle" class="label ` +
        `strong">${escapeHtml(panel.title)}</text>`,
    );
    grid.columns.forEach((column, k) => {
      parts.push(
        `<text x="${left + (k + 0.5) * cellWidth}" y="32" text-anchor="middle" ` +
          `class="tick">${escapeHtml(column)}</text>`,
      );
    });
    grid.rows.forEach((row, r) => {
      grid.columns.forEach((column, k) => {
        const cell = byId.get(gridCellId(grid, row, column));
        parts.push(
          gridCell(cell, panel, { x: left + k * cellWidth, y: top + r * CELL_HEIGHT, w: cellWidth }, colors, labels),
        );
      });
    });
  });
  const label =
    `routing map: ${panels.map((p) => p.title).join(", ")}, per cell (${grid.rows.length} × ` +
    `${grid.columns.length})`;
  return svgFrame(width, height, label, parts.join("\n"), "routing-map");
}

function gridCell(
  cell: RoutingMapCell | undefined,
  panel: Panel,
  at: { x: number; y: number; w: number },
  colors: ReadonlyMap<string, string>,
  labels: ReadonlyMap<string, string>,
): string {
  const { x, y, w } = at;
  const box = (fill: string, extra = ""): string =>
    `<rect x="${x + 1}" y="${y + 1}" width="${(w - 2).toFixed(1)}" height="${CELL_HEIGHT - 2}" rx="2" ` +
    `fill="${fill}"${extra}/>`;
  if (cell === undefined) return box("none", ` stroke="${ROLE.grid}"`);
  const model = panel.choice(cell);
  const title = `<title>${escapeHtml(cellTitle(cell, panel))}</title>`;
  if (model === null) {
    return (
      `<g>${title}${box(ROLE.empty)}<text x="${x + w / 2}" y="${y + 14}" text-anchor="middle" ` +
      `class="tick">—</text></g>`
    );
  }
  const fill = colors.get(model) ?? ROLE.empty;
  const ink = textOn(fill);
  const miss = panel.marks && cell.miss;
  const text = `${labels.get(model) ?? model}${miss ? " ✗" : ""}${panel.planted === true && cell.deviating ? "*" : ""}`;
  const changed =
    panel.marks && cell.changed ? `<path d="M${x + w - 11},${y + 1} h10 v10 z" fill="${ink}" class="changed"/>` : "";
  const stroke = miss ? ` stroke="${ROLE.text}" stroke-width="2" class="miss"` : "";
  return (
    `<g>${title}${box(fill, stroke)}<text x="${x + w / 2}" y="${y + 14}" text-anchor="middle" fill="${ink}" ` +
    `class="cell-label">${escapeHtml(text)}</text>${changed}</g>`
  );
}

function cellTitle(cell: RoutingMapCell, panel: Panel): string {
  const parts = [`${cell.cell} (${cell.requests} requests)`, `${panel.title}: ${panel.choice(cell) ?? "none"}`];
  if (panel.marks && cell.incumbent !== null)
    parts.push(`incumbent: ${cell.incumbent}${cell.changed ? " — changed" : ""}`);
  if (panel.marks && cell.planted !== null) parts.push(`planted: ${cell.planted}${cell.miss ? " — miss" : ""}`);
  if (cell.deviating) parts.push("deviating: a pooled learner would choose another model here");
  return parts.join("; ");
}

function swatch(model: string | null, colors: ReadonlyMap<string, string>): string {
  if (model === null) return "—";
  return `<span class="swatch" style="background:${colors.get(model) ?? ROLE.empty}"></span>${escapeHtml(model)}`;
}

/** The sorted-list form, for cell ids that do not make a grid. */
function listTable(data: RoutingMapData, panels: readonly Panel[]): string {
  const colors = modelColors(data.models);
  const head = panels.map((p) => `<th>${escapeHtml(p.title)}</th>`).join("");
  const rows = data.cells.map((c) => {
    const marks = [c.changed ? "▲ changed" : "", c.miss ? "✗ miss" : "", c.deviating ? "* deviating" : ""]
      .filter((m) => m !== "")
      .join(", ");
    const choices = panels.map((p) => `<td class="model">${swatch(p.choice(c), colors)}</td>`).join("");
    return `<tr><th>${escapeHtml(c.cell)}</th><td>${c.requests}</td>${choices}<td>${marks}</td></tr>`;
  });
  return `<table class="chart" data-chart="routing-map"><thead><tr><th>cell</th><th>requests</th>${head}<th></th></tr>
</thead><tbody>${rows.join("")}</tbody></table>`;
}

/** The legend: each model's colour and full id, and the marks. */
function legend(data: RoutingMapData): string {
  const colors = modelColors(data.models);
  const labels = shortModelLabels(data.models);
  const models = data.models
    .map(
      (m) =>
        `<span class="key"><span class="swatch" style="background:${colors.get(m)}"></span>` +
        `${escapeHtml(labels.get(m) === m ? m : `${labels.get(m)} = ${m}`)}</span>`,
    )
    .join("");
  const marks = [
    data.incumbentHasChoices
      ? `<span class="key">▲${data.grid === null ? "" : " corner"}: choice changed since the incumbent</span>`
      : "",
    data.warmup ? `<span class="key">✗${data.grid === null ? "" : " outlined"}: not the planted optimum</span>` : "",
    data.cells.some((c) => c.deviating)
      ? `<span class="key">* deviating cell: a pooled learner would choose another model</span>`
      : "",
    `<span class="key">— no choice (${data.warmup ? "cell not covered" : "no held-out request"})</span>`,
  ].join("");
  return `<p class="legend">${models}${marks}</p>`;
}

/** The routing map section body: legend and grid (or list). `incumbentTitle` names the incumbent. */
export function routingMap(data: RoutingMapData, incumbentTitle: string): string {
  const panels = panelsOf(data, incumbentTitle);
  const chart = data.grid === null ? null : gridSvg(data, data.grid, panels);
  return `${legend(data)}\n${chart ?? listTable(data, panels)}`;
}
