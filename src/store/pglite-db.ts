/**
 * The {@link Db} over embedded PGlite (Postgres compiled to WebAssembly) in a data folder: the
 * default when no database URL is given, so a new user needs no server. One instance per folder and
 * process, guarded by a lockfile (./data-dir-lock.ts). Its queries run on the main thread and block
 * the event loop while they run; corpora of production size belong on a real PostgreSQL.
 */
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { Transaction } from "@electric-sql/pglite";
import { acquireDataDirLock } from "./data-dir-lock.js";
import type { Db, Queryable, QueryResult, ReservedConnection } from "./db.js";
import { describeStatement, normaliseParams } from "./db.js";
import { StoreError, wrapDriverError } from "./errors.js";
import { assertOutsideTransaction, runInsideTransaction } from "./transaction-guard.js";
import { sharedTypeParsers } from "./type-parsers.js";

/** Options of {@link openPgliteDb}. */
export interface PgliteDbOptions {
  /** The data folder; created (with its parents) if missing. */
  readonly dataDir: string;
  /** Where the lock takeover message goes. */
  readonly onWarning: (message: string) => void;
}

/** Locks `dataDir`, then opens (or creates: initdb, several seconds) the database in it. */
export async function openPgliteDb(options: PgliteDbOptions): Promise<Db> {
  const dataDir = resolve(options.dataDir);
  try {
    mkdirSync(dirname(dataDir), { recursive: true });
  } catch (error) {
    const message = `cannot create the folder of the embedded database ${dataDir}: ${(error as Error).message}`;
    throw new StoreError("CONNECTION", message, { cause: error });
  }
  const lock = acquireDataDirLock(dataDir, options.onWarning);
  let existed = false;
  try {
    existed = existsSync(dataDir) && readdirSync(dataDir).length > 0;
    mkdirSync(dataDir, { recursive: true });
    // PGlite would run initdb over a non-empty folder without PG_VERSION (files of a damaged
    // database, or of something else entirely): refuse instead.
    if (existed && !existsSync(join(dataDir, "PG_VERSION"))) throw new Error("it has files but no PG_VERSION");
    const instance = await PGlite.create(dataDir, {
      parsers: sharedTypeParsers as Record<number, (text: string) => unknown>,
    });
    return new PgliteDb(instance, dataDir, () => lock.release());
  } catch (error) {
    lock.release();
    if (existed) throw damagedFolderError(dataDir, error);
    throw new StoreError("CONNECTION", `cannot open the PGlite database in ${dataDir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * The error for a data folder that holds a database PGlite cannot start: one line naming the folder
 * and the remedy. PGlite's own message is often only "Aborted(). Build with -sASSERTIONS for more
 * info." (its WebAssembly stopped): that tells the user nothing, so it is left out.
 */
function damagedFolderError(dataDir: string, error: unknown): StoreError {
  const raw = error instanceof Error ? error.message : String(error);
  const detail = /Aborted\(|-sASSERTIONS/.test(raw) ? "" : ` (${raw.split("\n")[0]})`;
  return new StoreError(
    "CONNECTION",
    `the embedded database in ${dataDir} cannot be opened: it is damaged, or was written by another version of ` +
      `PGlite${detail}; restore the folder from a backup, or move it aside (mv ${dataDir} ${dataDir}.damaged) and ` +
      `the next run creates a new, empty one`,
    { cause: error },
  );
}

/** What PGlite's instance and its transactions have in common. */
type PgliteTarget = Pick<Transaction, "query" | "exec">;

async function runQuery<Row>(
  target: PgliteTarget,
  sql: string,
  params?: readonly unknown[],
): Promise<QueryResult<Row>> {
  try {
    const result = await target.query<Row>(sql, normaliseParams(params));
    return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
  } catch (error) {
    throw wrapDriverError(error, `running ${describeStatement(sql)}`);
  }
}

async function runExec(target: PgliteTarget, sql: string): Promise<void> {
  try {
    await target.exec(sql);
  } catch (error) {
    throw wrapDriverError(error, `running ${describeStatement(sql)}`);
  }
}

async function runCopyOut(target: PgliteTarget, select: string): Promise<Buffer> {
  // PGlite has no STDOUT: COPY writes to its virtual '/dev/blob', returned with the result.
  const statement = `COPY (${select}) TO '/dev/blob' (FORMAT binary)`;
  try {
    const result = await target.query(statement);
    if (result.blob === undefined) return Buffer.alloc(0);
    return Buffer.from(await result.blob.arrayBuffer());
  } catch (error) {
    throw wrapDriverError(error, `running ${describeStatement(statement)}`);
  }
}

function queryableOf(target: PgliteTarget): Queryable {
  return {
    query: (sql, params) => runQuery(target, sql, params),
    exec: (sql) => runExec(target, sql),
    copyOutBinary: (select) => runCopyOut(target, select),
  };
}

class PgliteDb implements Db {
  readonly backend = "pglite" as const;
  private isClosed = false;

  constructor(
    private readonly instance: PGlite,
    readonly location: string,
    private readonly releaseLock: () => void,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  async query<Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    this.assertOpen("query");
    return runQuery<Row>(this.instance, sql, params);
  }

  async exec(sql: string): Promise<void> {
    this.assertOpen("exec");
    return runExec(this.instance, sql);
  }

  async copyOutBinary(select: string): Promise<Buffer> {
    this.assertOpen("copyOutBinary");
    return runCopyOut(this.instance, select);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.assertOpen("transaction");
    let fromCallback: unknown;
    try {
      // PGlite rolls back and re-throws when the callback throws.
      return await this.instance.transaction((tx) =>
        runInsideTransaction(this, () => fn(queryableOf(tx))).catch((error: unknown) => {
          fromCallback = error;
          throw error;
        }),
      );
    } catch (error) {
      // The caller's own error passes through unchanged; BEGIN/COMMIT failures are wrapped.
      throw error === fromCallback || error instanceof StoreError
        ? error
        : wrapDriverError(error, "running a transaction");
    }
  }

  async reserve(): Promise<ReservedConnection> {
    this.assertOpen("reserve");
    // One instance is one session: reserving it pins nothing, it only gives the same interface
    // (and, like the handle, refuses work once the database is closed).
    const target = queryableOf(this.instance);
    const open = (method: string): void => {
      if (this.isClosed)
        throw new StoreError(
          "CLOSED",
          `a reserved connection's ${method}() was called after db.close() (${this.location})`,
        );
    };
    return {
      query: async (sql, params) => (open("query"), target.query(sql, params)),
      exec: async (sql) => (open("exec"), target.exec(sql)),
      copyOutBinary: async (select) => (open("copyOutBinary"), target.copyOutBinary(select)),
      release: () => undefined,
    };
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    try {
      await this.instance.close();
    } finally {
      this.releaseLock();
    }
  }

  private assertOpen(method: string): void {
    if (this.isClosed) throw new StoreError("CLOSED", `db.${method}() was called after db.close() (${this.location})`);
    assertOutsideTransaction(this, method);
  }
}
