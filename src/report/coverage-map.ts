/**
 * The coverage heat map: per (cell, model), how many logged requests there are and their effective
 * sample size — the evidence the log holds for routing that cell to that model. One row per cell,
 * one column per model; the shade is the ESS, the text "rows · ESS"; the new policy's choice is
 * outlined, and cells the gate could not decide are hatched and flagged with "?".
 *
 * The renderer draws any {@link CoverageInput}; {@link coverageFromRouting} builds one from the
 * cadence's routing summary (the held-out slice).
 */
import type { CadenceResult } from "../cadence/index.js";
import { convergenceOf } from "./result-parts.js";
import { cellGrid, sortCellIds } from "./cell-grid.js";
import { ROLE, sequential, textOn } from "./palette.js";
import { escapeHtml, fixed, svgFrame } from "./svg.js";

/** One cell's row of the heat map. */
export interface CoverageRow {
  readonly cell: string;
  /** Logged requests per model, in the order of {@link CoverageInput.models}. */
  readonly rows: readonly number[];
  /** Effective sample size per model, same order. */
  readonly ess: readonly number[];
  /** The new policy's choice in the cell (outlined), or null. */
  readonly chosen: string | null;
  /** Why the gate could not decide this cell, or null when it could. */
  readonly undecided: string | null;
}

/** What the heat map draws. */
export interface CoverageInput {
  /** What the rows count, in words (e.g. "held-out requests"). */
  readonly scope: string;
  readonly models: readonly string[];
  readonly cells: readonly CoverageRow[];
}

/**
 * Coverage of the held-out slice, from the routing summary. A cell is undecided when the log holds
 * no held-out request of it routed to the model the new policy chooses (no estimator but the reward
 * model can value that choice there), or, on a warm-up, when the cell is not covered.
 */
export function coverageFromRouting(result: CadenceResult): CoverageInput | null {
  if (result.routing === null) return null;
  const { models, cells } = result.routing;
  const uncovered = new Set((convergenceOf(result)?.cells ?? []).filter((c) => !c.covered).map((c) => c.cell));
  const order =
    cellGrid(cells.map((c) => c.cell)) === null ? sortCellIds(cells.map((c) => c.cell)) : cells.map((c) => c.cell);
  const byId = new Map(cells.map((c) => [c.cell, c]));
  const fromConvergence = new Map((convergenceOf(result)?.cells ?? []).map((c) => [c.cell, c.learned]));
  const worldOrder =
    convergenceOf(result)
      ?.cells.map((c) => c.cell)
      .filter((id) => byId.has(id)) ?? order;
  return {
    scope: "held-out requests",
    models,
    cells: worldOrder.map((id) => {
      const c = byId.get(id)!;
      const chosen = convergenceOf(result) === null ? c.candidate : (fromConvergence.get(id) ?? null);
      const a = chosen === null ? -1 : models.indexOf(chosen);
      const undecided = uncovered.has(id)
        ? "not covered: too few rows for the warm-up gate"
        : a >= 0 && (c.logged[a] ?? 0) === 0
          ? `no held-out request of this cell went to ${chosen}, the new policy's choice`
          : null;
      return { cell: id, rows: c.logged, ess: c.ess, chosen, undecided };
    }),
  };
}

/**
 * The coverage table a run may carry (the corpus's rows and ESS per (cell, model), counted while the
 * refit streams; see src/cadence/coverage.ts): the fields the heat map reads.
 */
export interface CoverageTableLike {
  readonly minRowsPerModel: number;
  readonly models: readonly string[];
  readonly cells: readonly {
    readonly cell: string;
    readonly covered: boolean;
    readonly models: Readonly<Record<string, { readonly rows: number; readonly ess: number }>>;
  }[];
}

function isCoverageTable(value: unknown): value is CoverageTableLike {
  const t = value as Partial<CoverageTableLike> | null;
  return (
    t !== null &&
    typeof t === "object" &&
    Array.isArray(t.models) &&
    Array.isArray(t.cells) &&
    typeof t.minRowsPerModel === "number"
  );
}

/**
 * Coverage of the whole corpus from the run's coverage table, when it has one (else null): rows and
 * ESS per (cell, model) over every row fitted into the models (after an incremental refit, the base's
 * rows too, not only those the run read). A cell is undecided when the table does not cover it
 * (some model has fewer than its minimum rows there) or when the held-out slice holds no request of
 * it routed to the new policy's choice.
 */
export function coverageFromTable(result: CadenceResult): CoverageInput | null {
  // The table of every row fitted: `learned.coverage` in the result (a result of an older shape may lack it).
  const table = (result as { readonly learned?: { readonly coverage?: unknown } }).learned?.coverage;
  if (!isCoverageTable(table)) return null;
  const heldOut = coverageFromRouting(result);
  const chosenOf = new Map((heldOut?.cells ?? []).map((c) => [c.cell, c]));
  // The table lists cells as first read; show them in the world's order on a warm-up, sorted otherwise.
  const byId = new Map(table.cells.map((c) => [c.cell, c]));
  const worldOrder = convergenceOf(result)
    ?.cells.map((c) => c.cell)
    .filter((id) => byId.has(id));
  const rest = sortCellIds(table.cells.map((c) => c.cell).filter((id) => !(worldOrder ?? []).includes(id)));
  const order = [...(worldOrder ?? []), ...rest];
  return {
    scope: "rows fitted",
    models: table.models,
    cells: order.map((id) => {
      const c = byId.get(id)!;
      const fromSlice = chosenOf.get(id);
      const undecided = !c.covered
        ? `not covered: some model has fewer than ${table.minRowsPerModel} rows in this cell`
        : (fromSlice?.undecided ?? null);
      return {
        cell: id,
        rows: table.models.map((m) => c.models[m]?.rows ?? 0),
        ess: table.models.map((m) => c.models[m]?.ess ?? 0),
        chosen: fromSlice?.chosen ?? null,
        undecided,
      };
    }),
  };
}

/** Counts of the heat map, for the text beside it. */
export function coverageSummary(input: CoverageInput): { pairs: number; empty: number; undecided: number } {
  const pairs = input.cells.length * input.models.length;
  const empty = input.cells.reduce((n, c) => n + c.rows.filter((r) => r === 0).length, 0);
  return { pairs, empty, undecided: input.cells.filter((c) => c.undecided !== null).length };
}

/** The heat map as SVG. */
export function coverageChart(input: CoverageInput): string {
  const rowHeight = 16;
  const cellWidth = Math.min(78, Math.max(44, 860 / Math.max(1, input.models.length)));
  const left = 22 + 6.4 * Math.max(4, ...input.cells.map((c) => c.cell.length));
  const top = 30;
  const width = Math.ceil(left + input.models.length * cellWidth + 8);
  const height = top + input.cells.length * rowHeight + 6;
  const maxEss = Math.max(1, ...input.cells.flatMap((c) => c.ess));
  const header = input.models
    .map(
      (m, a) =>
        `<text x="${(left + (a + 0.5) * cellWidth).toFixed(1)}" y="${top - 8}" text-anchor="middle" ` +
        `class="label">${escapeHtml(m)}</text>`,
    )
    .join("");
  const pattern =
    `<defs><pattern id="undecided-hatch" width="6" height="6" patternUnits="userSpaceOnUse" ` +
    `patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff" fill-opacity="0.55"/><line x1="3" ` +
    `y1="0" x2="3" y2="6" stroke="${ROLE.fail}" stroke-width="1.5"/></pattern></defs>`;
  const rows = input.cells.map((c, r) => {
    const y = top + r * rowHeight;
    const flag = c.undecided === null ? "" : "? ";
    const why = c.undecided === null ? "" : `<title>${escapeHtml(c.undecided)}</title>`;
    const label =
      `<text x="${left - 6}" y="${y + 12}" text-anchor="end" ` +
      `class="label${c.undecided === null ? "" : " undecided"}">${why}${escapeHtml(flag + c.cell)}</text>`;
    const squares = input.models.map((model, a) => {
      const rowsLogged = c.rows[a] ?? 0;
      const ess = c.ess[a] ?? 0;
      const fill = rowsLogged === 0 ? ROLE.empty : sequential(Math.sqrt(ess / maxEss));
      const x = left + a * cellWidth;
      const isChoice = c.chosen === model;
      const outline = isChoice ? ` stroke="${ROLE.text}" stroke-width="2"` : "";
      const hatch =
        isChoice && c.undecided !== null
          ? `<rect x="${x + 1}" y="${y + 1}" width="${cellWidth - 2}" height="${rowHeight - 2}" ` +
            `fill="url(#undecided-hatch)" class="undecided"/>`
          : "";
      const text = rowsLogged === 0 ? "0" : `${rowsLogged} · ${fixed(ess, ess < 10 ? 1 : 0)}`;
      const tip =
        `${c.cell} → ${model}: ${rowsLogged} ${input.scope}, ESS ` +
        `${fixed(ess, 1)}${isChoice ? " (the new policy's choice)" : ""}`;
      return (
        `<g><title>${escapeHtml(tip)}</title><rect x="${x + 1}" y="${y + 1}" width="${cellWidth - 2}" ` +
        `height="${rowHeight - 2}" fill="${fill}"${outline}/>${hatch}<text x="${(x + cellWidth / 2).toFixed(1)}" ` +
        `y="${y + 12}" text-anchor="middle" class="small" ` +
        `fill="${rowsLogged === 0 ? ROLE.muted : textOn(fill)}">${text}</text></g>`
      );
    });
    return label + squares.join("");
  });
  const body = `${pattern}\n${header}\n${rows.join("\n")}`;
  return svgFrame(
    width,
    height,
    `coverage: ${input.scope} and effective sample size per cell and model`,
    body,
    "coverage-map",
  );
}
