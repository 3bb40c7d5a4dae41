/**
 * The coverage table of a corpus: per (cell, model), the rows the refit read and the Kish effective
 * sample size of their importance weights 1/π — what the logged data can decide. Built while the
 * corpus streams (add every chunk), the same way in warm-up and production runs, and written into
 * the run's metrics.
 *
 * A cell is covered when every model has at least `minRowsPerModel` rows in it: a model the logging
 * policy (almost) never tried in a cell cannot be told apart there, however many rows the cell has.
 * The ESS says how much those rows weigh for evaluating "always this model" off-policy:
 * (Σw)²/Σw², w = 1/π; rows logged with small propensities count for less.
 */

/** The columns of a chunk the table reads. */
export interface CoverageChunk {
  readonly length: number;
  readonly cells: readonly string[];
  readonly arms: readonly string[];
  readonly propensities: ArrayLike<number>;
}

/** One (cell, model) of the table. */
export interface ModelCoverage {
  readonly rows: number;
  /** (Σ 1/π)² / Σ 1/π² over the rows (0 without rows). */
  readonly ess: number;
}

/** One cell of the table. */
export interface CellCoverage {
  readonly cell: string;
  readonly rows: number;
  /** Every model has at least `minRowsPerModel` rows here. */
  readonly covered: boolean;
  /** By model id, every model of the table (0 rows where never logged). */
  readonly models: Readonly<Record<string, ModelCoverage>>;
}

/** The coverage table (JSON-able). */
export interface CoverageTable {
  readonly minRowsPerModel: number;
  readonly models: readonly string[];
  readonly rows: number;
  readonly coveredCells: number;
  readonly cells: readonly CellCoverage[];
}

/** Rows of every model a cell needs to be covered, unless the caller says otherwise (the gate's). */
export const DEFAULT_COVERAGE_ROWS_PER_MODEL = 5;

/** The running sums of one (cell, model): rows, Σ 1/π and Σ 1/π². */
export interface CoverageSums {
  rows: number;
  weights: number;
  squaredWeights: number;
}

/** A collector's sums, cells in first-seen order: what a shard sends back to be merged. */
export type CoverageSumsByCell = readonly (readonly [
  cell: string,
  byModel: readonly (readonly [string, CoverageSums])[],
])[];

type Sums = CoverageSums;

/** Accumulates a coverage table chunk by chunk. */
export class CoverageCollector {
  private readonly byCell = new Map<string, Map<string, Sums>>();
  private readonly knownModels: string[];
  private total = 0;

  /** `models`: the arms every cell reports (others are added as they appear). */
  constructor(models: readonly string[] = []) {
    this.knownModels = [...models];
  }

  /** Adds a chunk's accepted rows. */
  add(chunk: CoverageChunk): void {
    for (let i = 0; i < chunk.length; i++) {
      const cell = chunk.cells[i]!;
      const model = chunk.arms[i]!;
      let byModel = this.byCell.get(cell);
      if (byModel === undefined) this.byCell.set(cell, (byModel = new Map()));
      let sums = byModel.get(model);
      if (sums === undefined) {
        byModel.set(model, (sums = { rows: 0, weights: 0, squaredWeights: 0 }));
        if (!this.knownModels.includes(model)) this.knownModels.push(model);
      }
      const w = 1 / chunk.propensities[i]!;
      sums.rows++;
      sums.weights += w;
      sums.squaredWeights += w * w;
    }
    this.total += chunk.length;
  }

  /** The sums so far (a copy), cells and models in first-seen order. */
  sums(): CoverageSumsByCell {
    return [...this.byCell].map(([cell, byModel]) => [
      cell,
      [...byModel].map(([model, s]) => [model, { ...s }] as const),
    ]);
  }

  /**
   * Adds another collector's sums (a shard's): merged in shard order, cells keep the first-seen
   * order of the single read.
   */
  addSums(other: CoverageSumsByCell): void {
    for (const [cell, byModel] of other) {
      let mine = this.byCell.get(cell);
      if (mine === undefined) this.byCell.set(cell, (mine = new Map()));
      for (const [model, s] of byModel) {
        let sums = mine.get(model);
        if (sums === undefined) {
          mine.set(model, (sums = { rows: 0, weights: 0, squaredWeights: 0 }));
          if (!this.knownModels.includes(model)) this.knownModels.push(model);
        }
        sums.rows += s.rows;
        sums.weights += s.weights;
        sums.squaredWeights += s.squaredWeights;
        this.total += s.rows;
      }
    }
  }

  /** The table so far; cells in first-seen order, models in the given order then first-seen. */
  finish(minRowsPerModel = DEFAULT_COVERAGE_ROWS_PER_MODEL): CoverageTable {
    const cells = [...this.byCell].map(([cell, byModel]): CellCoverage => {
      const models = Object.fromEntries(
        this.knownModels.map((model) => {
          const s = byModel.get(model);
          return [model, { rows: s?.rows ?? 0, ess: s === undefined ? 0 : (s.weights * s.weights) / s.squaredWeights }];
        }),
      );
      const rows = Object.values(models).reduce((sum, m) => sum + m.rows, 0);
      return { cell, rows, covered: Object.values(models).every((m) => m.rows >= minRowsPerModel), models };
    });
    return {
      minRowsPerModel,
      models: [...this.knownModels],
      rows: this.total,
      coveredCells: cells.filter((c) => c.covered).length,
      cells,
    };
  }
}
