import { describe, expect, it } from "vitest";
import { SeededRandom, deriveSeed } from "../../src/synthetic/prng.js";

function draws(seed: number, count: number): number[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, () => random.nextUint32());
}

describe("SeededRandom (xoshiro128** seeded by splitmix32)", () => {
  it("gives the same stream for the same seed and a different one for another seed", () => {
    expect(draws(42, 1000)).toEqual(draws(42, 1000));
    const other = draws(43, 1000);
    const same = draws(42, 1000).filter((v, i) => v === other[i]).length;
    expect(same).toBeLessThan(3);
  });

  it("draws unsigned 32-bit integers and floats in [0, 1)", () => {
    const random = new SeededRandom(7);
    let bad = 0;
    for (let i = 0; i < 10_000; i++) {
      const u = random.nextUint32();
      const f = random.nextFloat();
      if (!(Number.isInteger(u) && u >= 0 && u < 2 ** 32) || !(f >= 0 && f < 1)) bad++;
    }
    expect(bad).toBe(0);
  });

  it("is uniform: bin counts of 200,000 floats pass a chi-square test, and nextInt covers its range evenly", () => {
    const random = new SeededRandom(1);
    const bins = new Array<number>(20).fill(0);
    const n = 200_000;
    for (let i = 0; i < n; i++) bins[Math.floor(random.nextFloat32() * 20)]++;
    const expected = n / 20;
    const chiSquare = bins.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 19 degrees of freedom: the 99.9% quantile is 43.8.
    expect(chiSquare).toBeLessThan(43.8);

    const ints = new Array<number>(7).fill(0);
    for (let i = 0; i < 70_000; i++) ints[random.nextBelow(7)]++;
    for (const c of ints) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it("derives different, reproducible seeds per salt", () => {
    expect(deriveSeed(42, 1)).toBe(deriveSeed(42, 1));
    expect(deriveSeed(42, 1)).not.toBe(deriveSeed(42, 2));
    expect(deriveSeed(42, 1)).not.toBe(deriveSeed(43, 1));
    expect(deriveSeed(0, 0)).toBeGreaterThanOrEqual(0);
  });
});
