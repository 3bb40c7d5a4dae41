// The percentile bootstrap: reproducible per seed, the right width, the quantile rule, and errors.
import { describe, expect, it } from "vitest";
import { bootstrapRatio, bootstrapRatios, createSeededRandom } from "../../src/evaluation/index.js";
import { quantile } from "../../src/evaluation/bootstrap.js";

function normalSample(n: number, seed: number): Float64Array {
  const random = createSeededRandom(seed);
  // Box–Muller: standard normal values.
  return Float64Array.from(
    { length: n },
    () => Math.sqrt(-2 * Math.log(1 - random.nextFloat())) * Math.cos(2 * Math.PI * random.nextFloat()),
  );
}

describe("bootstrapRatio", () => {
  const sample = normalSample(2000, 1);

  it("is reproducible for a seed and changes with the seed", () => {
    expect(bootstrapRatio(sample, undefined, { seed: 3 })).toEqual(bootstrapRatio(sample, undefined, { seed: 3 }));
    expect(bootstrapRatio(sample, undefined, { seed: 4 }).lower).not.toBe(
      bootstrapRatio(sample, undefined, { seed: 3 }).lower,
    );
  });

  it("of a mean: the standard error is about σ/√n and the 95% interval about ±1.96 of it", () => {
    const interval = bootstrapRatio(sample, undefined, { resamples: 2000 });
    const mean = sample.reduce((s, v) => s + v) / sample.length;
    const sd = Math.sqrt(sample.reduce((s, v) => s + (v - mean) ** 2, 0) / (sample.length - 1));
    const expected = sd / Math.sqrt(sample.length);
    expect(interval.standardError / expected).toBeGreaterThan(0.9);
    expect(interval.standardError / expected).toBeLessThan(1.1);
    expect((interval.upper - interval.lower) / (2 * 1.96 * expected)).toBeGreaterThan(0.9);
    expect((interval.upper - interval.lower) / (2 * 1.96 * expected)).toBeLessThan(1.1);
    expect(interval.lower).toBeLessThan(mean);
    expect(interval.upper).toBeGreaterThan(mean);
    expect(interval).toMatchObject({ level: 0.95, resamples: 2000, seed: 0, degenerate: 0 });
  });

  it("a lower level gives a narrower interval inside the wider one", () => {
    const wide = bootstrapRatio(sample, undefined, { level: 0.99 });
    const narrow = bootstrapRatio(sample, undefined, { level: 0.5 });
    expect(narrow.lower).toBeGreaterThan(wide.lower);
    expect(narrow.upper).toBeLessThan(wide.upper);
  });

  it("covers the true mean of normal samples in about 95% of 300 samples", () => {
    let covered = 0;
    for (let seed = 100; seed < 400; seed++) {
      const { lower, upper } = bootstrapRatio(normalSample(200, seed), undefined, { resamples: 300, seed });
      if (lower <= 0 && 0 <= upper) covered++;
    }
    // Binomial(300, 0.95): [272, 296] with probability > 0.999.
    expect(covered).toBeGreaterThanOrEqual(272);
    expect(covered).toBeLessThanOrEqual(296);
  });

  it("counts resamples whose denominator is 0 and leaves them out", () => {
    // One event in 20 has denominator 1: about e^-1 ≈ 37% of resamples of 20 draw none of it.
    const numerators = new Float64Array(20);
    const denominators = new Float64Array(20);
    numerators[0] = 3;
    denominators[0] = 1;
    const interval = bootstrapRatio(numerators, denominators, { resamples: 1000 });
    expect(interval.degenerate).toBeGreaterThan(300);
    expect(interval.degenerate).toBeLessThan(450);
    expect(interval.lower).toBe(3);
    expect(interval.upper).toBe(3);
  });

  it("is NaN when no resample has an estimate", () => {
    const interval = bootstrapRatio(new Float64Array(5), new Float64Array(5), { resamples: 10 });
    expect(interval.lower).toBeNaN();
    expect(interval.degenerate).toBe(10);
  });
});

describe("bootstrapRatios", () => {
  it("gives each statistic the interval bootstrapRatio gives it alone", () => {
    const a = normalSample(300, 5);
    const b = normalSample(300, 6).map(Math.abs);
    const [first, second] = bootstrapRatios([{ numerators: a }, { numerators: a, denominators: b }], {
      seed: 9,
      resamples: 100,
    });
    expect(first).toEqual(bootstrapRatio(a, undefined, { seed: 9, resamples: 100 }));
    expect(second).toEqual(bootstrapRatio(a, b, { seed: 9, resamples: 100 }));
  });

  it("refuses mismatched lengths and empty lists", () => {
    expect(() => bootstrapRatios([{ numerators: new Float64Array(3) }, { numerators: new Float64Array(4) }])).toThrow(
      /`statistics\[1\].numerators` must have length 3 like the first statistic; received length 4/,
    );
    expect(() => bootstrapRatio(new Float64Array(3), new Float64Array(2))).toThrow(
      /`statistics\[0\].denominators` must be a Float64Array of length 3/,
    );
    expect(() => bootstrapRatios([])).toThrow(/non-empty array/);
  });
});

describe("quantile (type 7)", () => {
  it("interpolates between order statistics", () => {
    const sorted = new Float64Array([1, 2, 3, 4]);
    expect(quantile(sorted, 0)).toBe(1);
    expect(quantile(sorted, 1)).toBe(4);
    expect(quantile(sorted, 0.5)).toBe(2.5);
    expect(quantile(sorted, 0.25)).toBeCloseTo(1.75, 15);
    expect(quantile(new Float64Array(0), 0.5)).toBeNaN();
  });
});
