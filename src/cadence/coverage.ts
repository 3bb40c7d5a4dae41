/**
 * The coverage table of a corpus: per (cell, model), the rows the refit read and the Kish effective
 * sample size of their importance weights 1/π — what the logged data can decide. Built while the
 * corpus streams (add every chunk), the same way in warm-up and production runs, and written into
 * the run's metrics. An incremental refit starts the collector from its base's sums (recorded with
 * the base, {@link PackedCoverageSums}), so the table covers every row in the models, as a full refit's.
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

/**
 * A collector's sums packed for JSON, as a refit basis records them (`parameters.corpus.basis.coverage`,
 * ./refit-plan.ts): per cell, `[rows, Σ 1/π, Σ 1/π²]` of each model in `models` order, flattened, zeros
 * where the model has no rows — cells × models × 3 numbers, no key repeated per model.
 *
 * Raw rows and raw weights 1/π: coverage says what the logs can decide, so it never carries the daily
 * discount (a full refit counts an old row like a new one). Sums recorded at one clock are therefore
 * added as they are at any later one — unlike the statistics, which are discounted to the run's clock.
 */
export interface PackedCoverageSums {
  readonly models: readonly string[];
  readonly cells: readonly (readonly [cell: string, sums: readonly number[]])[];
}

/** `sums` packed for JSON (see {@link PackedCoverageSums}); models in first-seen order. */
export function packCoverageSums(sums: CoverageSumsByCell): PackedCoverageSums {
  const models = [...new Set(sums.flatMap(([, byModel]) => byModel.map(([model]) => model)))];
  const cells = sums.map(([cell, byModel]): readonly [string, number[]] => {
    const packed = new Array<number>(models.length * 3).fill(0);
    for (const [model, s] of byModel) packed.splice(models.indexOf(model) * 3, 3, s.rows, s.weights, s.squaredWeights);
    return [cell, packed];
  });
  return { models, cells };
}

/** The sums packed by {@link packCoverageSums}, for {@link CoverageCollector.addSums}; models without rows left out. */
export function unpackCoverageSums(packed: PackedCoverageSums): CoverageSumsByCell {
  return packed.cells.map(([cell, sums]) => [
    cell,
    packed.models
      .map(
        (model, m) =>
          [model, { rows: sums[m * 3]!, weights: sums[m * 3 + 1]!, squaredWeights: sums[m * 3 + 2]! }] as const,
      )
      .filter(([, s]) => s.rows > 0),
  ]);
}

/** Whether a stored value is well-formed packed sums (a count and two finite sums per model, in every cell). */
export function isPackedCoverageSums(value: unknown): value is PackedCoverageSums {
  if (typeof value !== "object" || value === null) return false;
  const { models, cells } = value as { models?: unknown; cells?: unknown };
  if (!Array.isArray(models) || !models.every((m) => typeof m === "string")) return false;
  if (!Array.isArray(cells)) return false;
  return cells.every(
    (entry) =>
      Array.isArray(entry) &&
      entry.length === 2 &&
      typeof entry[0] === "string" &&
      Array.isArray(entry[1]) &&
      entry[1].length === models.length * 3 &&
      (entry[1] as unknown[]).every((x, i) =>
        i % 3 === 0 ? Number.isSafeInteger(x) && (x as number) >= 0 : Number.isFinite(x),
      ),
  );
}
