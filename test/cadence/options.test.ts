// The cadence's option checks: a bad option is named with the value received, quoted the way every
// other error of the package quotes it (src/shared/describe-value.ts).
import { describe, expect, it } from "vitest";
import { resolveCadenceOptions } from "../../src/cadence/index.js";

describe("resolveCadenceOptions", () => {
  const cases: [string, unknown, RegExp][] = [
    [
      "a string",
      { mode: "prod", gateEstimator: "dm" },
      /`gateEstimator` must be 'snips', 'dr' or 'ips'; received "dm"$/,
    ],
    [
      "an array",
      { mode: "warmup", seed: [1, 2] },
      /`seed` must be an integer in \[0, 4294967295\]; received Array\(2\)$/,
    ],
    [
      "negative zero",
      { mode: "warmup", heldOutShare: -0 },
      /`heldOutShare` must be a number in \(0, 1\); received -0$/,
    ],
    ["a bigint", { mode: "warmup", n: 10n }, /`n` must be an integer in \[1, \d+\]; received 10n$/],
    ["null", null, /`options` must be an object; received null$/],
  ];
  for (const [what, options, message] of cases) {
    it(`names the option and the value received (${what}), rendered as everywhere else in the package`, () => {
      expect(() => resolveCadenceOptions(options as never)).toThrow(message);
    });
  }

  it("applies the defaults to valid options", () => {
    const resolved = resolveCadenceOptions({ mode: "prod" });
    expect(resolved.mode).toBe("prod");
    expect(resolved.gateEstimator).toBe("snips");
  });
});
