// Building LoggedEvents: columns and objects, ids and indices, and every validation error.
import { describe, expect, it } from "vitest";
import { createLoggedEvents, loggedEventsFromObjects } from "../../src/evaluation/index.js";

describe("createLoggedEvents", () => {
  it("keeps typed columns as they are and copies the rest", () => {
    const actions = new Int32Array([1, 0]);
    const rewards = new Float64Array([0.5, 1]);
    const events = createLoggedEvents({ actions, rewards, propensities: [0.5, 0.5], actionCount: 2 });
    expect(events.actions).toBe(actions);
    expect(events.rewards).toBe(rewards);
    expect(events.propensities).toBeInstanceOf(Float64Array);
    expect(events.length).toBe(2);
    expect(events.dimension).toBe(0);
    expect(events.contexts.length).toBe(0);
  });

  it("maps action ids to indices", () => {
    const events = createLoggedEvents({
      actions: ["b", "a", "b"],
      rewards: [1, 0, 1],
      propensities: [1, 1, 1],
      actionIds: ["a", "b"],
    });
    expect([...events.actions]).toEqual([1, 0, 1]);
    expect(events.actionCount).toBe(2);
    expect(events.actionIds).toEqual(["a", "b"]);
  });

  it("accepts contexts of n × dimension values", () => {
    const events = createLoggedEvents({
      actions: [0, 0],
      rewards: [0, 0],
      propensities: [1, 1],
      actionCount: 1,
      contexts: [1, 2, 3, 4],
      dimension: 2,
    });
    expect([...events.contexts]).toEqual([1, 2, 3, 4]);
    expect(events.dimension).toBe(2);
  });

  const base = { actions: [0, 1], rewards: [1, 0], propensities: [0.5, 0.5], actionCount: 2 };
  it.each([
    [
      { ...base, propensities: [0.5, 0] },
      RangeError,
      /`events.propensities\[1\]` must be a probability in \(0, 1\]; received 0/,
    ],
    [{ ...base, propensities: [1.5, 0.5] }, RangeError, /`events.propensities\[0\]`.*received 1.5/],
    [{ ...base, propensities: [Number.NaN, 0.5] }, RangeError, /`events.propensities\[0\]`.*received NaN/],
    [{ ...base, rewards: [Number.NaN, 0] }, RangeError, /`events.rewards\[0\]` must be a finite number; received NaN/],
    [{ ...base, rewards: [1, Infinity] }, RangeError, /`events.rewards\[1\]`.*received Infinity/],
    [{ ...base, actions: [0, 2] }, RangeError, /`events.actions\[1\]` must be an action index in \[0, 1\]; received 2/],
    [{ ...base, actions: [0, 0.5] }, RangeError, /`events.actions\[1\]`.*received 0.5/],
    [{ ...base, actions: [-1, 0] }, RangeError, /received -1/],
    [
      { ...base, rewards: [1] },
      RangeError,
      /`events.rewards` must have length 2 \(one per logged action\); received length 1/,
    ],
    [
      { ...base, propensities: [0.5, 0.5, 0.5] },
      RangeError,
      /`events.propensities` must have length 2.*received length 3/,
    ],
    [{ ...base, actionCount: 0 }, RangeError, /`events.actionCount` must be a positive integer; received 0/],
    [{ ...base, actionCount: undefined }, TypeError, /needs `actionCount`.*or `actionIds`/],
    [
      { ...base, actions: ["x", "a"], actionCount: undefined, actionIds: ["a", "b"] },
      RangeError,
      /`events.actions\[0\]` must be one of the 2 action ids; received "x"/,
    ],
    [{ ...base, actionCount: undefined, actionIds: ["a", "a"] }, RangeError, /must be unique; received "a" twice/],
    [
      { ...base, contexts: [1, 2, 3], dimension: 2 },
      RangeError,
      /`events.contexts` must have length 4 \(2 events × dimension 2\); received length 3/,
    ],
    [
      { ...base, contexts: [1, Number.NaN], dimension: 1 },
      RangeError,
      /value 0 of event 1 must be a finite number; received NaN/,
    ],
    [{ ...base, contexts: [1, 2] }, RangeError, /`events.dimension` must be a positive integer; received undefined/],
    [{ ...base, rewards: "10" }, TypeError, /`events.rewards` must be an array/],
  ])("refuses %j", (init, kind, message) => {
    expect(() => createLoggedEvents(init as never)).toThrow(kind);
    expect(() => createLoggedEvents(init as never)).toThrow(message);
  });
});

describe("loggedEventsFromObjects", () => {
  it("builds the same columns as createLoggedEvents", () => {
    const events = loggedEventsFromObjects(
      [
        { action: "b", reward: 1, propensity: 0.25, context: [1, 0] },
        { action: "a", reward: 0, propensity: 0.75, context: [0, 1] },
      ],
      { actionIds: ["a", "b"] },
    );
    expect(events).toEqual(
      createLoggedEvents({
        actions: ["b", "a"],
        rewards: [1, 0],
        propensities: [0.25, 0.75],
        actionIds: ["a", "b"],
        contexts: [1, 0, 0, 1],
        dimension: 2,
      }),
    );
  });

  it("names the event and field of a bad value", () => {
    const rows = [
      { action: 0, reward: 1, propensity: 0.5 },
      { action: 1, reward: 0, propensity: 0 },
    ];
    expect(() => loggedEventsFromObjects(rows, { actionCount: 2 })).toThrow(
      /`events\[1\].propensity` must be a probability in \(0, 1\]; received 0/,
    );
    expect(() => loggedEventsFromObjects([{ action: 3, reward: 1, propensity: 1 }], { actionCount: 2 })).toThrow(
      /`events\[0\].action`.*received 3/,
    );
    expect(() =>
      loggedEventsFromObjects([{ action: 0, reward: "1", propensity: 1 } as never], { actionCount: 2 }),
    ).toThrow(TypeError);
    expect(() =>
      loggedEventsFromObjects(
        [
          { action: 0, reward: 1, propensity: 1, context: [1] },
          { action: 0, reward: 1, propensity: 1 },
        ],
        { actionCount: 1 },
      ),
    ).toThrow(/`events\[1\].context` must have length 1 like the events before it; received no context/);
    expect(() => loggedEventsFromObjects(42 as never, { actionCount: 1 })).toThrow(/`events` must be an iterable/);
  });
});
