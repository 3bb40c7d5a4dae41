import { beforeAll, expect, it } from "vitest";
import type { Queryable } from "../../src/store/db.js";
import { migrateUp } from "../../src/store/migrator.js";
import { analyzeTable } from "../../src/store/table-statistics.js";
import { importOutcomes } from "../../src/serve/import-outcomes.js";
import type { ImportRecord } from "../../src/serve/import-records.js";
import { describeOnBackends, useFreshDatabase } from "./backends.js";

async function plannerRows(db: Queryable, table: string): Promise<number> {
  const { rows } = await db.query<{ tuples: number }>(
    "SELECT reltuples::float8 AS tuples FROM pg_class WHERE relname = $1",
    [table],
  );
  return Number(rows[0]?.tuples);
}

async function* records(n: number): AsyncGenerator<ImportRecord> {
  for (let i = 0; i < n; i++) {
    const fields = { agent_id: "a", cell: `c${i % 4}`, model: `m${i % 3}`, features: [1, i / n], propensity: 0.5 };
    Object.assign(fields, { completed: i % 2 === 0, hallucinated: false, refused: false });
    yield { line: i + 1, fields };
  }
}

describeOnBackends("planner statistics after bulk loads", (backend) => {
  const database = useFreshDatabase(backend);
  beforeAll(async () => {
    await migrateUp(database.db);
  });

  it("linucb import's loader analyses routing_outcomes once it has written rows", async () => {
    const { db } = database;
    // Failed before: the planner kept an empty table's estimates (PGlite never runs autovacuum).
    const result = await importOutcomes(db, records(2500), { source: "prod", dimension: null, batchSize: 1000 });
    expect(result.inserted).toBe(2500);
    expect(await plannerRows(db, "routing_outcomes")).toBe(2500);
  });

  it("analyzeTable takes only the outcome tables", async () => {
    const hostile = analyzeTable(database.db, "training_runs; DROP TABLE x" as never);
    await expect(hostile).rejects.toThrow(/table must be one of routing_outcomes, routing_outcomes_synthetic/);
  });
});
