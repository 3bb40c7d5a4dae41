// select(): the argmax rule, and propensities that are the exact probabilities of the choices made.
import { describe, expect, test } from "vitest";
import { armProbabilities, chooseArm } from "../../src/engine/exploration.js";
import { createLinUCB } from "../../src/engine/linucb.js";
import { SeededRandom } from "../../src/engine/random.js";
import type { Exploration } from "../../src/engine/types.js";

const arms = ["a", "b", "c", "d"];

/** An engine whose arms score differently for the context [1, 0]. */
async function trainedEngine(exploration: Exploration, seed = 1) {
  const engine = await createLinUCB({ dimension: 2, arms, exploration, seed, alpha: 0.1 });
  arms.forEach((arm, a) => {
    for (let i = 0; i < 20; i++) engine.update("cell", arm, [1, (i % 5) / 5], 0.2 * a + (a === 2 ? 0.5 : 0));
  });
  return engine;
}

/** Draws n selections and compares each arm's empirical frequency with its propensity. */
async function checkFrequencies(exploration: Exploration): Promise<void> {
  const engine = await trainedEngine(exploration);
  const n = 40_000;
  const counts = new Float64Array(arms.length);
  const propensity = new Float64Array(arms.length);
  for (let i = 0; i < n; i++) {
    const selection = engine.select("cell", [1, 0]);
    counts[selection.armIndex]! += 1;
    propensity[selection.armIndex] = selection.propensity;
    expect(selection.arm).toBe(arms[selection.armIndex]);
  }
  const expected = armProbabilities(engine.scores("cell", [1, 0]), exploration, new Float64Array(arms.length));
  let sum = 0;
  for (let a = 0; a < arms.length; a++) {
    sum += expected[a]!;
    if (counts[a]! > 0) expect(propensity[a]).toBe(expected[a]);
    // Binomial standard error; 5 of them is far beyond chance for 4 arms.
    const se = Math.sqrt((expected[a]! * (1 - expected[a]!)) / n);
    expect(Math.abs(counts[a]! / n - expected[a]!)).toBeLessThanOrEqual(5 * se + 1e-12);
  }
  expect(sum).toBeCloseTo(1, 12);
}

describe("select", () => {
  test("'ucb' takes the argmax with propensity 1, ties to the lowest arm", async () => {
    const fresh = await createLinUCB({ dimension: 3, arms });
    const tie = fresh.select("new cell", [1, 0.5, -0.5]);
    expect(new Set(tie.scores).size).toBe(1);
    expect(tie).toMatchObject({ arm: "a", armIndex: 0, propensity: 1 });
    const engine = await trainedEngine("ucb");
    const selection = engine.select("cell", [1, 0]);
    const best = selection.scores.indexOf(Math.max(...selection.scores));
    expect(selection.armIndex).toBe(best);
    expect(selection.arm).toBe("c");
    expect(selection.propensity).toBe(1);
  });

  test("epsilon: empirical frequencies match the propensities", async () => {
    await checkFrequencies({ epsilon: 0.3 });
  });

  test("softmax: empirical frequencies match the propensities", async () => {
    await checkFrequencies({ softmax: 0.15 });
  });

  test("epsilon propensities are ε/K + (1 − ε) on the argmax and ε/K elsewhere", () => {
    const probabilities = armProbabilities([0.1, 0.9, 0.3], { epsilon: 0.2 }, new Float64Array(3));
    expect([...probabilities]).toEqual([0.2 / 3, 0.2 / 3 + 0.8, 0.2 / 3]);
  });

  test("softmax never overflows on huge scores", () => {
    const probabilities = armProbabilities([1e308, 1e308, -1e308], { softmax: 1e-3 }, new Float64Array(3));
    expect([...probabilities]).toEqual([0.5, 0.5, 0]);
    const random = new SeededRandom(3);
    for (let i = 0; i < 100; i++)
      expect(chooseArm([1e308, 1e308, -1e308], { softmax: 1e-3 }, random, new Float64Array(3)).armIndex).not.toBe(2);
  });

  test("the same seed gives the same choices; another seed other choices", async () => {
    const draw = async (seed: number) => {
      const engine = await trainedEngine({ epsilon: 0.5 }, seed);
      return Array.from({ length: 200 }, () => engine.select("cell", [1, 0]).armIndex);
    };
    expect(await draw(11)).toEqual(await draw(11));
    expect(await draw(11)).not.toEqual(await draw(12));
  });

  test("selectMany equals select one context at a time, including the random stream", async () => {
    const contexts = new Float64Array(Array.from({ length: 2 * 300 }, (_, i) => (i % 2 === 0 ? 1 : Math.sin(i))));
    for (const exploration of ["ucb", { epsilon: 0.4 }, { softmax: 0.2 }] as Exploration[]) {
      const many = await trainedEngine(exploration, 5);
      const one = await trainedEngine(exploration, 5);
      const batch = many.selectMany("cell", contexts);
      for (let c = 0; c < 300; c++) {
        const single = one.select("cell", contexts.subarray(2 * c, 2 * c + 2));
        expect(batch.armIndices[c]).toBe(single.armIndex);
        expect(batch.propensities[c]).toBe(single.propensity);
        expect([...batch.scores.subarray(4 * c, 4 * c + 4)]).toEqual([...single.scores]);
      }
    }
  });
});
