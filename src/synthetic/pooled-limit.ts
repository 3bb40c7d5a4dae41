/**
 * The pooled limit: what a per-model linear fit pooled over all cells converges to with unlimited
 * logged data, and the choice it makes in each cell. Computed exactly from the world.
 *
 * The least-squares fit of model m on the logging policy's rows is θ̄_m = E[xxᵀ·1{m}]⁻¹ E[x·r·1{m}],
 * with expectations over the generator's cell, agent and request distribution and the logging
 * propensities π(m | c, a). E[r | x] = θ(c, m)·x, so E[x·r·1{m}] = Σ π·E[xxᵀ | c, a]·θ(c, m). Within
 * (cell, agent) only difficulty and input size vary, independently and uniformly on their grids, so
 * E[xxᵀ | c, a] = x̄x̄ᵀ + Var(difficulty)·e_d e_dᵀ + Var(input size)·e_s e_sᵀ.
 *
 * A cell is deviating when the pooled-limit choice argmax_m θ̄_m·x̄_c is not the planted optimum:
 * there a learner that ignores cells stays wrong however many rows it sees.
 */
import { invertMatrix } from "../engine/reference.js";
import { DIFFICULTY_BUCKETS, FEATURE_GRID, TASK_TYPES, type GridRange } from "./catalog.js";
import { FeatureIndex, SYNTHETIC_DIMENSION } from "./features.js";
import { agentCellMeanContext, checkWorld, dotAt, rankCellModels, type SyntheticWorld } from "./world.js";

function gridVariance(range: GridRange): number {
  return (range.count * range.count - 1) / 12 / (FEATURE_GRID * FEATURE_GRID);
}

/** θ̄_m for every model (models × d), the pooled fit on unlimited logged data. */
export function pooledLimitCoefficients(world: SyntheticWorld): Float64Array {
  checkWorld(world);
  const d = SYNTHETIC_DIMENSION;
  const models = world.models.length;
  const agents = world.agents.length;
  const moments = Array.from({ length: models }, () => new Float64Array(d * d));
  const targets = Array.from({ length: models }, () => new Float64Array(d));
  const x = new Float64Array(d);
  const second = new Float64Array(d * d);
  for (const cell of world.cells) {
    const varDifficulty = gridVariance(DIFFICULTY_BUCKETS[cell.bucketIndex].difficulty);
    const varInput = gridVariance(TASK_TYPES[cell.taskIndex].inputSize);
    for (const agent of world.agents) {
      agentCellMeanContext(agent, cell.taskIndex, cell.bucketIndex, x, 0);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) second[i * d + j] = x[i] * x[j];
      second[FeatureIndex.difficulty * d + FeatureIndex.difficulty] += varDifficulty;
      second[FeatureIndex.inputSize * d + FeatureIndex.inputSize] += varInput;
      const share = cell.probability * cell.agentShares[agent.index];
      for (let m = 0; m < models; m++) {
        const weight = share * world.propensities[(cell.index * agents + agent.index) * models + m];
        const theta = (cell.index * models + m) * d;
        for (let i = 0; i < d; i++) {
          let row = 0;
          for (let j = 0; j < d; j++) {
            moments[m][i * d + j] += weight * second[i * d + j];
            row += second[i * d + j] * world.rewardCoefficients[theta + j];
          }
          targets[m][i] += weight * row;
        }
      }
    }
  }
  const out = new Float64Array(models * d);
  for (let m = 0; m < models; m++) {
    const inverse = invertMatrix(moments[m], d);
    for (let i = 0; i < d; i++) {
      let sum = 0;
      for (let j = 0; j < d; j++) sum += inverse[i * d + j] * targets[m][j];
      out[m * d + i] = sum;
    }
  }
  return out;
}

/** Per cell, the model index the pooled limit chooses (argmax θ̄_m·x̄_c; ties to the lower index). */
export function pooledLimitChoices(world: SyntheticWorld): Int32Array {
  const pooled = pooledLimitCoefficients(world);
  const models = world.models.length;
  return Int32Array.from(world.cells, (cell) => {
    let best = 0;
    for (let m = 1; m < models; m++) {
      if (
        dotAt(pooled, m * SYNTHETIC_DIMENSION, cell.meanContext) >
        dotAt(pooled, best * SYNTHETIC_DIMENSION, cell.meanContext)
      )
        best = m;
    }
    return best;
  });
}

/** Indices of the cells whose pooled-limit choice is not the planted optimum. */
export function deviatingCells(world: SyntheticWorld): number[] {
  const choices = pooledLimitChoices(world);
  const models = world.models.length;
  return world.cells
    .filter(
      (cell) =>
        choices[cell.index] !== rankCellModels(cell.meanContext, world.rewardCoefficients, cell.index, models).best,
    )
    .map((cell) => cell.index);
}
