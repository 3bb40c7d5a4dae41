// The evaluation layer's seeded stream.
import { describe, expect, it } from "vitest";
import { createSeededRandom } from "../../src/evaluation/index.js";

describe("createSeededRandom", () => {
  it("repeats for a seed and differs between seeds", () => {
    const draw = (seed: number) => {
      const random = createSeededRandom(seed);
      return Array.from({ length: 8 }, () => random.nextUint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(new Set(draw(0)).size).toBe(8);
  });

  it("nextFloat is in [0, 1) with mean ½ and variance 1/12", () => {
    const random = createSeededRandom(1);
    const n = 100_000;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const u = random.nextFloat();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      squares += u * u;
    }
    const mean = sum / n;
    // Standard error of the mean: √(1/12/n) ≈ 0.0009.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(squares / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it("nextBelow hits every value of [0, n) about equally; fillBelow draws the same numbers", () => {
    const a = createSeededRandom(7);
    const b = createSeededRandom(7);
    const counts = new Array(10).fill(0);
    const filled = new Int32Array(50_000);
    b.fillBelow(filled, 10);
    for (let i = 0; i < filled.length; i++) {
      const value = a.nextBelow(10);
      expect(value).toBe(filled[i]);
      counts[value]++;
    }
    // Each count ~ Binomial(50000, 0.1): sd ≈ 67; allow 5 sd.
    for (const count of counts) expect(Math.abs(count - 5000)).toBeLessThan(335);
    // And the streams stay in step after a fill.
    expect(a.nextUint32()).toBe(b.nextUint32());
  });

  it("refuses seeds that are not unsigned 32-bit integers", () => {
    expect(() => createSeededRandom(-1)).toThrow(/`seed` must be an integer in \[0, 4294967295\]; received -1/);
    expect(() => createSeededRandom(1.5)).toThrow(RangeError);
    expect(() => createSeededRandom(2 ** 32)).toThrow(RangeError);
  });
});
