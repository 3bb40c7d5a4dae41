// The benchmark's baselines compute LinUCB, not something cheaper: careful JS and ml-matrix against
// the engine's reference (explicit inverse) on a seeded problem of the benchmark's workload, to
// 1e-9. A baseline that computed something else would make every ratio a straw man or a cheat.
import { describe, expect, test } from "vitest";
import { CarefulLinUCB } from "../../bench/baselines/careful-js.js";
import { MlMatrixLinUCB } from "../../bench/baselines/ml-matrix.js";
import { alpha, armCount, armIds, cellIds, generateEvents, lambda, type EventBlock } from "../../bench/workload.js";
import { createReferenceLinUCB, type LinUCBEngine } from "../../src/index.js";
import { relativeError } from "../engine/problems.js";

const tolerance = 1e-9;
const cells = 3;

/** What every baseline exposes for comparison. */
interface Baseline {
  covariance(model: number): Float64Array;
  thetaOf(model: number): Float64Array;
}

async function reference(d: number): Promise<LinUCBEngine> {
  return createReferenceLinUCB({ dimension: d, arms: [...armIds], alpha, lambda, cells: cellIds(cells) });
}

function trainReference(engine: LinUCBEngine, block: EventBlock): void {
  for (let e = 0; e < block.length; e++)
    engine.update(block.cellIds[e]!, block.armIds[e]!, block.contextViews[e]!, block.rewards[e]!);
}

function expectSameModels(baseline: Baseline, oracle: LinUCBEngine): void {
  const ids = cellIds(cells);
  for (let c = 0; c < cells; c++) {
    for (let a = 0; a < armCount; a++) {
      const want = oracle.model(ids[c]!, armIds[a]!);
      expect(
        relativeError(baseline.covariance(c * armCount + a), want.covariance),
        `A⁻¹ cell ${c} arm ${a}`,
      ).toBeLessThan(tolerance);
      expect(relativeError(baseline.thetaOf(c * armCount + a), want.theta), `θ cell ${c} arm ${a}`).toBeLessThan(
        tolerance,
      );
    }
  }
}

describe.each([5, 8, 16])("d = %i", (d) => {
  const shape = { d, cells };
  // Enough events that every model sees many updates (≈ 25 per model).
  const block = generateEvents(shape, 600, 42 + d);
  const probes = generateEvents(shape, 20, 7 + d);

  test("careful JS: online updates equal the reference's A⁻¹ and θ", async () => {
    const oracle = await reference(d);
    trainReference(oracle, block);
    const careful = new CarefulLinUCB(d, armCount, cells, alpha, lambda);
    for (let e = 0; e < block.length; e++) careful.update(block.models[e]!, block.contexts, e * d, block.rewards[e]!);
    expectSameModels(careful, oracle);
  });

  test("careful JS: per-event and batched select equal the reference's scores and choices", async () => {
    const oracle = await reference(d);
    trainReference(oracle, block);
    const careful = new CarefulLinUCB(d, armCount, cells, alpha, lambda);
    for (let e = 0; e < block.length; e++) careful.update(block.models[e]!, block.contexts, e * d, block.rewards[e]!);
    const out = new Float64Array(armCount);
    for (let c = 0; c < cells; c++) {
      const scores = new Float64Array(probes.length * armCount);
      const best = new Int32Array(probes.length);
      careful.scoreCellMany(c, probes.contexts, probes.length, scores, best);
      for (let e = 0; e < probes.length; e++) {
        const want = oracle.scores(`cell-${c}`, probes.contextViews[e]!);
        const choice = careful.scoreCell(c, probes.contexts, e * d, out);
        expect(relativeError(out, want)).toBeLessThan(tolerance);
        expect(relativeError(scores.subarray(e * armCount, (e + 1) * armCount), want)).toBeLessThan(tolerance);
        expect(choice).toBe(oracle.select(`cell-${c}`, probes.contextViews[e]!).armIndex);
        expect(best[e]).toBe(choice);
      }
    }
  });

  test("careful JS: refit (Cholesky) equals the reference's refit", async () => {
    const oracle = await reference(d);
    oracle.refit({
      cells: block.cellIndices,
      arms: block.armIndices,
      contexts: block.contexts,
      rewards: block.rewards,
    });
    const careful = new CarefulLinUCB(d, armCount, cells, alpha, lambda);
    // Online updates first, so the refit must replace state rather than start from the prior.
    for (let e = 0; e < 50; e++)
      careful.update(probes.models[e % probes.length]!, probes.contexts, (e % probes.length) * d, 1);
    careful.refit(block.models, block.contexts, block.rewards, block.length);
    expectSameModels(careful, oracle);
  });

  test("ml-matrix: online updates, scores and batched scores equal the reference's", async () => {
    const oracle = await reference(d);
    trainReference(oracle, block);
    const ml = new MlMatrixLinUCB(d, armCount, cells, alpha, lambda);
    for (let e = 0; e < block.length; e++) ml.update(block.models[e]!, block.contextViews[e]!, block.rewards[e]!);
    expectSameModels(ml, oracle);
    const out = new Float64Array(armCount);
    for (let c = 0; c < cells; c++) {
      const batched = ml.scoreCellMany(c, probes.contexts, probes.length);
      for (let e = 0; e < probes.length; e++) {
        const want = oracle.scores(`cell-${c}`, probes.contextViews[e]!);
        const choice = ml.scoreCell(c, probes.contextViews[e]!, out);
        expect(relativeError(out, want)).toBeLessThan(tolerance);
        expect(relativeError(batched.scores.getRow(e), want)).toBeLessThan(tolerance);
        expect(choice).toBe(oracle.select(`cell-${c}`, probes.contextViews[e]!).armIndex);
        expect(batched.best[e]).toBe(choice);
      }
    }
  });

  test("ml-matrix: refit equals the reference's refit", async () => {
    const oracle = await reference(d);
    oracle.refit({
      cells: block.cellIndices,
      arms: block.armIndices,
      contexts: block.contexts,
      rewards: block.rewards,
    });
    const ml = new MlMatrixLinUCB(d, armCount, cells, alpha, lambda);
    ml.refit(block.models, block.contexts, block.rewards, block.length);
    expectSameModels(ml, oracle);
  });
});

test("careful JS keeps A⁻¹'s upper triangle only, yet its full copy is symmetric", () => {
  const d = 6;
  const block = generateEvents({ d, cells: 1 }, 100, 3);
  const careful = new CarefulLinUCB(d, armCount, 1, alpha, lambda);
  for (let e = 0; e < block.length; e++) careful.update(block.models[e]!, block.contexts, e * d, block.rewards[e]!);
  const full = careful.covariance(0);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) expect(full[i * d + j]).toBe(full[j * d + i]);
  expect(careful.bytesPerModel).toBe((d * d + 2 * d) * 8);
});
