/**
 * Runs one suite on both database back ends: embedded PGlite always, a real PostgreSQL when
 * DATABASE_URL is set. In CI (CI=true) a missing DATABASE_URL fails the PostgreSQL half; outside CI
 * that half is skipped, with a note (printed once per test run) on how to run it.
 *
 * Fresh databases are cheap on both sides:
 * - PGlite: initdb runs in WebAssembly (2.6–10 s, ~800 MB) — once per machine and PGlite version,
 *   into a template folder under the OS temp folder (created atomically: built aside, then renamed);
 *   each test database is a copy of that folder, which opens in ~0.4 s.
 * - PostgreSQL: `CREATE DATABASE linucb_test_…` per fresh database on the server of DATABASE_URL,
 *   dropped (WITH (FORCE)) afterwards.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { Db, DatabaseBackend } from "../../src/store/db.js";
import { openDatabase, type OpenDatabaseOptions } from "../../src/store/open-database.js";

/** A database made for one test file (or one test), and how to open it again. */
export interface FreshDatabase {
  readonly db: Db;
  /** What opens this same database (after `db.close()`, for the PGlite folder). */
  readonly options: OpenDatabaseOptions;
  /** Closes the handle and deletes the database. */
  dispose(): Promise<void>;
}

/** One back end a suite runs on. */
export interface BackendUnderTest {
  readonly name: DatabaseBackend;
  /** A new, empty database (no schema). */
  fresh(): Promise<FreshDatabase>;
}

// The template is per PGlite version: a folder made by another version may not open.
const pgliteVersion = (
  JSON.parse(
    readFileSync(new URL("../../node_modules/@electric-sql/pglite/package.json", import.meta.url), "utf8"),
  ) as { version: string }
).version;

/** The prepared, empty PGlite data folder every test database is copied from. */
async function pgliteTemplate(): Promise<string> {
  const template = join(tmpdir(), `linucb-test-pglite-template-${pgliteVersion}`);
  if (existsSync(join(template, "PG_VERSION"))) return template;
  const building = mkdtempSync(join(tmpdir(), "linucb-test-pglite-building-"));
  const instance = await PGlite.create(building);
  await instance.close();
  try {
    renameSync(building, template);
  } catch {
    // Another test process finished its template first: use that one.
    rmSync(building, { recursive: true, force: true });
  }
  return template;
}

const pgliteBackend: BackendUnderTest = {
  name: "pglite",
  async fresh() {
    const folder = mkdtempSync(join(tmpdir(), "linucb-test-db-"));
    const dataDir = join(folder, "db");
    cpSync(await pgliteTemplate(), dataDir, { recursive: true });
    const options = { dataDir, onWarning: () => undefined };
    const db = await openDatabase(options);
    return {
      db,
      options,
      async dispose() {
        await db.close();
        rmSync(folder, { recursive: true, force: true });
      },
    };
  },
};

function postgresBackend(url: string): BackendUnderTest {
  return {
    name: "postgres",
    async fresh() {
      const name = `linucb_test_${process.pid}_${randomBytes(4).toString("hex")}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      const databaseUrl = new URL(url);
      databaseUrl.pathname = `/${name}`;
      const options = { databaseUrl: databaseUrl.toString(), onWarning: () => undefined };
      const db = await openDatabase(options);
      return {
        db,
        options,
        async dispose() {
          await db.close();
          const cleaner = new pg.Client({ connectionString: url });
          await cleaner.connect();
          try {
            await cleaner.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          } finally {
            await cleaner.end();
          }
        },
      };
    },
  };
}

/** Prints, once per test run (not once per test file), how to include the real-server half. */
function hintOnce(): void {
  const marker = join(tmpdir(), `linucb-store-test-hint-${process.ppid}`);
  if (existsSync(marker)) return;
  writeFileSync(marker, "");
  console.warn(
    "\n[store tests] DATABASE_URL is not set: the PostgreSQL half of the store suite was SKIPPED (not passed).\n" +
      "  Run it against a server, e.g.: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm test\n" +
      "  (.ci/run starts a throwaway PostgreSQL and does exactly that.)\n",
  );
}

/**
 * Declares `body` once per back end, inside `describe("<title> [<backend>]")`. The PostgreSQL half
 * fails in CI without DATABASE_URL, and is skipped with a printed note elsewhere.
 */
export function describeOnBackends(title: string, body: (backend: BackendUnderTest) => void): void {
  describe(`${title} [pglite]`, () => body(pgliteBackend));
  const url = process.env.DATABASE_URL;
  if (url !== undefined && url !== "") {
    describe(`${title} [postgres]`, () => body(postgresBackend(url)));
  } else if (process.env.CI === "true" || process.env.CI === "1") {
    describe(`${title} [postgres]`, () => {
      it("runs against a real PostgreSQL", () => {
        throw new Error(
          "CI is set but DATABASE_URL is not: the PostgreSQL half of the store suite must run in CI (.ci/run starts a server and exports DATABASE_URL)",
        );
      });
    });
  } else {
    hintOnce();
    describe.skip(`${title} [postgres] (needs DATABASE_URL)`, () => body(postgresBackend("postgres://unused")));
  }
}

/** One fresh database shared by the tests of the enclosing describe: created before, disposed after. */
export function useFreshDatabase(backend: BackendUnderTest): { readonly db: Db; readonly fresh: FreshDatabase } {
  let fresh: FreshDatabase | undefined;
  beforeAll(async () => {
    fresh = await backend.fresh();
  });
  afterAll(async () => {
    await fresh?.dispose();
  });
  return {
    get db(): Db {
      if (fresh === undefined) throw new Error("the fresh database is only available inside tests");
      return fresh.db;
    },
    get fresh(): FreshDatabase {
      if (fresh === undefined) throw new Error("the fresh database is only available inside tests");
      return fresh;
    },
  };
}

/** A plain `pg` client on the database behind `options` (PostgreSQL only): a second session. */
export async function secondSession(options: OpenDatabaseOptions): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  return client;
}
