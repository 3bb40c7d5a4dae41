/**
 * Scratch databases for the store and scale benchmarks: made fresh for one run, dropped after it.
 * The name is fixed per process (`name`), and an old database of that name is dropped first, so a run
 * that died before its cleanup does not stop the next one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { Db } from "../src/store/db.js";
import { openDatabase } from "../src/store/open-database.js";

/** Creates the database `name` on the server at `databaseUrl`; `url` reaches it, `drop` removes it. */
export async function scratchPostgres(
  databaseUrl: string,
  name: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/**
 * An open scratch database: PGlite in a temporary folder when `databaseUrl` is undefined, else the
 * database `name` on that server. `cleanup` closes it and removes it.
 */
export async function scratchDb(
  databaseUrl: string | undefined,
  name: string,
): Promise<{ db: Db; cleanup: () => Promise<void> }> {
  if (databaseUrl === undefined) {
    const folder = mkdtempSync(join(tmpdir(), `${name}-`));
    const db = await openDatabase({ dataDir: join(folder, "db") });
    return {
      db,
      cleanup: async () => {
        await db.close();
        rmSync(folder, { recursive: true, force: true });
      },
    };
  }
  const scratch = await scratchPostgres(databaseUrl, name);
  const db = await openDatabase({ databaseUrl: scratch.url });
  return {
    db,
    cleanup: async () => {
      await db.close();
      await scratch.drop();
    },
  };
}
