/**
 * Planner statistics after bulk loads. Embedded PGlite never runs autovacuum, and on PostgreSQL
 * autovacuum lags a bulk load: until the table is analysed the planner keeps the estimates of an
 * empty table, and every keyset page of a refit read all remaining rows (a warm-up refit of 80k
 * rows: 7.7 s, 1.3 s after ANALYZE). Every bulk loader ends with {@link analyzeTable}.
 */
import type { Queryable } from "./db.js";

/** The outcome tables a bulk load writes. */
export type LoadedTable = "routing_outcomes" | "routing_outcomes_synthetic";

const TABLES: readonly LoadedTable[] = ["routing_outcomes", "routing_outcomes_synthetic"];

/**
 * Refreshes the planner's statistics of `table` (a sample of at most 30,000 rows: about 0.1 s at
 * 10⁶ rows). Call it after a load has committed, outside its transaction.
 */
export async function analyzeTable(db: Queryable, table: LoadedTable): Promise<void> {
  // A constant from a closed list: the name goes into the SQL text (ANALYZE takes no parameters).
  if (!TABLES.includes(table))
    throw new RangeError(`table must be one of ${TABLES.join(", ")}; received ${JSON.stringify(table)}`);
  await db.exec(`ANALYZE ${table}`);
}
