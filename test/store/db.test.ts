import { describe, expect, it } from "vitest";
import { StoreError } from "../../src/store/errors.js";
import { loadDriver, openDatabase } from "../../src/store/open-database.js";
import { parseBytea, parseInt8, parseScalarArray } from "../../src/store/type-parsers.js";
import { BinaryCopyWriter } from "../../src/store/binary-copy-writer.js";
import { describeOnBackends, useFreshDatabase } from "./backends.js";

describe("shared type parsers", () => {
  it("parse int8 exactly within ±(2^53 − 1) and refuse beyond", () => {
    expect(parseInt8("9007199254740991")).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseInt8("-42")).toBe(-42);
    expect(() => parseInt8("9007199254740992")).toThrow(/int8 9007199254740992, beyond the exact range/);
  });

  it("parse numeric arrays of any depth, with NULLs and explicit bounds", () => {
    expect(parseScalarArray("{1,NULL,-3}", Number)).toEqual([1, null, -3]);
    expect(parseScalarArray("{{1,2},{3,4}}", Number)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(parseScalarArray("{}", Number)).toEqual([]);
    expect(parseScalarArray("[0:1]={5,6}", Number)).toEqual([5, 6]);
  });

  it("parse hex bytea into a plain Uint8Array", () => {
    const bytes = parseBytea("\\x00ff10");
    expect(bytes).toEqual(new Uint8Array([0, 255, 16]));
    expect(Buffer.isBuffer(bytes)).toBe(false);
  });
});

describe("database drivers (optional peer dependencies)", () => {
  it("a missing driver is a clear error naming the package to install", async () => {
    const missing = loadDriver(
      () => import("linucb-no-such-driver" as string),
      "linucb-no-such-driver",
      "the embedded database",
    );
    await expect(missing).rejects.toMatchObject({
      code: "CONNECTION",
      message:
        "the embedded database needs the package linucb-no-such-driver, an optional peer dependency of linucb: npm install linucb-no-such-driver",
    });
    // Any other failure of the module is not disguised as a missing package.
    await expect(loadDriver(() => Promise.reject(new Error("boom")), "pg", "PostgreSQL")).rejects.toThrow(/^boom$/);
  });
});

describe("openDatabase arguments", () => {
  it("refuses both a URL and a folder, and empty values, naming them", async () => {
    await expect(openDatabase({ databaseUrl: "postgres://x/y", dataDir: "./d" })).rejects.toThrow(
      /give databaseUrl or dataDir, not both/,
    );
    await expect(openDatabase({ databaseUrl: "" })).rejects.toThrow(
      /databaseUrl must be a non-empty string; received ""/,
    );
    await expect(openDatabase({ dataDir: 3 as never })).rejects.toThrow(TypeError);
  });

  it("fails to connect with a clear message that hides the password", async () => {
    const error = await openDatabase({ databaseUrl: "postgres://someone:secret@127.0.0.1:1/nowhere" }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: "CONNECTION" });
    expect((error as Error).message).toMatch(
      /^cannot connect to PostgreSQL at postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nowhere: /,
    );
    expect((error as Error).message).not.toContain("secret");
  });
});

describeOnBackends("Db", (backend) => {
  const database = useFreshDatabase(backend);

  it("returns the same JavaScript values on both back ends", async () => {
    const { rows } = await database.db.query(
      `SELECT 9007199254740991::int8 AS big, 7::int8 AS small, '{1,NULL,3}'::int8[] AS bigs, 1.25::numeric AS num, '{0.5,2}'::numeric[] AS nums,
              '\\x01ff'::bytea AS bytes, '{"a":[1,2]}'::jsonb AS doc, '[1,"x"]'::json AS list, 2.5::float8 AS f, '{1.5,-0.25}'::float8[] AS fs,
              42::int4 AS i, true AS yes, 'text' AS t, '{a,"b c",NULL}'::text[] AS ts, timestamptz '2024-05-06 07:08:09.123+00' AS at,
              NULL::int8 AS nothing`,
    );
    expect(rows).toEqual([
      {
        big: 9007199254740991,
        small: 7,
        bigs: [1, null, 3],
        num: 1.25,
        nums: [0.5, 2],
        bytes: new Uint8Array([1, 255]),
        doc: { a: [1, 2] },
        list: [1, "x"],
        f: 2.5,
        fs: [1.5, -0.25],
        i: 42,
        yes: true,
        t: "text",
        ts: ["a", "b c", null],
        at: new Date("2024-05-06T07:08:09.123Z"),
        nothing: null,
      },
    ]);
    expect(Buffer.isBuffer(rows[0]?.bytes)).toBe(false);
  });

  it("refuses an int8 beyond 2^53 instead of rounding it", async () => {
    await expect(database.db.query("SELECT 9007199254740993::int8 AS big")).rejects.toMatchObject({
      code: "UNREPRESENTABLE",
    });
  });

  it("sends parameters alike: typed arrays as arrays, Uint8Array as bytea, JSON as text cast to jsonb", async () => {
    const { rows } = await database.db.query<{ fs: number[]; b: Uint8Array; j: unknown; d: Date }>(
      "SELECT $1::float8[] AS fs, $2::bytea AS b, $3::text::jsonb AS j, $4::timestamptz AS d",
      [
        Float64Array.from([0.1, -2, 1e300]),
        new Uint8Array([9, 8, 7]),
        JSON.stringify([1, { x: 2 }]),
        new Date("2024-01-02T03:04:05.006Z"),
      ],
    );
    expect(rows).toEqual([
      { fs: [0.1, -2, 1e300], b: new Uint8Array([9, 8, 7]), j: [1, { x: 2 }], d: new Date("2024-01-02T03:04:05.006Z") },
    ]);
  });

  it("reports a failed statement as a StoreError with the SQLSTATE and the driver error as cause", async () => {
    const error = await database.db.query("SELECT * FROM no_such_table").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: "QUERY", sqlstate: "42P01" });
    expect((error as Error).message).toMatch(
      /failed while running "SELECT \* FROM no_such_table": relation "no_such_table" does not exist/,
    );
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it("commits a transaction that resolves and rolls back one that throws, re-throwing the error", async () => {
    const { db } = database;
    await db.exec("CREATE TABLE IF NOT EXISTS tx_probe (n int NOT NULL); TRUNCATE tx_probe");
    expect(
      await db.transaction(async (tx) => {
        await tx.query("INSERT INTO tx_probe VALUES (1), (2)");
        return "done";
      }),
    ).toBe("done");
    const failure = new Error("abort");
    await expect(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO tx_probe VALUES (3)");
        throw failure;
      }),
    ).rejects.toBe(failure);
    await expect(
      db.transaction(async (tx) => {
        await tx.query("INSERT INTO tx_probe VALUES (4)");
        await tx.query("INSERT INTO tx_probe VALUES (NULL)");
      }),
    ).rejects.toMatchObject({ code: "QUERY", sqlstate: "23502" });
    expect((await db.query("SELECT n FROM tx_probe ORDER BY n")).rows).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it("refuses the outer handle inside its own transaction instead of hanging", async () => {
    const { db } = database;
    await db.exec("CREATE TABLE IF NOT EXISTS tx_probe (n int NOT NULL); TRUNCATE tx_probe");
    const error = await db
      .transaction(async (tx) => {
        await tx.query("INSERT INTO tx_probe VALUES (5)");
        await db.query("SELECT 1");
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "MISUSE",
      message: expect.stringMatching(/db\.query\(\) was called inside db\.transaction\(\); use the `tx` argument/),
    });
    expect((await db.query("SELECT count(*)::int AS n FROM tx_probe")).rows).toEqual([{ n: 0 }]);
  });

  it("keeps refusing the outer handle in later and overlapping transactions, and allows it between them", async () => {
    const { db } = database;
    const misuse = { code: "MISUSE", message: expect.stringMatching(/db\.query\(\) was called inside/) };
    await db.transaction((tx) => tx.query("SELECT 1"));
    expect((await db.query("SELECT 1 AS n")).rows).toEqual([{ n: 1 }]);
    // The second starts while the first runs (on PGlite, once it has ended) and misuses the handle
    // after the first has ended: still inside a transaction.
    const first = db.transaction(async (tx) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await tx.query("SELECT 1");
    });
    const second = db
      .transaction(async () => {
        await first;
        await db.query("SELECT 1");
      })
      .catch((e: unknown) => e);
    expect(await second).toMatchObject(misuse);
    expect(await db.transaction(async () => db.query("SELECT 1")).catch((e: unknown) => e)).toMatchObject(misuse);
    expect((await db.query("SELECT 2 AS n")).rows).toEqual([{ n: 2 }]);
  });

  it("keeps one session for a reserved connection", async () => {
    const connection = await database.db.reserve();
    try {
      await connection.exec("CREATE TEMP TABLE session_probe (n int); INSERT INTO session_probe VALUES (11)");
      // A temporary table is visible only in the session that created it.
      expect((await connection.query("SELECT n FROM session_probe")).rows).toEqual([{ n: 11 }]);
      await connection.exec("DROP TABLE session_probe");
    } finally {
      connection.release();
      connection.release(); // idempotent
    }
  });

  it("copies a query out in binary COPY format, and reports a failing one", async () => {
    const bytes = await database.db.copyOutBinary("SELECT 1::int8");
    expect(bytes.subarray(0, 11).toString("latin1")).toBe("PGCOPY\n\xff\r\n\0");
    await expect(database.db.copyOutBinary("SELECT * FROM no_such_table")).rejects.toMatchObject({
      code: "QUERY",
      sqlstate: "42P01",
    });
  });

  if (backend.name === "postgres") {
    it("copies rows in by binary COPY, all or none; a failing COPY leaves its connection usable", async () => {
      const { db } = database;
      await db.exec("CREATE TABLE IF NOT EXISTS copy_probe (n int8 NOT NULL, s text); TRUNCATE copy_probe");
      const writer = new BinaryCopyWriter();
      for (const [n, s] of [
        [1, "one"],
        [2, null],
      ] as const) {
        writer.row(2);
        writer.int8(n);
        if (s === null) writer.null();
        else writer.text(s);
      }
      const rows = writer.take();
      expect(await db.copyInBinary!("copy_probe (n, s)", rows)).toBe(2);
      const connection = await db.reserve();
      try {
        // Fails before COPY mode (the data sent along is ignored), then inside it (a null in a NOT NULL column).
        await expect(connection.copyInBinary!("no_such_table (n)", rows)).rejects.toMatchObject({ sqlstate: "42P01" });
        writer.row(2);
        writer.null();
        writer.text("three");
        await expect(
          connection.copyInBinary!("copy_probe (n, s)", Buffer.concat([rows, writer.take()])),
        ).rejects.toMatchObject({
          code: "QUERY",
          sqlstate: "23502",
        });
        expect((await connection.query("SELECT n, s FROM copy_probe ORDER BY n")).rows).toEqual([
          { n: 1, s: "one" },
          { n: 2, s: null },
        ]);
      } finally {
        connection.release();
      }
    });
  }

  if (backend.name === "pglite") {
    it("refuses a second opener of the same folder with a clear message, and reopens it after close with the data kept", async () => {
      const { db, fresh } = database;
      await db.exec("CREATE TABLE IF NOT EXISTS persisted (n int); INSERT INTO persisted VALUES (7)");
      const error = await openDatabase(fresh.options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect(error).toMatchObject({ code: "LOCKED" });
      expect((error as Error).message).toContain(
        `the database folder ${fresh.options.dataDir} is already open in this process`,
      );

      await db.close();
      expect(db.closed).toBe(true);
      await expect(db.query("SELECT 1")).rejects.toMatchObject({ code: "CLOSED" });
      await db.close(); // idempotent

      const again = await openDatabase(fresh.options);
      try {
        expect((await again.query("SELECT n FROM persisted")).rows).toEqual([{ n: 7 }]);
      } finally {
        await again.close();
      }
    });
  } else {
    it("refuses use after close", async () => {
      const again = await openDatabase(database.fresh.options);
      await again.close();
      await expect(again.query("SELECT 1")).rejects.toMatchObject({
        code: "CLOSED",
        message: expect.stringMatching(/after db\.close\(\)/),
      });
    });
  }
});
