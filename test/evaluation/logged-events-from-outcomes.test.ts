// Routing outcomes (store rows) → logged events, with cells alongside.
import { describe, expect, it } from "vitest";
import {
  createLoggedEvents,
  estimateParts,
  formatEstimate,
  formatEstimateNumber,
  estimateIps,
  loggedEventsFromOutcomes,
  replayEvaluate,
  type OutcomeForEvaluation,
} from "../../src/evaluation/index.js";

const arms = ["small", "large"];
const row = (
  id: number,
  model: string,
  reward: number | null,
  propensity = 0.5,
  features = [1, id],
): OutcomeForEvaluation => ({
  id,
  cell: id % 2 === 0 ? "code:easy" : "code:hard",
  model,
  features: Float64Array.from(features),
  propensity,
  reward,
});

describe("loggedEventsFromOutcomes", () => {
  it("maps models to arm indices and keeps cells, features, rewards and propensities in order", () => {
    const { events, cells } = loggedEventsFromOutcomes(
      [row(1, "large", 1, 0.8), row(2, "small", 0.25), row(3, "large", 0)],
      arms,
    );
    expect(events).toEqual(
      createLoggedEvents({
        actions: ["large", "small", "large"],
        rewards: [1, 0.25, 0],
        propensities: [0.8, 0.5, 0.5],
        actionIds: arms,
        contexts: [1, 1, 1, 2, 1, 3],
        dimension: 2,
      }),
    );
    expect(cells).toEqual(["code:hard", "code:easy", "code:hard"]);
  });

  it("grows past its initial buffer", () => {
    const rows = Array.from({ length: 3000 }, (_, i) => row(i, arms[i % 2], i % 3 === 0 ? 1 : 0));
    const { events } = loggedEventsFromOutcomes(rows, arms);
    expect(events.length).toBe(3000);
    expect(events.contexts[2 * 2999 + 1]).toBe(2999);
  });

  it.each([
    [[row(7, "huge", 1)], /outcome 7: `model` must be one of the 2 arms \(small, large\); received "huge"/],
    [[row(8, "small", null)], /outcome 8: `reward` is null — judge the row before evaluating/],
    [[row(9, "small", 1, 0)], /outcome 9.propensity` must be a probability in \(0, 1\]; received 0/],
    [
      [row(1, "small", 1), row(2, "small", 1, 0.5, [1])],
      /outcome 2: `features` must have length 2 like the rows before it; received length 1/,
    ],
    [[row(3, "small", Number.NaN)], /outcome 3.reward` must be a finite number; received NaN/],
  ])("refuses bad rows (%#)", (rows, message) => {
    expect(() => loggedEventsFromOutcomes(rows, arms)).toThrow(message);
  });
});

describe("formatEstimate", () => {
  it("shows the value, the interval, the level and the ESS; replay adds what it kept", () => {
    const events = createLoggedEvents({
      actions: [0, 1, 0, 1],
      rewards: [1, 0, 0, 1],
      propensities: [0.5, 0.5, 0.5, 0.5],
      actionCount: 2,
    });
    const ips = estimateIps(events, new Int32Array([0, 0, 0, 0]), { level: 0.9, resamples: 100 });
    expect(formatEstimate(ips)).toBe(
      `ips 0.5000 [${ips.interval.lower.toPrecision(4)}, ${ips.interval.upper.toPrecision(4)}] 90% · ESS 2.0 · 4 events`,
    );
    expect(formatEstimate(replayEvaluate(events, new Int32Array([1, 1, 1, 1]), { resamples: 10 }), 2)).toMatch(
      /^replay 0\.50 \[.*\] 95% · ESS 2\.0 · kept 2 · 4 events$/,
    );
  });

  it("writes the pieces in significant digits or fixed decimals, and non-finite numbers as such", () => {
    const events = createLoggedEvents({
      actions: [0, 1, 0, 1],
      rewards: [1, 0, 0, 1],
      propensities: [0.5, 0.5, 0.5, 0.5],
      actionCount: 2,
    });
    const ips = estimateIps(events, new Int32Array([0, 0, 0, 0]), { level: 0.9, resamples: 100 });
    const fixed = estimateParts(ips, { notation: "fixed", digits: 3 });
    expect(fixed).toEqual({
      value: "0.500",
      interval: `[${ips.interval.lower.toFixed(3)}, ${ips.interval.upper.toFixed(3)}]`,
      level: "90%",
      effectiveSampleSize: "2.0",
    });
    expect(formatEstimateNumber(0.0123456)).toBe("0.01235");
    expect(formatEstimateNumber(0.0123456, { notation: "fixed" })).toBe("0.0123");
    expect(formatEstimateNumber(Number.NaN)).toBe("NaN");
    expect(formatEstimateNumber(Number.NEGATIVE_INFINITY, { notation: "fixed" })).toBe("-Infinity");
  });
});
