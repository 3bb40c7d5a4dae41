/**
 * Logged bandit feedback, the input of every estimator: for each event the action the logging
 * policy took, the reward it observed and the probability with which it took that action.
 * Columnar (one typed array per field) so that estimators and the bootstrap run over flat arrays
 * with no per-event objects.
 */
import { checkArrayLike, checkLength, checkPositiveInteger, describeValue } from "./validate.js";

/**
 * Logged events in columnar form. Event i is
 * (`actions[i]`, `rewards[i]`, `propensities[i]`, `contexts[i·dimension … (i+1)·dimension)`).
 * Build it with {@link createLoggedEvents}, {@link loggedEventsFromObjects} or the file readers,
 * which validate every value; estimators trust a `LoggedEvents` and do not re-check it.
 */
export interface LoggedEvents {
  /** Number of events n. */
  readonly length: number;
  /** Number of actions K: actions are indices 0 … K−1. */
  readonly actionCount: number;
  /** Action ids by index, when the actions have names (length K). */
  readonly actionIds: readonly string[] | undefined;
  /** The logged action index of each event, in [0, K). */
  readonly actions: Int32Array;
  /** The observed reward of each event; finite. */
  readonly rewards: Float64Array;
  /** The probability with which the logging policy chose the logged action, in (0, 1]. */
  readonly propensities: Float64Array;
  /** Context features, row-major n × `dimension`; empty when the events carry no context. */
  readonly contexts: Float64Array;
  /** Context length d per event (0 when there are no contexts). */
  readonly dimension: number;
}

/**
 * The columns of {@link createLoggedEvents}. Typed arrays of the right type (`Int32Array` actions,
 * `Float64Array` rewards, propensities and contexts) are used as they are, not copied: do not change
 * them afterwards. Anything else is copied.
 */
export interface LoggedEventsInit {
  /** Logged actions: indices in [0, `actionCount`), or ids listed in `actionIds`. */
  readonly actions: ArrayLike<number> | readonly string[];
  readonly rewards: ArrayLike<number>;
  readonly propensities: ArrayLike<number>;
  /** K. Required unless `actionIds` is given (then K = `actionIds.length`). */
  readonly actionCount?: number;
  /** Action ids by index: required when `actions` are ids. Unique strings. */
  readonly actionIds?: readonly string[];
  /** Row-major contexts, n × `dimension` values. @default none */
  readonly contexts?: ArrayLike<number>;
  /** Context length d. Required with `contexts`. */
  readonly dimension?: number;
}

/** One logged event as a plain object (the array-of-objects form, and one JSONL line). */
export interface LoggedEvent {
  /** The action index, or its id when the events are given `actionIds`. */
  readonly action: number | string;
  readonly reward: number;
  /** Logging probability of `action`, in (0, 1]. */
  readonly propensity: number;
  readonly context?: ArrayLike<number>;
}

/** How action values map to indices: a fixed count of indices, or a list of ids. */
export interface ActionSpace {
  /** K, when actions are given as indices. */
  readonly actionCount?: number;
  /** Action ids by index, when actions are given as ids. */
  readonly actionIds?: readonly string[];
}

/**
 * Validates columns and builds {@link LoggedEvents}.
 * @throws TypeError or RangeError naming the column, the event index and the value received: a
 *   length mismatch, an action out of range or unknown, a non-finite reward, a propensity outside
 *   (0, 1], a non-finite context value.
 */
export function createLoggedEvents(init: LoggedEventsInit): LoggedEvents {
  if (init === null || typeof init !== "object") {
    throw new TypeError(
      `\`events\` must be an object with actions, rewards and propensities; received ${describeValue(init)}`,
    );
  }
  const { actionCount, actionIds, lookup } = resolveActionSpace(init, "events");
  const rawActions = init.actions as unknown;
  checkArrayLike(rawActions, "events.actions");
  const n = (rawActions as ArrayLike<unknown>).length;
  const rewards = checkArrayLike(init.rewards, "events.rewards");
  const propensities = checkArrayLike(init.propensities, "events.propensities");
  checkLength(rewards.length, n, "events.rewards", "one per logged action");
  checkLength(propensities.length, n, "events.propensities", "one per logged action");

  const actions = rawActions instanceof Int32Array ? rawActions : new Int32Array(n);
  for (let i = 0; i < n; i++) {
    actions[i] = toActionIndex((rawActions as ArrayLike<unknown>)[i], actionCount, lookup, `events.actions[${i}]`);
  }
  const rewardColumn = rewards instanceof Float64Array ? rewards : Float64Array.from(rewards);
  const propensityColumn = propensities instanceof Float64Array ? propensities : Float64Array.from(propensities);
  for (let i = 0; i < n; i++) {
    checkRewardValue(rewardColumn[i], `events.rewards[${i}]`);
    checkPropensityValue(propensityColumn[i], `events.propensities[${i}]`);
  }

  let contexts: Float64Array = new Float64Array(0);
  let dimension = 0;
  // Empty contexts with no dimension are "no contexts", so a LoggedEvents passes back through unchanged.
  const noContexts = init.contexts === undefined || (init.contexts.length === 0 && !init.dimension);
  if (!noContexts) {
    dimension = checkPositiveInteger(init.dimension, "events.dimension");
    const raw = checkArrayLike(init.contexts!, "events.contexts");
    checkLength(raw.length, n * dimension, "events.contexts", `${n} events × dimension ${dimension}`);
    contexts = raw instanceof Float64Array ? raw : Float64Array.from(raw);
    for (let j = 0; j < contexts.length; j++) {
      if (!Number.isFinite(contexts[j])) {
        const event = Math.floor(j / dimension);
        throw new RangeError(
          `\`events.contexts\` value ${j - event * dimension} of event ${event} must be a finite number; ` +
            `received ${describeValue((raw as ArrayLike<unknown>)[j])}`,
        );
      }
    }
  } else if (init.contexts === undefined && init.dimension !== undefined && init.dimension !== 0) {
    throw new TypeError(
      `\`events.dimension\` is ${describeValue(init.dimension)} but no \`events.contexts\` were given`,
    );
  }
  return {
    length: n,
    actionCount,
    actionIds,
    actions,
    rewards: rewardColumn,
    propensities: propensityColumn,
    contexts,
    dimension,
  };
}

/**
 * Builds {@link LoggedEvents} from an iterable of event objects (the array-of-objects form).
 * Either every event has a `context` of the same length, or none has.
 * @param space `actionCount` when actions are indices, `actionIds` when they are ids.
 */
export function loggedEventsFromObjects(events: Iterable<LoggedEvent>, space: ActionSpace): LoggedEvents {
  if (
    events === null ||
    typeof events !== "object" ||
    typeof (events as Iterable<unknown>)[Symbol.iterator] !== "function"
  ) {
    throw new TypeError(
      `\`events\` must be an iterable of { action, reward, propensity, context? } objects; ` +
        `received ${describeValue(events)}`,
    );
  }
  const { actionCount, actionIds, lookup } = resolveActionSpace(space ?? {}, "space");
  const actions: number[] = [];
  const rewards: number[] = [];
  const propensities: number[] = [];
  const contexts: number[] = [];
  let dimension = -1;
  let i = 0;
  for (const event of events) {
    if (event === null || typeof event !== "object") {
      throw new TypeError(
        `\`events[${i}]\` must be an object { action, reward, propensity, context? }; received ${describeValue(event)}`,
      );
    }
    actions.push(toActionIndex(event.action, actionCount, lookup, `events[${i}].action`));
    rewards.push(checkRewardValue(event.reward, `events[${i}].reward`));
    propensities.push(checkPropensityValue(event.propensity, `events[${i}].propensity`));
    const context = event.context;
    const length = context === undefined ? 0 : checkArrayLike(context, `events[${i}].context`).length;
    if (dimension === -1) dimension = length;
    if (length !== dimension) {
      throw new RangeError(
        `\`events[${i}].context\` must have length ${dimension} like the events before it; ` +
          `received ${context === undefined ? "no context" : `length ${length}`}`,
      );
    }
    for (let j = 0; j < length; j++) {
      const value = (context as ArrayLike<unknown>)[j];
      if (typeof value !== "number" || !Number.isFinite(value)) {
        throw new RangeError(
          `\`events[${i}].context[${j}]\` must be a finite number; received ${describeValue(value)}`,
        );
      }
      contexts.push(value);
    }
    i++;
  }
  return {
    length: actions.length,
    actionCount,
    actionIds,
    actions: Int32Array.from(actions),
    rewards: Float64Array.from(rewards),
    propensities: Float64Array.from(propensities),
    contexts: Float64Array.from(contexts),
    dimension: Math.max(dimension, 0),
  };
}

/**
 * Resolves K and the id → index map of an {@link ActionSpace}.
 * @internal shared with the file readers.
 */
export function resolveActionSpace(
  space: ActionSpace,
  name: string,
): { actionCount: number; actionIds: readonly string[] | undefined; lookup: Map<string, number> | undefined } {
  if (space.actionIds !== undefined) {
    const ids = space.actionIds as unknown;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === "string")) {
      throw new TypeError(`\`${name}.actionIds\` must be a non-empty array of strings; received ${describeValue(ids)}`);
    }
    const lookup = new Map<string, number>();
    for (const [index, id] of (ids as string[]).entries()) {
      if (lookup.has(id))
        throw new RangeError(`\`${name}.actionIds\` must be unique; received ${describeValue(id)} twice`);
      lookup.set(id, index);
    }
    if (space.actionCount !== undefined && space.actionCount !== ids.length) {
      throw new RangeError(
        `\`${name}.actionCount\` must equal \`${name}.actionIds.length\` (${ids.length}) when both are given; ` +
          `received ${describeValue(space.actionCount)}`,
      );
    }
    return { actionCount: ids.length, actionIds: Object.freeze([...(ids as string[])]), lookup };
  }
  if (space.actionCount === undefined) {
    throw new TypeError(
      `\`${name}\` needs \`actionCount\` (actions as indices) or \`actionIds\` (actions as ids); received neither`,
    );
  }
  return {
    actionCount: checkPositiveInteger(space.actionCount, `${name}.actionCount`),
    actionIds: undefined,
    lookup: undefined,
  };
}

/**
 * Maps an action value (index, or id when `lookup` is given) to its index, or throws.
 * @internal shared with the file readers.
 */
export function toActionIndex(
  value: unknown,
  actionCount: number,
  lookup: Map<string, number> | undefined,
  name: string,
): number {
  if (lookup !== undefined) {
    const index = typeof value === "string" ? lookup.get(value) : undefined;
    if (index === undefined) {
      throw new RangeError(
        `\`${name}\` must be one of the ${actionCount} action ids; received ${describeValue(value)}`,
      );
    }
    return index;
  }
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value >= actionCount) {
    throw new RangeError(
      `\`${name}\` must be an action index in [0, ${actionCount - 1}]; received ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * Checks a reward: a finite number.
 * @internal shared with the file readers.
 */
export function checkRewardValue(value: unknown, name: string): number {
  if (typeof value !== "number") throw new TypeError(`\`${name}\` must be a number; received ${describeValue(value)}`);
  if (!Number.isFinite(value))
    throw new RangeError(`\`${name}\` must be a finite number; received ${describeValue(value)}`);
  return value;
}

/**
 * Checks a logging propensity: in (0, 1]. Zero is refused because an event the logging policy could
 * not have produced carries no importance weight (the weight π/p is undefined).
 * @internal shared with the file readers.
 */
export function checkPropensityValue(value: unknown, name: string): number {
  if (typeof value !== "number") throw new TypeError(`\`${name}\` must be a number; received ${describeValue(value)}`);
  if (!(value > 0 && value <= 1)) {
    throw new RangeError(`\`${name}\` must be a probability in (0, 1]; received ${describeValue(value)}`);
  }
  return value;
}
