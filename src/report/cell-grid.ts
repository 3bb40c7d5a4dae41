/**
 * How a report lays cells out: as a grid when every cell id has two parts (the synthetic world's
 * `task:difficulty`, or any `row:column`, `row/column`, `row|column` id), otherwise as a sorted
 * list. Rows and columns keep the order of the cells given, except that columns made of known
 * ordinal words (difficulty and size words) are put in their natural order.
 */

/** Separators tried, in order: the first that splits every cell id into two non-empty parts wins. */
const GRID_SEPARATORS = [":", "/", "|"] as const;

/** Ordinal words that columns are sorted by when every column is one of them. */
const ORDINAL_WORDS = ["trivial", "easy", "low", "small", "medium", "mid", "high", "large", "hard", "expert"];

/** A two-part layout of cell ids. */
export interface CellGrid {
  readonly separator: string;
  readonly rows: readonly string[];
  readonly columns: readonly string[];
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** The grid of `cellIds`, or null when they do not all have two parts (then list them sorted). */
export function cellGrid(cellIds: readonly string[]): CellGrid | null {
  if (cellIds.length === 0) return null;
  for (const separator of GRID_SEPARATORS) {
    const parts = cellIds.map((id) => id.split(separator));
    if (!parts.every((p) => p.length === 2 && p[0] !== "" && p[1] !== "")) continue;
    const rows = unique(parts.map((p) => p[0] as string));
    let columns = unique(parts.map((p) => p[1] as string));
    if (columns.every((c) => ORDINAL_WORDS.includes(c)))
      columns = [...columns].sort((a, b) => ORDINAL_WORDS.indexOf(a) - ORDINAL_WORDS.indexOf(b));
    return { separator, rows, columns };
  }
  return null;
}

/** The cell id at (row, column) of a grid. */
export function gridCellId(grid: CellGrid, row: string, column: string): string {
  return `${row}${grid.separator}${column}`;
}

/** Cell ids in list order: numbers inside ids compared as numbers ("cell-2" before "cell-10"). */
export function sortCellIds(cellIds: readonly string[]): string[] {
  return [...cellIds].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}
