import { beforeAll, beforeEach, expect, it } from "vitest";
import type { EventBatch } from "../../src/engine/types.js";
import { readCorpus, type CorpusChunk, type CorpusReadOptions } from "../../src/store/corpus-reader.js";
import type { Db } from "../../src/store/db.js";
import { StoreError } from "../../src/store/errors.js";
import { migrateUp } from "../../src/store/migrator.js";
import { describeOnBackends, secondSession, useFreshDatabase } from "./backends.js";

const D = 4;

/** Inserts `count` valid prod rows (d = 4), one an hour from 2024-01-01, built in SQL. */
async function insertProdRows(db: Db, count: number, source = "prod"): Promise<void> {
  await db.query(
    `INSERT INTO routing_outcomes (created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused, judge_score, judge_model, reward, source)
     SELECT timestamptz '2024-01-01 00:00:00+00' + i * interval '1 hour', 'agent-' || (i % 2), 'cell-' || (i % 3), 'model-' || (i % 4),
            ARRAY[i, i / 7.0, 1, -i * 1e-3]::float8[], 1.0 / (1 + i % 4), i % 5 <> 0, false, false, i / 10.0, 'judge', sin(i), $2
     FROM generate_series(1, $1) AS i`,
    [count, source],
  );
}

/** Runs `body` with the schema's non-empty id checks (migration 006) lifted, to write rows older versions allowed. */
async function withoutNonEmptyChecks<T>(db: Db, body: () => Promise<T>): Promise<T> {
  const checks = ["cell", "model", "agent_id"].map((column) => `routing_outcomes_${column}_nonempty_check`);
  await db.exec(`ALTER TABLE routing_outcomes ${checks.map((name) => `DROP CONSTRAINT ${name}`).join(", ")}`);
  try {
    return await body();
  } finally {
    const columns = ["cell", "model", "agent_id"];
    await db.exec(
      `ALTER TABLE routing_outcomes ${columns.map((c) => `ADD CONSTRAINT routing_outcomes_${c}_nonempty_check CHECK (${c} <> '') NOT VALID`).join(", ")}`,
    );
  }
}

/** Reads everything, returning the chunks. */
async function readAll(
  db: Db,
  options: Partial<CorpusReadOptions> = {},
): Promise<{ chunks: CorpusChunk[]; reader: ReturnType<typeof readCorpus> }> {
  const reader = readCorpus(db, { table: "routing_outcomes", dimension: D, ...options });
  const chunks: CorpusChunk[] = [];
  for await (const chunk of reader) chunks.push(chunk);
  return { chunks, reader };
}

function concatIds(chunks: CorpusChunk[]): number[] {
  return chunks.flatMap((chunk) => Array.from(chunk.ids));
}

interface ExpectedRow {
  id: number;
  cell: string;
  model: string;
  features: number[];
  propensity: number;
  reward: number;
  created_ms: number;
}

/** The same corpus read through plain SQL and the text protocol: the oracle for the binary path. */
async function expectedRows(db: Db, where = "source = 'prod' AND reward IS NOT NULL"): Promise<ExpectedRow[]> {
  const result = await db.query<ExpectedRow>(
    `SELECT id, cell, model, features, propensity, reward, (extract(epoch FROM created_at) * 1000)::float8 AS created_ms
     FROM routing_outcomes WHERE ${where} ORDER BY id`,
  );
  return result.rows;
}

describeOnBackends("corpus reader", (backend) => {
  const database = useFreshDatabase(backend);

  beforeAll(async () => {
    await migrateUp(database.db);
  });
  beforeEach(async () => {
    await database.db.exec("TRUNCATE routing_outcomes, routing_outcomes_synthetic, judge_watermarks RESTART IDENTITY");
  });

  it("yields every judged prod row once, in id order, as columnar chunks equal to the SQL view of the rows", async () => {
    const { db } = database;
    await insertProdRows(db, 25);
    const { chunks, reader } = await readAll(db, { chunkSize: 10 });
    expect(chunks.map((chunk) => chunk.length)).toEqual([10, 10, 5]);

    const expected = await expectedRows(db);
    expect(expected).toHaveLength(25);
    const flat = {
      ids: concatIds(chunks),
      cells: chunks.flatMap((c) => c.cells),
      arms: chunks.flatMap((c) => c.arms),
      contexts: chunks.flatMap((c) => Array.from(c.contexts)),
      rewards: chunks.flatMap((c) => Array.from(c.rewards)),
      propensities: chunks.flatMap((c) => Array.from(c.propensities)),
      createdAtMs: chunks.flatMap((c) => Array.from(c.createdAtMs)),
    };
    expect(flat).toEqual({
      ids: expected.map((row) => row.id),
      cells: expected.map((row) => row.cell),
      arms: expected.map((row) => row.model),
      contexts: expected.flatMap((row) => row.features),
      rewards: expected.map((row) => row.reward),
      propensities: expected.map((row) => row.propensity),
      createdAtMs: expected.map((row) => row.created_ms),
    });
    for (const chunk of chunks) {
      expect(chunk.dimension).toBe(D);
      expect(chunk.contexts.length).toBe(chunk.length * D);
      expect(chunk.lastId).toBe(chunk.ids[chunk.length - 1]);
    }
    expect(reader.totals).toMatchObject({
      scanned: 25,
      accepted: 25,
      rejected: 0,
      unjudged: 0,
      chunks: 3,
      lastId: 25,
      highWaterId: 25,
    });
  });

  it("decodes pages of several megabytes exactly (d = 16, 10,000 rows per COPY)", async () => {
    const { db } = database;
    await db.query(
      `INSERT INTO routing_outcomes (agent_id, cell, model, features, propensity, completed, hallucinated, refused, reward)
       SELECT 'agent', 'cell-' || (i % 13), 'model-' || (i % 7), ARRAY(SELECT sin(i * 16 + j) FROM generate_series(1, 16) AS j), 0.5, true, false, false, cos(i)
       FROM generate_series(1, 25000) AS i`,
    );
    const reader = readCorpus(db, { table: "routing_outcomes", dimension: 16, chunkSize: 10_000 });
    const contexts: number[] = [];
    const cells: string[] = [];
    for await (const chunk of reader) {
      for (const value of chunk.contexts) contexts.push(value);
      cells.push(...chunk.cells);
    }
    const expected = await db.query<{ features: number[]; cell: string }>(
      "SELECT features, cell FROM routing_outcomes ORDER BY id",
    );
    expect(reader.totals).toMatchObject({ accepted: 25_000, chunks: 3, rejected: 0 });
    expect(cells).toEqual(expected.rows.map((row) => row.cell));
    expect(contexts).toEqual(expected.rows.flatMap((row) => row.features));
  });

  it("hands chunks that are engine batches as they are (cells, arms, contexts, rewards)", async () => {
    const { db } = database;
    await insertProdRows(db, 3);
    const { chunks } = await readAll(db);
    const batch: EventBatch = chunks[0] as CorpusChunk; // compile-time: a chunk is an EventBatch
    expect(batch.contexts.length).toBe(3 * D);
  });

  it("never returns a synthetic or shadow row from routing_outcomes: the wall is in the SQL, so they are not even scanned", async () => {
    const { db } = database;
    await insertProdRows(db, 6, "synthetic");
    await insertProdRows(db, 8, "prod");
    await insertProdRows(db, 5, "shadow");
    await insertProdRows(db, 4, "prod");
    const { chunks, reader } = await readAll(db, { chunkSize: 5 });
    const prodIds = (
      await db.query<{ id: number }>("SELECT id FROM routing_outcomes WHERE source = 'prod' ORDER BY id")
    ).rows.map((row) => row.id);
    expect(prodIds).toHaveLength(12);
    expect(concatIds(chunks)).toEqual(prodIds);
    // Had the filter been applied in JavaScript, the 11 others would show up as scanned or rejected.
    expect(reader.totals).toMatchObject({ scanned: 12, accepted: 12, rejected: 0, unjudged: 0 });
  });

  it("skips invalid rows, reports each by id with the reason, and never puts them in a chunk", async () => {
    const { db } = database;
    await insertProdRows(db, 3);
    const bad = async (features: string, extra = "", extraValue = ""): Promise<number> => {
      const result = await db.query<{ id: number }>(
        `INSERT INTO routing_outcomes (agent_id, cell, model, features, propensity, completed, hallucinated, refused, reward${extra})
         VALUES ('a', 'c', 'm', '${features}'::float8[], 0.5, true, false, false, 1${extraValue}) RETURNING id`,
      );
      return (result.rows[0] as { id: number }).id;
    };
    const rejectedIds = {
      short: await bad("{1,2,3}"),
      long: await bad("{1,2,3,4,5}"),
      nan: await bad("{1,NaN,3,4}"),
      infinite: await bad("{1,2,-Infinity,4}"),
      nullElement: await bad("{1,2,3,NULL}"),
      twoDimensional: await bad("{{1,2},{3,4}}"),
      empty: await bad("{}"),
      nanReward: await bad("{1,2,3,4}", "", "").then(async (id) => {
        await db.query("UPDATE routing_outcomes SET reward = 'NaN' WHERE id = $1", [id]);
        return id;
      }),
      hugeFeature: await bad("{1,2,1e9,4}"),
      tinyPropensity: await bad("{1,2,3,4}").then(async (id) => {
        await db.query("UPDATE routing_outcomes SET propensity = 1e-300 WHERE id = $1", [id]);
        return id;
      }),
      hugeReward: await bad("{1,2,3,4}").then(async (id) => {
        await db.query("UPDATE routing_outcomes SET reward = 1e300 WHERE id = $1", [id]);
        return id;
      }),
      ...(await withoutNonEmptyChecks(db, async () => ({
        emptyCell: await bad("{1,2,3,4}").then(async (id) => {
          await db.query("UPDATE routing_outcomes SET cell = '' WHERE id = $1", [id]);
          return id;
        }),
        emptyModel: await bad("{1,2,3,4}").then(async (id) => {
          await db.query("UPDATE routing_outcomes SET model = '' WHERE id = $1", [id]);
          return id;
        }),
        emptyAgent: await bad("{1,2,3,4}").then(async (id) => {
          await db.query("UPDATE routing_outcomes SET agent_id = '' WHERE id = $1", [id]);
          return id;
        }),
      }))),
    };
    await insertProdRows(db, 2);

    const { chunks, reader } = await readAll(db, { chunkSize: 4, bounds: { reward: { min: -0.75, max: 1 } } });
    const rejected = chunks.flatMap((chunk) => chunk.rejected);
    expect(rejected).toEqual([
      { id: rejectedIds.short, reason: "features: 3 values, expected the dimension 4" },
      { id: rejectedIds.long, reason: "features: 5 values, expected the dimension 4" },
      { id: rejectedIds.nan, reason: "features: element 1 is NaN" },
      { id: rejectedIds.infinite, reason: "features: element 2 is -Infinity" },
      { id: rejectedIds.nullElement, reason: "features: element 3 is null" },
      { id: rejectedIds.twoDimensional, reason: "features: not a one-dimensional array" },
      { id: rejectedIds.empty, reason: "features: not a one-dimensional array" },
      { id: rejectedIds.nanReward, reason: "reward: NaN is not finite" },
      { id: rejectedIds.hugeFeature, reason: "features: element 2 is 1000000000, beyond the magnitude bound 1000000" },
      { id: rejectedIds.tinyPropensity, reason: "propensity: 1e-300 is not in [0.000001, 1]" },
      { id: rejectedIds.hugeReward, reason: "reward: 1e+300 is outside the declared range [-0.75, 1]" },
      { id: rejectedIds.emptyCell, reason: "cell: empty" },
      { id: rejectedIds.emptyModel, reason: "model: empty" },
      { id: rejectedIds.emptyAgent, reason: "agent_id: empty" },
    ]);
    const accepted = concatIds(chunks);
    expect(accepted).toEqual((await expectedRows(db, "agent_id LIKE 'agent-%'")).map((r) => r.id));
    expect(accepted).toHaveLength(5);
    for (const id of Object.values(rejectedIds)) expect(accepted).not.toContain(id);
    expect(reader.totals).toMatchObject({ scanned: 19, accepted: 5, rejected: 14, unjudged: 0 });
    expect(reader.totals.rejectedByReason).toEqual({
      features: 8,
      propensity: 1,
      reward: 2,
      cell: 1,
      model: 1,
      agent_id: 1,
    });
    expect(reader.totals.rejectedExamples).toEqual(rejected);
  });

  it("re-checks the propensity even though the schema already does (defence in depth)", async () => {
    const { db } = database;
    await insertProdRows(db, 2);
    await db.exec("ALTER TABLE routing_outcomes DROP CONSTRAINT routing_outcomes_propensity_check");
    try {
      await db.exec("UPDATE routing_outcomes SET propensity = 1.5 WHERE id = 1");
      const { chunks } = await readAll(db);
      expect(chunks.flatMap((c) => c.rejected)).toEqual([{ id: 1, reason: "propensity: 1.5 is not in [0.000001, 1]" }]);
      expect(concatIds(chunks)).toEqual([2]);
    } finally {
      await db.exec("DELETE FROM routing_outcomes WHERE propensity > 1");
      await db.exec(
        "ALTER TABLE routing_outcomes ADD CONSTRAINT routing_outcomes_propensity_check CHECK (propensity > 0 AND propensity <= 1)",
      );
    }
  });

  it("counts unjudged rows (reward null) apart from rejected ones, and feeds neither", async () => {
    const { db } = database;
    await insertProdRows(db, 10);
    await db.exec("UPDATE routing_outcomes SET reward = NULL WHERE id % 3 = 0");
    const { chunks, reader } = await readAll(db, { chunkSize: 4 });
    expect(concatIds(chunks)).toEqual([1, 2, 4, 5, 7, 8, 10]);
    expect(chunks.reduce((sum, chunk) => sum + chunk.unjudged, 0)).toBe(3);
    expect(reader.totals).toMatchObject({ scanned: 10, accepted: 7, rejected: 0, unjudged: 3 });
  });

  it("resumes after the lastId of the last consumed chunk, with nothing lost or repeated", async () => {
    const { db } = database;
    await insertProdRows(db, 23);
    const whole = concatIds((await readAll(db, { chunkSize: 5 })).chunks);

    const firstPart: number[] = [];
    let resumeAfter = 0;
    for await (const chunk of readCorpus(db, { table: "routing_outcomes", dimension: D, chunkSize: 5 })) {
      firstPart.push(...chunk.ids);
      resumeAfter = chunk.lastId;
      if (firstPart.length >= 10) break; // the consumer stops early: the read must release its connection
    }
    const rest = concatIds((await readAll(db, { chunkSize: 5, afterId: resumeAfter })).chunks);
    expect(resumeAfter).toBe(10);
    expect([...firstPart, ...rest]).toEqual(whole);
    // The connection came back: the database still answers (a leaked PGlite/pg session would not matter
    // here, but a leaked pool client would make this hang once the pool is exhausted).
    for (let i = 0; i < 6; i++) await readAll(db, { chunkSize: 50 });
  });

  it("restricts to a created_at range [createdFrom, createdBefore)", async () => {
    const { db } = database;
    await insertProdRows(db, 48); // hourly from 2024-01-01 01:00
    const createdFrom = new Date("2024-01-01T10:00:00Z");
    const createdBefore = new Date("2024-01-02T00:00:00Z");
    const { chunks } = await readAll(db, { createdFrom, createdBefore, chunkSize: 4 });
    const expected = await expectedRows(
      db,
      `source = 'prod' AND created_at >= '2024-01-01T10:00:00Z' AND created_at < '2024-01-02T00:00:00Z'`,
    );
    expect(concatIds(chunks)).toEqual(expected.map((row) => row.id));
    expect(expected).toHaveLength(14);
    const held = concatIds((await readAll(db, { createdFrom: createdBefore })).chunks);
    expect(held).toEqual((await expectedRows(db, "created_at >= '2024-01-02T00:00:00Z'")).map((row) => row.id));
  });

  it("reads up to the highest id present when it started: rows appended during the read wait for the next one", async () => {
    const { db } = database;
    await insertProdRows(db, 12);
    const reader = readCorpus(db, { table: "routing_outcomes", dimension: D, chunkSize: 5 });
    const ids: number[] = [];
    for await (const chunk of reader) {
      ids.push(...chunk.ids);
      if (ids.length === 5) await insertProdRows(db, 7);
    }
    expect(ids).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(reader.totals.highWaterId).toBe(12);
    const next = await readAll(db, { afterId: reader.totals.lastId });
    expect(concatIds(next.chunks)).toEqual(Array.from({ length: 7 }, (_, i) => i + 13));
  });

  it("reads routing_outcomes_synthetic when asked for it by name", async () => {
    const { db } = database;
    await insertProdRows(db, 3);
    await db.query(
      `INSERT INTO routing_outcomes_synthetic (agent_id, cell, model, features, propensity, completed, hallucinated, refused, reward, source, seed, seq, affinity_version, difficulty)
       SELECT 'a', 'c' || i % 2, 'm' || i % 3, ARRAY[1, i, i * i, 0.5]::float8[], 0.25, true, false, false, i, 'synthetic_coldstart_v1', 7, i, 'v1', 0.5
       FROM generate_series(1, 9) AS i`,
    );
    const reader = readCorpus(db, { table: "routing_outcomes_synthetic", dimension: D, chunkSize: 4 });
    const rewards: number[] = [];
    for await (const chunk of reader) rewards.push(...chunk.rewards);
    expect(rewards).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(reader.totals.accepted).toBe(9);
  });

  it("yields nothing from an empty corpus", async () => {
    const { chunks, reader } = await readAll(database.db);
    expect(chunks).toEqual([]);
    expect(reader.totals).toMatchObject({ scanned: 0, accepted: 0, lastId: 0, highWaterId: 0 });
  });

  it("rejects bad options with the argument's name and the value received, before reading", () => {
    const { db } = database;
    const read = (options: Partial<CorpusReadOptions>) => () =>
      readCorpus(db, { table: "routing_outcomes", dimension: D, ...options } as CorpusReadOptions);
    expect(read({ table: "routing_outcomes; DROP TABLE x" as never })).toThrow(
      /table must be 'routing_outcomes' or 'routing_outcomes_synthetic'; received "routing_outcomes; DROP/,
    );
    expect(read({ dimension: 0 })).toThrow(RangeError);
    expect(read({ dimension: 2.5 })).toThrow(/dimension must be an integer from 1 to 65536; received 2.5/);
    expect(read({ chunkSize: 0 })).toThrow(/chunkSize must be an integer from 1 to 1000000; received 0/);
    expect(read({ afterId: -1 })).toThrow(/afterId must be a non-negative integer; received -1/);
    expect(read({ createdFrom: new Date(Number.NaN) })).toThrow(
      /createdFrom must be a valid Date; received Invalid Date/,
    );
    expect(read({ createdBefore: "2024-01-01" as never })).toThrow(TypeError);
    expect(read({ createdFrom: new Date(2), createdBefore: new Date(1) })).toThrow(
      /createdFrom must not be after createdBefore/,
    );
  });

  it("can be iterated only once", async () => {
    const reader = readCorpus(database.db, { table: "routing_outcomes", dimension: D });
    for await (const _ of reader) void _;
    await expect(async () => {
      for await (const _ of reader) void _;
    }).rejects.toThrow(/can be iterated only once/);
  });

  it("releases an abandoned read's connection when the database is closed, instead of hanging", async () => {
    const own = await backend.fresh();
    try {
      await migrateUp(own.db);
      await insertProdRows(own.db, 30);
      const iterator = readCorpus(own.db, { table: "routing_outcomes", dimension: D, chunkSize: 10 })[
        Symbol.asyncIterator
      ]();
      await iterator.next(); // and never finished nor returned
      await own.db.close(); // must not wait for the reader
      // A page already read ahead may still be handed out; the read then fails as closed.
      let error: unknown;
      for (let i = 0; i < 5 && error === undefined; i++) {
        const next = await iterator.next().catch((e: unknown) => {
          error = e;
          return undefined;
        });
        expect(next?.done).not.toBe(true);
      }
      expect(error).toMatchObject({ code: "CLOSED" });
    } finally {
      await own.dispose();
    }
  });

  if (backend.name === "postgres") {
    it("surfaces a connection broken mid-read as a StoreError naming the resume point, and the database stays usable", async () => {
      const { db, fresh } = database;
      await insertProdRows(db, 60);
      const iterator = readCorpus(db, { table: "routing_outcomes", dimension: D, chunkSize: 10 })[
        Symbol.asyncIterator
      ]();
      const first = await iterator.next();
      expect(first.done).toBe(false);
      const received: number[] = [...(first.value as CorpusChunk).ids];

      const killer = await secondSession(fresh.options);
      try {
        const killed = await killer.query(
          "SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        );
        expect(killed.rows.length).toBeGreaterThan(0);
      } finally {
        await killer.end();
      }
      // The page read ahead may have arrived before the kill; the one after it cannot.
      let error: unknown;
      for (;;) {
        const next = await iterator.next().catch((e: unknown) => {
          error = e;
          return undefined;
        });
        if (next === undefined || next.done === true) break;
        received.push(...next.value.ids);
      }
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: "CONNECTION" });
      const resumeAfter = received.at(-1) as number;
      expect(resumeAfter).toBeLessThan(60);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^corpus read of routing_outcomes failed after ${received.length} rows \\(resume with afterId ${resumeAfter}\\): lost the database connection`,
        ),
      );

      // Nothing was written, and the pool replaced the broken connection: resuming reads exactly the rest.
      // The kill also ended the pool's idle connections; one of them may be handed out before its
      // termination notice is processed (57P01), and the pool drops it: the next query gets a new one.
      const countRows = () => db.query<{ n: number }>("SELECT count(*)::int AS n FROM routing_outcomes");
      const count = await countRows().catch((e: unknown) => {
        if ((e as { cause?: { code?: string }; code?: string }).cause?.code === "57P01") return countRows();
        if ((e as { code?: string }).code === "57P01") return countRows();
        throw e;
      });
      expect(count.rows).toEqual([{ n: 60 }]);
      const resumed = await readAll(db, { afterId: resumeAfter });
      expect([...received, ...concatIds(resumed.chunks)]).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    });
  }
});
