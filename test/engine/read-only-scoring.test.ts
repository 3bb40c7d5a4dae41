// The read-only scoring path (greedyMany, expectedRewardsMany) and clone(), on every kernel build
// and the reference engine: equal to select/scores on existing cells, equal to a fresh cell's
// scores on unknown cells, and never a change to the engine (no cell created, no random draw).
import { describe, expect, test } from "vitest";
import { createLinUCB } from "../../src/engine/linucb.js";
import { createReferenceLinUCB } from "../../src/engine/reference.js";
import type { LinUCBEngine, LinUCBOptions } from "../../src/engine/types.js";
import { isBuildSupported, makeProblem, relativeError } from "./problems.js";

const builds = (["scalar", "simd", "relaxed"] as const).filter((build) => isBuildSupported(build));
type Maker = (options: LinUCBOptions) => Promise<LinUCBEngine>;
const makers: [string, Maker][] = [
  ...builds.map((build): [string, Maker] => [build, (o) => createLinUCB({ ...o, build })]),
  ["reference", createReferenceLinUCB],
];
const tolerance = 1e-9;

/** Contexts of the problem's first `count` events, row-major. */
function contextsOf(d: number, contexts: Float64Array, count: number): Float64Array {
  return contexts.slice(0, count * d);
}

describe.each(makers)("%s engine", (_name, make) => {
  for (const d of [3, 20]) {
    const problem = makeProblem(700 + d, d, 400);
    const options: LinUCBOptions = {
      dimension: d,
      arms: problem.arms,
      alpha: 0.8,
      lambda: 1.3,
      pooling: true,
      exploration: { epsilon: 0.3 },
      seed: 5,
    };
    const count = 37;
    const contexts = contextsOf(d, problem.batch.contexts, count);

    test(`greedyMany equals the UCB argmax and scores of scores() on an existing cell, d = ${d}`, async () => {
      const engine = await make(options);
      engine.refit(problem.batch);
      const before = engine.snapshot();
      const greedy = engine.greedyMany("cell-1", contexts);
      const k = problem.arms.length;
      for (let c = 0; c < count; c++) {
        const scores = engine.scores("cell-1", contexts.subarray(c * d, c * d + d));
        expect(greedy.scores.subarray(c * k, c * k + k)).toEqual(scores);
        let best = 0;
        for (let a = 1; a < k; a++) if (scores[a]! > scores[best]!) best = a;
        expect(greedy.armIndices[c]).toBe(best);
      }
      // Read-only: the snapshot (models, cells, random stream) is unchanged.
      expect(engine.snapshot()).toEqual(before);
    });

    test(`expectedRewardsMany is θᵀx of every model, d = ${d}`, async () => {
      const engine = await make(options);
      engine.refit(problem.batch);
      const k = problem.arms.length;
      const expected = engine.expectedRewardsMany("cell-2", contexts);
      for (let a = 0; a < k; a++) {
        const { theta } = engine.model("cell-2", problem.arms[a]!);
        for (let c = 0; c < count; c++) {
          let want = 0;
          for (let j = 0; j < d; j++) want += theta[j]! * contexts[c * d + j]!;
          expect(expected[c * k + a]).toBe(want);
        }
      }
      // With alpha 0 the UCB scores are θᵀx too (the kernel's own dot product: equal to rounding).
      const plain = await make({ ...options, alpha: 0 });
      plain.refit(problem.batch);
      expect(relativeError(expected, plain.greedyMany("cell-2", contexts).scores)).toBeLessThan(1e-12);
    });

    test(`an unknown cell is scored as a fresh cell would be, and is not created, d = ${d}`, async () => {
      const engine = await make(options);
      engine.refit(problem.batch);
      const cellsBefore = engine.cells();
      const greedy = engine.greedyMany("never-seen", contexts);
      const expected = engine.expectedRewardsMany("never-seen", contexts);
      expect(engine.cells()).toEqual(cellsBefore);
      expect(engine.hasCell("never-seen")).toBe(false);
      // The same engine with the cell created: a fresh cell at the priors in effect.
      const grown = await engine.clone();
      grown.addCells(["never-seen"]);
      const fresh = grown.greedyMany("never-seen", contexts);
      expect(greedy.scores).toEqual(fresh.scores);
      expect(greedy.armIndices).toEqual(fresh.armIndices);
      expect(expected).toEqual(grown.expectedRewardsMany("never-seen", contexts));
      // And a fresh cell's θ is its pooled prior.
      const k = problem.arms.length;
      const prior = engine.priorMean(problem.arms[1]!);
      let want = 0;
      for (let j = 0; j < d; j++) want += prior[j]! * contexts[j]!;
      expect(relativeError([expected[1]!], [want])).toBeLessThan(1e-12);
      expect(expected.length).toBe(count * k);
    });

    test(`clone() is an independent, identical engine, d = ${d}`, async () => {
      const engine = await make(options);
      engine.accumulate(problem.batch); // pending: clone settles it first
      const copy = await engine.clone();
      expect(copy.snapshot()).toEqual(engine.snapshot());
      // Same random stream: the same explored choices.
      const x = contexts.subarray(0, d);
      expect(copy.selectMany("cell-0", contexts).armIndices).toEqual(engine.selectMany("cell-0", contexts).armIndices);
      copy.update("cell-0", problem.arms[0]!, x, 5);
      expect(copy.model("cell-0", problem.arms[0]!).count).toBe(engine.model("cell-0", problem.arms[0]!).count + 1);
    });
  }

  test("clone() carries the estimated shrinkage: clone and original fit the next rows alike", async () => {
    const d = 4;
    const problem = makeProblem(91, d, 600);
    const engine = await make({ dimension: d, arms: problem.arms, pooling: { shrinkage: "auto" } });
    const half = (from: number, to: number) => ({
      cells: problem.batch.cells.slice(from, to),
      arms: problem.batch.arms.slice(from, to),
      contexts: problem.batch.contexts.slice(from * d, to * d),
      rewards: Float64Array.from(problem.batch.rewards).subarray(from, to),
    });
    engine.accumulate(half(0, 300));
    engine.finalize();
    const copy = await engine.clone();
    expect(copy.shrinkage()).toEqual(engine.shrinkage());
    for (const e of [engine, copy]) {
      e.accumulate(half(300, 600));
      e.finalize();
    }
    expect(copy.shrinkage()).toEqual(engine.shrinkage());
    expect(copy.snapshot()).toEqual(engine.snapshot());
  });

  test("read-only methods validate their arguments and change nothing on a bad call", async () => {
    const engine = await make({ dimension: 2, arms: ["a", "b"] });
    expect(() => engine.greedyMany("c", new Float64Array(3))).toThrow(/multiple of the dimension 2; received 3/);
    expect(() => engine.expectedRewardsMany("c", Float64Array.of(1, Number.NaN))).toThrow(/contexts/);
    expect(() => engine.greedyMany("", new Float64Array(2))).toThrow(/cell/);
    expect(engine.cells()).toEqual([]);
  });
});

test("the kernel's read-only scores agree with the reference engine", async () => {
  const d = 7;
  const problem = makeProblem(77, d, 300);
  const options: LinUCBOptions = { dimension: d, arms: problem.arms, alpha: 0.5, pooling: true };
  const reference = await createReferenceLinUCB(options);
  reference.refit(problem.batch);
  const contexts = contextsOf(d, problem.batch.contexts, 25);
  for (const build of builds) {
    const engine = await createLinUCB({ ...options, build });
    engine.refit(problem.batch);
    for (const cell of ["cell-0", "unknown"]) {
      expect(
        relativeError(engine.greedyMany(cell, contexts).scores, reference.greedyMany(cell, contexts).scores),
      ).toBeLessThan(tolerance);
      const expected = engine.expectedRewardsMany(cell, contexts);
      expect(relativeError(expected, reference.expectedRewardsMany(cell, contexts))).toBeLessThan(tolerance);
    }
  }
});
