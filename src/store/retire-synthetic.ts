/**
 * Retiring the synthetic world once production traffic has taken over: every row of
 * `routing_outcomes_synthetic` deleted, and nothing else touched — training runs (warm-up ones
 * included, with their metrics) and policy versions stay.
 *
 * The table itself stays, empty (TRUNCATE gives its disk space back at once): dropping it outside
 * the migrations would leave the schema history claiming a table that is not there, so that
 * `migrate down` past 003 and a later warm-up would fail. An empty table costs a few pages.
 */
import type { Db } from "./db.js";
import { StoreError } from "./errors.js";

/** Options of {@link retireSyntheticOutcomes}. */
export interface RetireSyntheticOptions {
  /** Delete the rows. Without it, a table with rows is refused (StoreError `DATA_LOSS`). @default false */
  readonly force?: boolean;
}

/** Deletes every synthetic outcome (see the module comment); returns how many there were. */
export async function retireSyntheticOutcomes(
  db: Db,
  options: RetireSyntheticOptions = {},
): Promise<{ readonly rowsDeleted: number }> {
  return db.transaction(async (tx) => {
    // Exclusive before counting: no load can add rows between the count and the TRUNCATE.
    await tx.exec("LOCK TABLE routing_outcomes_synthetic IN ACCESS EXCLUSIVE MODE");
    const { rows } = await tx.query<{ n: number }>("SELECT count(*)::int8 AS n FROM routing_outcomes_synthetic");
    const count = Number(rows[0]?.n ?? 0);
    if (count > 0 && options.force !== true) {
      throw new StoreError(
        "DATA_LOSS",
        `retiring the synthetic table would delete its ${count} rows (training runs and policy versions are kept); ` +
          "nothing was changed — " +
          "retire it with force (linucb migrate retire-synthetic --force) if that is intended",
      );
    }
    // Ids keep counting up (no RESTART IDENTITY): a later row never reuses a retired row's id.
    await tx.exec("TRUNCATE routing_outcomes_synthetic");
    return { rowsDeleted: count };
  });
}
