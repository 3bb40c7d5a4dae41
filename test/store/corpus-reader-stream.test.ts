// The corpus reader over long streams: chunk boundaries when rejected and unjudged rows fall at the
// ends of pages, resuming from every chunk, texts beyond what the interner keeps, created_at to the
// microsecond (and at ±infinity) as SQL converts it, and the byte check of a row's source.
import { beforeAll, beforeEach, expect, it } from "vitest";
import { isKnownSource, readCorpus, type CorpusChunk } from "../../src/store/corpus-reader.js";
import type { Db } from "../../src/store/db.js";
import { migrateUp } from "../../src/store/migrator.js";
import { describeOnBackends, useFreshDatabase } from "./backends.js";

const D = 3;

/** Inserts rows 1…n: row i has cell `cellOf(i)`, d = 3; features too short where `bad(i)`, no reward where `unjudged(i)`. */
async function insertRows(
  db: Db,
  n: number,
  rules: { bad?: string; unjudged?: string; cell?: string; model?: string } = {},
): Promise<void> {
  await db.query(
    `INSERT INTO routing_outcomes (created_at, agent_id, cell, model, features, propensity, completed, hallucinated,
       refused, reward, source)
     SELECT timestamptz '2025-01-01 00:00:00+00' + i * interval '1 second', 'agent', ${rules.cell ?? "'cell-' || (i % 5)"},
            ${rules.model ?? "'model-' || (i % 3)"},
            CASE WHEN ${rules.bad ?? "false"} THEN ARRAY[1, 2]::float8[] ELSE ARRAY[1, i, -i]::float8[] END,
            0.5, true, false, false, CASE WHEN ${rules.unjudged ?? "false"} THEN NULL ELSE i / 1000.0 END, 'prod'
     FROM generate_series(1, $1) AS i`,
    [n],
  );
}

async function readChunks(db: Db, chunkSize: number, afterId = 0): Promise<CorpusChunk[]> {
  const chunks: CorpusChunk[] = [];
  for await (const chunk of readCorpus(db, { table: "routing_outcomes", dimension: D, chunkSize, afterId })) {
    chunks.push(chunk);
  }
  return chunks;
}

describeOnBackends("corpus reader over long streams", (backend) => {
  const database = useFreshDatabase(backend);

  beforeAll(async () => {
    await migrateUp(database.db);
  });
  beforeEach(async () => {
    await database.db.exec("TRUNCATE routing_outcomes, judge_watermarks RESTART IDENTITY");
  });

  it("cuts a long stream into full pages, with rejected and unjudged rows at page ends, and resumes from any chunk", async () => {
    const { db } = database;
    // Every 100th row is rejected (the last of each page), every row 50 mod 100 unjudged.
    await insertRows(db, 1000, { bad: "i % 100 = 0", unjudged: "i % 100 = 50" });
    const chunks = await readChunks(db, 100);
    expect(chunks).toHaveLength(10);
    for (const [k, chunk] of chunks.entries()) {
      expect(chunk.scanned).toBe(100);
      expect(chunk.lastId).toBe(100 * (k + 1));
      expect(chunk.rejected).toEqual([{ id: 100 * (k + 1), reason: "features: 2 values, expected the dimension 3" }]);
      expect(chunk.unjudged).toBe(1);
      expect(chunk.length).toBe(98);
      expect(chunk.ids[0]).toBe(100 * k + 1);
      expect(chunk.cells[0]).toBe(`cell-${(100 * k + 1) % 5}`);
    }
    const accepted = chunks.flatMap((chunk) => Array.from(chunk.ids));
    const expected = Array.from({ length: 1000 }, (_, i) => i + 1).filter((i) => i % 100 !== 0 && i % 100 !== 50);
    expect(accepted).toEqual(expected);
    // Resuming after any chunk's lastId reads exactly the rest, in the same chunks.
    for (const k of [0, 4, 8, 9]) {
      const rest = await readChunks(db, 100, chunks[k]!.lastId);
      expect(rest.flatMap((chunk) => Array.from(chunk.ids))).toEqual(expected.filter((id) => id > 100 * (k + 1)));
      expect(rest.map((chunk) => chunk.lastId)).toEqual(chunks.slice(k + 1).map((chunk) => chunk.lastId));
    }
    // A page size that does not divide the stream: a short last page ends it.
    const odd = await readChunks(db, 333);
    expect(odd.map((chunk) => chunk.scanned)).toEqual([333, 333, 333, 1]);
    expect(odd.flatMap((chunk) => Array.from(chunk.ids))).toEqual(expected);
  });

  it("reads more distinct cells and models than the interner keeps, each exactly", async () => {
    const { db } = database;
    await insertRows(db, 6000, { cell: "'cellé-' || i", model: "'🚀-' || (i % 4500)" });
    const chunks = await readChunks(db, 1000);
    const sql = await db.query<{ cell: string; model: string }>("SELECT cell, model FROM routing_outcomes ORDER BY id");
    expect(chunks.flatMap((chunk) => chunk.cells)).toEqual(sql.rows.map((row) => row.cell));
    expect(chunks.flatMap((chunk) => chunk.arms)).toEqual(sql.rows.map((row) => row.model));
  });

  it("reads created_at to the microsecond as extract(epoch) * 1000 gives it, before 1970 and at ±infinity", async () => {
    const { db } = database;
    await insertRows(db, 6);
    const instants = [
      "2025-06-30 23:59:59.999999+00",
      "1969-12-31 23:59:59.999999+00",
      "1900-02-28 12:00:00.000001+00",
      "2999-01-01 00:00:00.123457+00",
      "infinity",
      "-infinity",
    ];
    for (const [i, instant] of instants.entries()) {
      await db.query("UPDATE routing_outcomes SET created_at = $1::timestamptz WHERE id = $2", [instant, i + 1]);
    }
    const chunks = await readChunks(db, 4);
    const read = chunks.flatMap((chunk) => Array.from(chunk.createdAtMs));
    const sql = await db.query<{ ms: number }>(
      "SELECT (extract(epoch FROM created_at) * 1000)::float8 AS ms FROM routing_outcomes ORDER BY id",
    );
    expect(read).toEqual(sql.rows.map((row) => Number(row.ms)));
    expect(read.slice(4)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(read[1]).toBe(-0.001);
  });
});

it("checks a row's source on its bytes: exactly prod, or beginning with synthetic", () => {
  const field = (text: string): [Buffer, number, number] => {
    const bytes = Buffer.concat([Buffer.from("xx"), Buffer.from(text, "utf8"), Buffer.from("prod")]);
    return [bytes, 2, Buffer.byteLength(text, "utf8")];
  };
  const known = (table: "routing_outcomes" | "routing_outcomes_synthetic", text: string | null): boolean => {
    const [bytes, start, length] = field(text ?? "");
    return isKnownSource(table, bytes, start, text === null ? -1 : length);
  };
  expect(known("routing_outcomes", "prod")).toBe(true);
  for (const other of ["pro", "prodx", "Prod", "", "shadow", "synthetic", "pród", null]) {
    expect(known("routing_outcomes", other), String(other)).toBe(false);
  }
  for (const ok of ["synthetic", "synthetic_coldstart_v1", "synthetic:é"]) {
    expect(known("routing_outcomes_synthetic", ok), ok).toBe(true);
  }
  for (const other of ["synth", "Synthetic", "prod", "", " synthetic", null]) {
    expect(known("routing_outcomes_synthetic", other), String(other)).toBe(false);
  }
});
