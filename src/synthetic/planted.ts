/**
 * Read access to a world's planted truth, by id or index: the expected reward and outcome
 * probabilities of (cell, model, context), mean contexts, and the logging policy's propensities.
 * These are what the answer key, the convergence report and the tests are computed from.
 */
import { describeValue } from "../engine/errors.js";
import { SYNTHETIC_DIMENSION } from "./features.js";
import {
  agentCellMeanContext,
  checkWorld,
  dotAt,
  type SyntheticAgent,
  type SyntheticCell,
  type SyntheticWorld,
} from "./world.js";

/** A cell by id (e.g. `"sql:hard"`) or by index. */
export type CellRef = string | number;
/** A model by id (e.g. `"model-c"`) or by index. */
export type ModelRef = string | number;
/** An agent by id (e.g. `"agent-07"`) or by index. */
export type AgentRef = string | number;

function resolveRef<T extends { readonly id: string }>(
  items: readonly T[],
  ref: unknown,
  name: string,
  kind: string,
): number {
  if (typeof ref === "number") {
    if (Number.isInteger(ref) && ref >= 0 && ref < items.length) return ref;
    throw new RangeError(
      `\`${name}\` must be a ${kind} index in [0, ${items.length - 1}], received ${describeValue(ref)}`,
    );
  }
  if (typeof ref === "string") {
    const index = items.findIndex((item) => item.id === ref);
    if (index >= 0) return index;
    throw new RangeError(`\`${name}\` must be a ${kind} id of this world, received ${describeValue(ref)}`);
  }
  throw new TypeError(`\`${name}\` must be a ${kind} id or index, received ${describeValue(ref)}`);
}

/** Index of a cell given by id or index; RangeError / TypeError otherwise. */
export function cellIndexOf(world: SyntheticWorld, cell: CellRef, name = "cell"): number {
  checkWorld(world);
  return resolveRef<SyntheticCell>(world.cells, cell, name, "cell");
}

/** Index of a model given by id or index; RangeError / TypeError otherwise. */
export function modelIndexOf(world: SyntheticWorld, model: ModelRef, name = "model"): number {
  checkWorld(world);
  return resolveRef(
    world.models.map((id) => ({ id })),
    model,
    name,
    "model",
  );
}

/** Index of an agent given by id or index; RangeError / TypeError otherwise. */
export function agentIndexOf(world: SyntheticWorld, agent: AgentRef, name = "agent"): number {
  checkWorld(world);
  return resolveRef<SyntheticAgent>(world.agents, agent, name, "agent");
}

function checkContext(context: unknown, name = "context"): ArrayLike<number> {
  const candidate = context as ArrayLike<number> | null;
  if (candidate === null || typeof candidate !== "object" || typeof candidate.length !== "number") {
    throw new TypeError(
      `\`${name}\` must be an array of ${SYNTHETIC_DIMENSION} numbers, received ${describeValue(context)}`,
    );
  }
  if (candidate.length !== SYNTHETIC_DIMENSION) {
    throw new RangeError(`\`${name}\` must have length ${SYNTHETIC_DIMENSION}, received length ${candidate.length}`);
  }
  for (let k = 0; k < SYNTHETIC_DIMENSION; k++) {
    if (typeof candidate[k] !== "number" || !Number.isFinite(candidate[k])) {
      throw new TypeError(`\`${name}[${k}]\` must be a finite number, received ${describeValue(candidate[k])}`);
    }
  }
  return candidate;
}

function blockOf(world: SyntheticWorld, cell: CellRef, model: ModelRef): number {
  return (cellIndexOf(world, cell) * world.models.length + modelIndexOf(world, model)) * SYNTHETIC_DIMENSION;
}

/** θ(c, m): a copy of the planted expected-reward coefficients of (cell, model). */
export function plantedRewardCoefficients(world: SyntheticWorld, cell: CellRef, model: ModelRef): Float64Array {
  const base = blockOf(world, cell, model);
  return world.rewardCoefficients.slice(base, base + SYNTHETIC_DIMENSION);
}

/** E[reward | cell, model, context] = θ(c, m)·x: the planted expected reward. */
export function plantedExpectedReward(
  world: SyntheticWorld,
  cell: CellRef,
  model: ModelRef,
  context: ArrayLike<number>,
): number {
  const x = Float64Array.from(checkContext(context));
  return dotAt(world.rewardCoefficients, blockOf(world, cell, model), x);
}

/** The planted probabilities of the three outcomes for (cell, model, context). */
export function plantedProbabilities(
  world: SyntheticWorld,
  cell: CellRef,
  model: ModelRef,
  context: ArrayLike<number>,
): { readonly completed: number; readonly hallucinated: number; readonly refused: number } {
  const x = Float64Array.from(checkContext(context));
  const base = blockOf(world, cell, model);
  return {
    completed: dotAt(world.completionCoefficients, base, x),
    hallucinated: dotAt(world.hallucinationCoefficients, base, x),
    refused: dotAt(world.refusalCoefficients, base, x),
  };
}

/** x̄_c: a copy of the mean context of a cell's requests (over its agents and requests). */
export function cellMeanContext(world: SyntheticWorld, cell: CellRef): Float64Array {
  return Float64Array.from(world.cells[cellIndexOf(world, cell)].meanContext);
}

/** The mean context of a cell's requests from one agent. */
export function cellAgentMeanContext(world: SyntheticWorld, cell: CellRef, agent: AgentRef): Float64Array {
  const c = world.cells[cellIndexOf(world, cell)];
  const a = world.agents[agentIndexOf(world, agent)];
  const out = new Float64Array(SYNTHETIC_DIMENSION);
  agentCellMeanContext(a, c.taskIndex, c.bucketIndex, out, 0);
  return out;
}

/**
 * Expected reward of every model in a cell, averaged over the cell's context distribution (by
 * linearity, θ(c, m)·x̄_c), in model order.
 */
export function cellExpectedRewards(world: SyntheticWorld, cell: CellRef): Float64Array {
  const c = world.cells[cellIndexOf(world, cell)];
  const models = world.models.length;
  return Float64Array.from({ length: models }, (_, m) =>
    dotAt(world.rewardCoefficients, (c.index * models + m) * SYNTHETIC_DIMENSION, c.meanContext),
  );
}

/** π(· | cell, agent): a copy of the logging policy's propensities, in model order (they sum to 1). */
export function loggingPropensities(world: SyntheticWorld, cell: CellRef, agent: AgentRef): Float64Array {
  const models = world.models.length;
  const base = (cellIndexOf(world, cell) * world.agents.length + agentIndexOf(world, agent)) * models;
  return world.propensities.slice(base, base + models);
}

/** The logging policy's mean propensity of every model in a cell (averaged over P(agent | cell)). */
export function cellLoggingShares(world: SyntheticWorld, cell: CellRef): Float64Array {
  const c = world.cells[cellIndexOf(world, cell)];
  const models = world.models.length;
  const shares = new Float64Array(models);
  for (const agent of world.agents) {
    const base = (c.index * world.agents.length + agent.index) * models;
    for (let m = 0; m < models; m++) shares[m] += c.agentShares[agent.index] * world.propensities[base + m];
  }
  return shares;
}

/**
 * The logging policy's expected reward in a cell: Σ_agent P(agent | cell) Σ_m π(m | cell, agent) ·
 * θ(c, m)·x̄(c, agent). Exact: the policy depends on the agent, whose features are constant, and
 * not on the per-request features, over which the expected reward is linear.
 */
export function cellLoggingValue(world: SyntheticWorld, cell: CellRef): number {
  const c = world.cells[cellIndexOf(world, cell)];
  const models = world.models.length;
  const x = new Float64Array(SYNTHETIC_DIMENSION);
  let value = 0;
  for (const agent of world.agents) {
    agentCellMeanContext(agent, c.taskIndex, c.bucketIndex, x, 0);
    const base = (c.index * world.agents.length + agent.index) * models;
    for (let m = 0; m < models; m++) {
      value +=
        c.agentShares[agent.index] *
        world.propensities[base + m] *
        dotAt(world.rewardCoefficients, (c.index * models + m) * SYNTHETIC_DIMENSION, x);
    }
  }
  return value;
}
