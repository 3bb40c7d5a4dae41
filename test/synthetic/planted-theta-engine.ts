/**
 * TEST DOUBLE, not an engine: implements only the members of LinUCBEngine that the convergence
 * report reads (dimension, arms, hasCell, model), with θ set by the test — by default each
 * (cell, arm)'s planted θ, i.e. a learner that converged perfectly. It lets the report's own
 * arithmetic be tested without depending on a real engine; the real engine is tested by the gate.
 */
import type { ModelState } from "../../src/engine/types.js";
import {
  countRowsPerCell,
  countRowsPerModel,
  plantedRewardCoefficients,
  type ConvergenceEngine,
  type RowsPerCell,
  type SyntheticWorld,
} from "../../src/synthetic/index.js";

export class PlantedThetaEngineDouble implements ConvergenceEngine {
  readonly dimension: number;
  readonly arms: readonly string[];
  private readonly thetas = new Map<string, Float64Array>();
  private readonly cellIds: Set<string>;
  private readonly counts = new Map<string, number>();

  constructor(world: SyntheticWorld, options: { arms?: readonly string[]; cells?: readonly string[] } = {}) {
    this.dimension = world.dimension;
    this.arms = options.arms ?? world.models;
    this.cellIds = new Set(options.cells ?? world.cells.map((c) => c.id));
    for (const cell of this.cellIds) {
      for (const arm of this.arms) this.thetas.set(`${cell}|${arm}`, plantedRewardCoefficients(world, cell, arm));
    }
  }

  /**
   * Makes the double report the row counts of `rows` (per model when the rows say which model,
   * else all on the first arm), as an engine fitted on exactly those rows would.
   */
  fittedOn(world: SyntheticWorld, rows: RowsPerCell): this {
    this.counts.clear();
    const perModel = countRowsPerModel(world, rows);
    if (perModel !== null) {
      for (const [cell, byModel] of perModel)
        for (const [model, support] of byModel) this.counts.set(`${cell}|${model}`, support.rows);
    } else {
      for (const [cell, n] of countRowsPerCell(world, rows)) this.counts.set(`${cell}|${this.arms[0]}`, n);
    }
    return this;
  }

  /** Replaces θ of one (cell, arm). */
  setTheta(cell: string, arm: string, theta: Float64Array): void {
    this.thetas.set(`${cell}|${arm}`, theta);
  }

  hasCell(id: string): boolean {
    return this.cellIds.has(id);
  }

  model(cell: string, arm: string): ModelState {
    const theta = this.thetas.get(`${cell}|${arm}`);
    if (theta === undefined) throw new Error(`test double: no model for ${cell} / ${arm}`);
    const identity = new Float64Array(this.dimension * this.dimension);
    for (let k = 0; k < this.dimension; k++) identity[k * this.dimension + k] = 1;
    return {
      theta: Float64Array.from(theta),
      covariance: identity,
      b: Float64Array.from(theta),
      count: this.counts.get(`${cell}|${arm}`) ?? 0,
      priorWeight: 1,
    };
  }
}
