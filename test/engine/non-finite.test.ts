// No silent non-finite model: every update path either keeps every model finite or refuses with
// LinUCBError NON_FINITE and the state unchanged — finite inputs up to 1e308 that overflow inside
// the kernel included; forgetting cannot run the prior away; a context is read once.
import { describe, expect, test } from "vitest";
import { LinUCBError } from "../../src/engine/errors.js";
import { createLinUCB } from "../../src/engine/linucb.js";
import { SeededRandom } from "../../src/engine/random.js";
import { createReferenceLinUCB } from "../../src/engine/reference.js";
import type { LinUCBEngine } from "../../src/engine/types.js";
import { gaussian, isBuildSupported } from "./problems.js";

const builds = (["scalar", "simd", "relaxed"] as const).filter((build) => isBuildSupported(build));
const cells = ["c0", "c1"];
const arms = ["a0", "a1"];

/** ±10^U(−300, 308) half the time, a standard normal otherwise (so models keep moving). */
function wildValue(random: SeededRandom): number {
  const sign = random.nextFloat() < 0.5 ? -1 : 1;
  if (random.nextFloat() < 0.5) return gaussian(random);
  return sign * 10 ** (-300 + 608 * random.nextFloat());
}

function everyModelFinite(engine: LinUCBEngine): boolean {
  for (const cell of engine.cells()) {
    for (const arm of arms) {
      const model = engine.model(cell, arm);
      const values = [...model.theta, ...model.covariance, ...model.b, model.count, model.priorWeight];
      if (!values.every(Number.isFinite)) return false;
    }
  }
  return true;
}

type Call = (engine: LinUCBEngine, random: SeededRandom) => void;
const calls: Record<string, Call> = {
  update: (engine, random) => {
    engine.update(
      cells[random.nextBelow(2)]!,
      arms[random.nextBelow(2)]!,
      [wildValue(random), wildValue(random), 1],
      wildValue(random),
    );
  },
  updateAt: (engine, random) => {
    const context = new Float64Array([wildValue(random), 1, wildValue(random)]);
    engine.updateAt(random.nextBelow(2), random.nextBelow(2), context, wildValue(random));
  },
  updateMany: (engine, random) => {
    const rows = 1 + random.nextBelow(3);
    const contexts = Float64Array.from({ length: 3 * rows }, () => wildValue(random));
    engine.updateMany({
      cells: Array.from({ length: rows }, () => cells[random.nextBelow(2)]!),
      arms: Array.from({ length: rows }, () => arms[random.nextBelow(2)]!),
      contexts,
      rewards: Array.from({ length: rows }, () => wildValue(random)),
    });
  },
};

describe.each(builds)("build %s", (build) => {
  test.each([
    [true, 1],
    [false, 1],
    [true, 0.99],
  ])("1,500 random-magnitude updates (statistics %s, discount %s): finite or refused unchanged", async (statistics, discount) => {
    const random = new SeededRandom(20261204);
    const engine = await createLinUCB({ dimension: 3, arms, cells, build, statistics, discount });
    let refused = 0;
    let applied = 0;
    const names = Object.keys(calls);
    for (let event = 0; event < 1500; event++) {
      const before = engine.snapshot();
      const name = names[event % names.length]!;
      try {
        calls[name]!(engine, random);
        applied++;
      } catch (error) {
        expect(error, `${name} at event ${event}`).toBeInstanceOf(LinUCBError);
        expect((error as LinUCBError).code).toBe("NON_FINITE");
        expect(engine.snapshot(), `${name} at event ${event} changed the state`).toEqual(before);
        refused++;
      }
      if (event % 50 === 0 || refused === 0)
        expect(everyModelFinite(engine), `after event ${event} (${name})`).toBe(true);
    }
    expect(everyModelFinite(engine)).toBe(true);
    expect(refused).toBeGreaterThan(100);
    expect(applied).toBeGreaterThan(100);
    // The engine still learns and scores.
    engine.update("c0", "a0", [1, 2, 3], 1);
    expect([...engine.scores("c0", [1, 1, 1])].every(Number.isFinite)).toBe(true);
  });

  test("an update that overflows into a new cell leaves no cell behind", async () => {
    const engine = await createLinUCB({ dimension: 2, arms, build });
    engine.update("c0", "a0", [1, 1], 1);
    expect(() => engine.update("fresh", "a1", [1e200, 1e200], 1)).toThrow(
      expect.objectContaining({ code: "NON_FINITE" }),
    );
    expect(engine.cells()).toEqual(["c0"]);
    const batch = {
      cells: ["c0", "fresh"],
      arms: ["a0", "a1"],
      contexts: new Float64Array([1, 2, 1e200, 1]),
      rewards: [1, 1],
    };
    expect(() => engine.updateMany(batch)).toThrow(expect.objectContaining({ code: "NON_FINITE" }));
    expect(engine.cells()).toEqual(["c0"]);
    expect(engine.model("c0", "a0").count).toBe(1);
  });

  test("forgetting cannot run the prior away: discount 0.999, a feature always 0, 800k updates", async () => {
    const lambda = 2;
    const engine = await createLinUCB({ dimension: 2, arms: ["a"], build, discount: 0.999, lambda, statistics: false });
    const chunk = 100_000;
    const contexts = new Float64Array(2 * chunk);
    for (let i = 0; i < chunk; i++) contexts[2 * i] = 1;
    const batch = {
      cells: new Int32Array(chunk),
      arms: new Int32Array(chunk),
      contexts,
      rewards: new Float64Array(chunk).fill(0.5),
    };
    engine.addCells(["c"]);
    for (let done = 0; done < 800_000; done += chunk) engine.updateMany(batch);
    const model = engine.model("c", "a");
    expect(model.count).toBe(800_000);
    expect([...model.theta, ...model.covariance, ...model.b].every(Number.isFinite)).toBe(true);
    // The unused feature's variance stays within the floor's bound 1/(10⁻⁶·λ), and w within [10⁻⁶, 1].
    expect(model.covariance[3]!).toBeLessThanOrEqual(1 / (1e-6 * lambda));
    expect(model.priorWeight).toBeGreaterThanOrEqual(1e-6);
    expect(model.theta[0]!).toBeCloseTo(0.5, 6);
  });

  test("the batch path under the same forgetting: finalize never reports success on Infinity", async () => {
    const engine = await createLinUCB({ dimension: 2, arms: ["a"], build, discount: 0.999 });
    const rows = 800_000;
    const contexts = new Float64Array(2 * rows);
    for (let i = 0; i < rows; i++) contexts[2 * i] = 1;
    engine.addCells(["c"]);
    engine.refit({
      cells: new Int32Array(rows),
      arms: new Int32Array(rows),
      contexts,
      rewards: new Float64Array(rows).fill(0.5),
    });
    const model = engine.model("c", "a");
    expect([...model.theta, ...model.covariance, ...model.b].every(Number.isFinite)).toBe(true);
    expect(model.covariance[3]!).toBeLessThanOrEqual(1e6);
  });
});

describe.each(["wasm", "reference"] as const)("%s engine", (which) => {
  const create = (options: Parameters<typeof createLinUCB>[0]) => {
    return which === "wasm" ? createLinUCB(options) : createReferenceLinUCB(options);
  };

  test("a context is read once: a getter that turns NaN on its second read cannot get through", async () => {
    const engine = await create({ dimension: 3, arms });
    const twin = await create({ dimension: 3, arms });
    let reads = 0;
    const tricky = {
      length: 3,
      get 0() {
        reads++;
        return reads === 1 ? 0.5 : Number.NaN;
      },
      1: 2,
      2: 3,
    };
    engine.update("c0", "a0", tricky as unknown as ArrayLike<number>, 1);
    twin.update("c0", "a0", [0.5, 2, 3], 1);
    expect(reads).toBe(1);
    expect(engine.snapshot()).toEqual(twin.snapshot());
    reads = 0;
    expect([...engine.scores("c0", tricky as unknown as ArrayLike<number>)]).toEqual([
      ...twin.scores("c0", [0.5, 2, 3]),
    ]);
    expect(reads).toBe(1);
  });

  test("options whose ridge times the prior overflows, and ridges outside [1e-100, 1e100], are refused", async () => {
    const overflowingPrior = create({ dimension: 2, arms, lambda: 1e100, priors: { a0: 1e250 } });
    await expect(overflowingPrior).rejects.toThrow(/priors\["a0"\]\[0\].*received 1e\+250/);
    await expect(create({ dimension: 2, arms, lambda: 1e-300 })).rejects.toThrow(/`lambda`.*received 1e-300/);
    await expect(create({ dimension: 2, arms, pooling: { ridge: 1e200 } })).rejects.toThrow(/`pooling\.ridge`/);
    await expect(create({ dimension: 2, arms, discount: 1e-200 })).rejects.toThrow(/`discount`/);
  });
});
