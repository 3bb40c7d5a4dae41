// Every contender of a task does the same work: on one seeded problem, all implementations (each
// engine build, the reference, careful JS, ml-matrix) make the same choices in select, batched
// select and replay, and their state stays finite. Different checksums would mean some contender
// is timed on different work than the others.
import { describe, expect, test } from "vitest";
import { contendersFor, taskNames, type TaskName } from "../../bench/contenders.js";
import { buildProblem, type BlockSizes } from "../../bench/problem.js";
import { detectBuild, isBuildSupported } from "../../src/index.js";

const builds = (["relaxed", "simd", "scalar"] as const).filter((build) => isBuildSupported(build));
// Fast and slow contenders get the same block here, so that their checksums are comparable.
const sizes: BlockSizes = { events: 512, slowEvents: 512, burst: 64, refitRows: 2048, slowRefitRows: 2048 };

async function checksums(
  task: TaskName,
  d: number,
  cells: number,
): Promise<Map<string, { checksum: number; probe: number; events: number }>> {
  const problem = buildProblem({ d, cells }, sizes, 11);
  const result = new Map<string, { checksum: number; probe: number; events: number }>();
  for (const contender of contendersFor(task, builds, detectBuild())) {
    const body = await contender.prepare(problem);
    result.set(contender.id, {
      checksum: body.run(0, body.units),
      probe: body.probe(),
      events: body.units * body.eventsPerUnit,
    });
  }
  return result;
}

describe.each([
  [8, 1],
  [16, 6],
])("d = %i, %i cells", (d, cells) => {
  test.each([
    "select",
    "batched-select",
    "replay",
  ] as const)("%s: every contender makes the same choices", async (task) => {
    const results = await checksums(task, d, cells);
    const careful = results.get("careful-js")!;
    expect(careful.checksum).toBeGreaterThan(0);
    for (const [id, result] of results) {
      expect(result.checksum, id).toBe(careful.checksum);
      expect(result.events, id).toBe(careful.events);
      expect(Number.isFinite(result.probe), id).toBe(true);
    }
  });

  test.each(["update", "refit"] as const)("%s: every contender ends in the same models", async (task) => {
    const results = await checksums(task, d, cells);
    const careful = results.get("careful-js")!;
    for (const [id, result] of results) {
      expect(Number.isFinite(result.probe), id).toBe(true);
      expect(result.events, id).toBe(careful.events);
      // Warm-up plus one block (or one refit) leaves every implementation with the same models.
      expect(Math.abs(result.probe - careful.probe), id).toBeLessThan(1e-9 * Math.max(1, Math.abs(careful.probe)));
    }
  });
});

test("every task has a careful-JS baseline and each build's engine", () => {
  for (const task of taskNames) {
    const ids = contendersFor(task, builds, detectBuild()).map((c) => c.id);
    expect(ids).toContain("careful-js");
    expect(ids).toContain("ml-matrix");
    expect(ids).toContain("reference");
    for (const build of builds)
      expect(
        ids.some((id) => id.startsWith(`engine-${build}/`)),
        `${task} ${build}`,
      ).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  }
});

test("a block processed in chunks gives the same choices as in one pass", async () => {
  const problem = buildProblem({ d: 8, cells: 4 }, sizes, 5);
  for (const task of ["select", "batched-select"] as const) {
    for (const contender of contendersFor(task, builds, detectBuild())) {
      const body = await contender.prepare(problem);
      const whole = body.run(0, body.units);
      const half = Math.floor(body.units / 2);
      expect(body.run(0, half) + body.run(half, body.units), `${task} ${contender.id}`).toBe(whole);
    }
  }
});
