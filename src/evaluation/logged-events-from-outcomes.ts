/**
 * Logged events from judged routing outcomes (the rows the store reads): the arm is the model the
 * request was routed to, the context its feature vector, the reward the judge's. The cells come back
 * alongside, because a target policy (a LinUCB engine) scores each event in its own cell.
 */
import type { RoutingOutcome } from "../outcomes/outcome.js";
import { checkPropensityValue, checkRewardValue, resolveActionSpace, type LoggedEvents } from "./logged-events.js";
import { describeValue } from "./validate.js";

/** The fields of a routing outcome that evaluation reads. */
export type OutcomeForEvaluation = Pick<RoutingOutcome, "id" | "cell" | "model" | "features" | "propensity" | "reward">;

/** Events built from outcomes, with the cell of each event. */
export interface OutcomeEvents {
  readonly events: LoggedEvents;
  /** The cell of event i. */
  readonly cells: readonly string[];
}

/**
 * Builds {@link LoggedEvents} from judged outcomes, in the order given.
 * @param arms The arm ids by index (the engine's `arms`): the action space.
 * @throws RangeError / TypeError naming the outcome id: an unjudged row (reward null), an unknown
 *   model, a propensity outside (0, 1], features of a different length than the first row's.
 */
export function loggedEventsFromOutcomes(
  outcomes: Iterable<OutcomeForEvaluation>,
  arms: readonly string[],
): OutcomeEvents {
  const { actionCount, actionIds, lookup } = resolveActionSpace({ actionIds: arms }, "arms");
  const actions: number[] = [];
  const rewards: number[] = [];
  const propensities: number[] = [];
  const cells: string[] = [];
  let contexts = new Float64Array(1024);
  let dimension = -1;
  for (const outcome of outcomes) {
    const where = `outcome ${describeValue(outcome?.id)}`;
    const action = lookup!.get(outcome.model);
    if (action === undefined) {
      throw new RangeError(
        `${where}: \`model\` must be one of the ${actionCount} arms (${arms.join(", ")}); ` +
          `received ${describeValue(outcome.model)}`,
      );
    }
    if (outcome.reward === null) throw new RangeError(`${where}: \`reward\` is null — judge the row before evaluating`);
    rewards.push(checkRewardValue(outcome.reward, `${where}.reward`));
    propensities.push(checkPropensityValue(outcome.propensity, `${where}.propensity`));
    const features = outcome.features;
    if (dimension === -1) dimension = features.length;
    if (features.length !== dimension) {
      throw new RangeError(
        `${where}: \`features\` must have length ${dimension} like the rows before it; ` +
          `received length ${features.length}`,
      );
    }
    for (let j = 0; j < dimension; j++) {
      if (!Number.isFinite(features[j]))
        throw new RangeError(`${where}: \`features[${j}]\` must be finite; received ${describeValue(features[j])}`);
    }
    const i = actions.length;
    if ((i + 1) * dimension > contexts.length) {
      const grown = new Float64Array(Math.max(contexts.length * 2, (i + 1) * dimension));
      grown.set(contexts);
      contexts = grown;
    }
    contexts.set(features, i * dimension);
    actions.push(action);
    cells.push(outcome.cell);
  }
  const n = actions.length;
  const d = Math.max(dimension, 0);
  return {
    events: {
      length: n,
      actionCount,
      actionIds,
      actions: Int32Array.from(actions),
      rewards: Float64Array.from(rewards),
      propensities: Float64Array.from(propensities),
      contexts: contexts.slice(0, n * d),
      dimension: d,
    },
    cells,
  };
}
