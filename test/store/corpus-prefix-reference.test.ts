// The prefix fingerprint (src/store/corpus-prefix.ts) reads the rows under the judge watermark from the
// (source, id) index and only the rows above it from the table: on corpora with a watermark below,
// inside and above the mark, stored rewards above it, unjudged rows and shadow rows, it equals the
// plain definition — one aggregate over every row at or below the mark — for every mark.
import { beforeAll, beforeEach, expect, it } from "vitest";
import { corpusPrefixFingerprint, migrateUp, type Db } from "../../src/store/index.js";
import { insertOutcomes, resetTables } from "../cadence/fixtures.js";
import { describeOnBackends, useFreshDatabase } from "./backends.js";

/** The fingerprint by its definition, in one scan. */
async function plainFingerprint(db: Db, highWaterId: number, through: number) {
  const judged = `(reward IS NOT NULL OR id <= ${through})`;
  const residue = "(id % 2147483647)::int4";
  const { rows } = await db.query<{
    rows: string;
    id_sum: string;
    judged: string;
    judged_id_sum: string;
    newest_at_ms: number | null;
    last_judged_id: number | null;
  }>(
    `SELECT count(*)::text AS rows, coalesce(sum(${residue}), 0)::text AS id_sum,
            count(*) FILTER (WHERE ${judged})::text AS judged,
            coalesce(sum(${residue}) FILTER (WHERE ${judged}), 0)::text AS judged_id_sum,
            (extract(epoch FROM max(created_at)) * 1000)::float8 AS newest_at_ms,
            max(id) FILTER (WHERE ${judged}) AS last_judged_id
     FROM routing_outcomes WHERE source = 'prod' AND id <= $1::int8`,
    [highWaterId],
  );
  const row = rows[0]!;
  return {
    highWaterId,
    rows: Number(row.rows),
    idSum: row.id_sum,
    judged: Number(row.judged),
    judgedIdSum: row.judged_id_sum,
    newestAtMs: row.newest_at_ms === null ? null : Number(row.newest_at_ms),
    lastJudgedId: Number(row.last_judged_id ?? 0),
  };
}

describeOnBackends("corpus prefix fingerprint against its definition", (backend) => {
  const database = useFreshDatabase(backend);

  beforeAll(async () => {
    await migrateUp(database.db);
  });
  beforeEach(async () => {
    await resetTables(database.db);
    await database.db.query("DELETE FROM judge_watermarks");
  });

  it("equals one scan of every row at or below the mark, wherever the watermark ends", async () => {
    const { db } = database;
    await insertOutcomes(db, { n: 60, source: "prod", judged: false });
    await insertOutcomes(db, { n: 10, source: "shadow", judged: false });
    await insertOutcomes(db, { n: 40, seed: 3, source: "prod", judged: false, offsetDays: -40 });
    // Stored rewards on some rows above and below where the watermark will end.
    await db.query("UPDATE routing_outcomes SET reward = 0.5 WHERE id % 7 = 0");
    const marks = [0, 1, 35, 60, 65, 90, 110, 500];
    const expectAllMarks = async (through: number): Promise<void> => {
      for (const mark of marks) {
        expect(await corpusPrefixFingerprint(db, "routing_outcomes", mark), `mark ${mark}, through ${through}`).toEqual(
          await plainFingerprint(db, mark, through),
        );
      }
    };
    await expectAllMarks(0);
    for (const [from, through] of [
      [0, 50],
      [50, 75],
      [75, 120],
    ] as const) {
      await db.query(
        `INSERT INTO judge_watermarks (corpus_table, judge_model, hallucination_penalty, refusal_penalty, from_id,
           through_id, judged_rows) VALUES ('routing_outcomes', 'test', 0.5, 0.25, $1, $2, 1)`,
        [from, through],
      );
      await expectAllMarks(through);
    }
  });
});
