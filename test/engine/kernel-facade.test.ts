// The Kernel facade (src/engine/kernel.ts): its region views stay attached to the memory across
// growth, what is written through them is what the kernel reads, and records sit where
// recordStart and the record layout say.
import { expect, test } from "vitest";
import { Kernel, detectBuild } from "../../src/engine/kernel.js";

const d = 5;
const arms = 3;

async function kernel(): Promise<Kernel> {
  return Kernel.create(detectBuild(), {
    dimension: d,
    arms,
    stageRows: 16,
    statistics: true,
    alpha: 1,
    lambda: 1,
    discount: 1,
  });
}

test("region views are rebuilt when memory grows, keeping what was written", async () => {
  const k = await kernel();
  const prior = Float64Array.from({ length: d }, (_, i) => i + 0.5);
  k.priorsView.set(prior, 2 * k.paddedDimension);
  const before = k.priorsView;
  const bytes = k.memoryBytes;
  k.ensureModels(5000);
  expect(k.memoryBytes).toBeGreaterThan(bytes);
  // The old view is detached by the growth; the getter hands out one over the new buffer.
  expect(before.length).toBe(0);
  const views = [k.f64, k.contextsView, k.rewardsView, k.scoresView, k.priorsView, k.basePriorsView, k.exchangeView];
  for (const view of views) expect(view.buffer.byteLength).toBe(k.memoryBytes);
  for (const view of [k.modelsView, k.armsOutView]) expect(view.buffer.byteLength).toBe(k.memoryBytes);
  expect([...k.priorsView.subarray(2 * k.paddedDimension, 2 * k.paddedDimension + d)]).toEqual([...prior]);
});

test("a staged update lands in the record at recordStart + the layout's offsets", async () => {
  const k = await kernel();
  k.ensureModels(4 * arms);
  k.initModels(0, 4 * arms);
  const model = 3 * arms + 1;
  const start = k.recordStart(model);
  const { header, theta, b, sxr } = k.record;
  expect(k.f64[start + header]).toBe(0);
  expect(k.f64[start + header + 1]).toBe(1);
  const context = Float64Array.from({ length: d }, (_, i) => (i + 1) / d);
  k.contextsView.set(context);
  expect(k.updateStaged(model, 2, false)).toBe(true);
  // n = 1, Σ r·x = 2x, and b = λθ₀ + r·x = 2x with a zero prior.
  expect(k.f64[start + header]).toBe(1);
  for (let i = 0; i < d; i++) {
    expect(k.f64[start + sxr + i]).toBe(2 * context[i]!);
    expect(k.f64[start + b + i]).toBe(2 * context[i]!);
  }
  // θ = A⁻¹b with A = I + xxᵀ: θ = 2x / (1 + |x|²).
  const norm = context.reduce((sum, x) => sum + x * x, 0);
  for (let i = 0; i < d; i++) expect(k.f64[start + theta + i]).toBeCloseTo((2 * context[i]!) / (1 + norm), 12);
  // The neighbours are untouched.
  expect(k.f64[k.recordStart(model - 1) + header]).toBe(0);
  expect(k.f64[k.recordStart(model + 1) + header]).toBe(0);
  expect(k.recordStart(model + 1) - start).toBe(k.record.length);
});

test("a staged score fills row 0 of the scores view; the exchange view carries A⁻¹", async () => {
  const k = await kernel();
  k.ensureModels(arms);
  k.initModels(0, arms);
  k.contextsView.set(Float64Array.from({ length: d }, (_, i) => (i === 0 ? 1 : 0)));
  expect(k.updateStaged(1, 3, false)).toBe(true);
  const best = k.scoreStaged(0);
  expect(best).toBe(1);
  const scores = k.scoresView.subarray(0, arms);
  expect(scores[1]).toBeGreaterThan(scores[0]!);
  expect(scores[0]).toBe(scores[2]);
  k.inverseToExchange(1);
  const dp = k.paddedDimension;
  // A = I + e₀e₀ᵀ: A⁻¹ = diag(1/2, 1, …).
  expect(k.exchangeView[0]).toBe(0.5);
  expect(k.exchangeView[dp + 1]).toBe(1);
  expect(k.exchangeView[1]).toBe(0);
});
