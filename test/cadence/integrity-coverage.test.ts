import { beforeAll, beforeEach, expect, it } from "vitest";
import { createLinUCB } from "../../src/engine/linucb.js";
import {
  CoverageCollector,
  isPackedCoverageSums,
  packCoverageSums,
  unpackCoverageSums,
  type PackedCoverageSums,
} from "../../src/cadence/coverage.js";
import { IntegrityCollector, checkIntegrity, describeIntegrityFailure } from "../../src/cadence/integrity.js";
import { accumulateSlice } from "../../src/cadence/corpus-refit.js";
import { migrateUp } from "../../src/store/index.js";
import { generateWorld } from "../../src/synthetic/index.js";
import { describeOnBackends, useFreshDatabase } from "../store/backends.js";
import { PROD_WORLD_SEED, insertOutcomes, resetTables } from "./fixtures.js";

/** The integrity check (engine statistics = SQL over the same rows) and the coverage table. */
describeOnBackends("integrity check and coverage table", (backend) => {
  const database = useFreshDatabase(backend);
  const world = generateWorld({ seed: PROD_WORLD_SEED });

  beforeAll(async () => {
    await migrateUp(database.db);
  });
  beforeEach(async () => {
    await resetTables(database.db);
  });

  const engineOptions = {
    dimension: world.dimension,
    arms: [...world.models],
    pooling: { shrinkage: "auto" as const },
  };

  it("passes a refit that read every row, and reports per-(cell, model) rows and ESS", async () => {
    const { db } = database;
    await insertOutcomes(db, { n: 1200, source: "prod" });
    await insertOutcomes(db, { n: 200, seed: 3, source: "shadow", model: "model-poison" });
    await insertOutcomes(db, { n: 100, source: "prod", judged: false, offsetDays: 1 });
    await db.query("UPDATE routing_outcomes SET features = '{1,2}' WHERE id = 7");
    const engine = await createLinUCB(engineOptions);
    const integrity = new IntegrityCollector();
    const coverage = new CoverageCollector(world.models);
    await accumulateSlice(
      db,
      engine,
      { table: "routing_outcomes", dimension: world.dimension, chunkSize: 250 },
      (chunk) => {
        integrity.add(chunk);
        coverage.add(chunk);
      },
    );
    engine.finalize();
    const report = await checkIntegrity(db, engine, "routing_outcomes", integrity);
    expect(report).toMatchObject({ ok: true, engineRows: 1199, sqlRows: 1199, mismatchCount: 0, sumsCompared: true });

    const table = coverage.finish(3);
    expect(table.rows).toBe(1199);
    expect(table.cells.reduce((s, c) => s + c.rows, 0)).toBe(1199);
    const counts = await db.query<{ cell: string; model: string; n: number }>(
      "SELECT cell, model, count(*)::float8 AS n FROM routing_outcomes WHERE source = 'prod' AND reward IS NOT NULL AND id <> 7 GROUP BY cell, model",
    );
    for (const row of counts.rows)
      expect(table.cells.find((c) => c.cell === row.cell)!.models[row.model]!.rows).toBe(Number(row.n));
    for (const cell of table.cells) {
      expect(cell.covered).toBe(Object.values(cell.models).every((m) => m.rows >= 3));
      for (const m of Object.values(cell.models)) expect(m.ess).toBeLessThanOrEqual(m.rows + 1e-9);
    }
    expect(table.models).not.toContain("model-poison");

    // Packed for a refit basis (JSON, as jsonb stores it) and restored: the same table, number for number.
    const packed = JSON.parse(JSON.stringify(packCoverageSums(coverage.sums()))) as unknown;
    expect(isPackedCoverageSums(packed)).toBe(true);
    const restored = new CoverageCollector(world.models);
    restored.addSums(unpackCoverageSums(packed as PackedCoverageSums));
    expect(restored.finish(3)).toEqual(table);
    const { models, cells } = packed as PackedCoverageSums;
    expect(cells.every(([, sums]) => sums.length === 3 * models.length)).toBe(true);
    // Malformed sums are not read as a basis's: a count that is not a whole number, a short cell.
    const [cell, sums] = cells[0]!;
    expect(isPackedCoverageSums({ models, cells: [[cell, [0.5, ...sums.slice(1)]]] })).toBe(false);
    expect(isPackedCoverageSums({ models, cells: [[cell, sums.slice(1)]] })).toBe(false);
  });

  it("fails a refit that lost rows, misfiled an arm or changed a reward", async () => {
    const { db } = database;
    await insertOutcomes(db, { n: 800, source: "prod" });
    const slice = { table: "routing_outcomes" as const, dimension: world.dimension, chunkSize: 200 };
    const run = async (
      corrupt: (chunk: Parameters<Parameters<typeof accumulateSlice>[3] & object>[0], index: number) => void,
    ) => {
      const engine = await createLinUCB(engineOptions);
      const integrity = new IntegrityCollector();
      let index = 0;
      // A pipeline with a bug: the reader's chunks reach the engine as a corrupted copy (the
      // engine passed to the reader ignores them; the callback feeds the real one).
      await accumulateSlice(db, { accumulate: () => undefined } as never, slice, (chunk) => {
        integrity.add(chunk);
        const copy = {
          ...chunk,
          cells: [...chunk.cells],
          arms: [...chunk.arms],
          rewards: Float64Array.from(chunk.rewards),
        };
        corrupt(copy, index++);
        if (copy.length > 0) engine.accumulate(copy);
      });
      engine.finalize();
      return checkIntegrity(db, engine, "routing_outcomes", integrity);
    };
    expect((await run(() => undefined)).ok).toBe(true);
    const lost = await run((chunk, i) => {
      if (i === 2) (chunk as { length: number }).length = 0;
    });
    expect(lost.ok).toBe(false);
    expect(lost.engineRows).toBe(600);
    expect(describeIntegrityFailure(lost)).toMatch(/integrity check failed: .*engine 600 rows, SQL 800/);
    const shifted = await run((chunk) => {
      chunk.arms[0] = world.models[(world.models.indexOf(chunk.arms[0]!) + 1) % world.models.length]!;
    });
    expect(shifted.ok).toBe(false);
    expect(shifted.engineRows).toBe(800);
    const reward = await run((chunk, i) => {
      if (i === 1) chunk.rewards[5] = chunk.rewards[5]! + 0.5;
    });
    expect(reward.ok).toBe(false);
    expect(reward.mismatchCount).toBe(1);
  });
});
