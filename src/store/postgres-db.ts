/**
 * The {@link Db} over a real PostgreSQL, through a `pg` connection pool. Production and CI use it;
 * it is chosen when a database URL is given (see ./open-database.ts).
 */
import pg from "pg";
import type { PoolClient } from "pg";
import type { Db, Queryable, QueryResult, ReservedConnection } from "./db.js";
import { describeStatement, normaliseParams } from "./db.js";
import { StoreError, isConnectionError, wrapDriverError } from "./errors.js";
import { CopyInQuery } from "./pg-copy-in.js";
import { CopyOutQuery } from "./pg-copy-out.js";
import { parseDatabaseUrl, redactUrl } from "./redact-url.js";
import { assertOutsideTransaction, runInsideTransaction } from "./transaction-guard.js";
import { sharedTypeParsers } from "./type-parsers.js";

/** Options of {@link openPostgresDb}. */
export interface PostgresDbOptions {
  /** `postgres://user:password@host:port/database`. */
  readonly url: string;
  /** Where pool warnings go (an idle connection dropped by the server, …). */
  readonly onWarning: (message: string) => void;
  /** Largest number of connections the pool opens. @default 4 */
  readonly poolSize?: number;
}

/** Per-pool parsers: the shared ones for text values, `pg`'s own for everything else. */
const types = {
  getTypeParser: ((oid: number, format?: string) => {
    const shared = format === "binary" ? undefined : sharedTypeParsers[oid];
    return shared ?? pg.types.getTypeParser(oid, format as "text");
  }) as typeof pg.types.getTypeParser,
};

/**
 * Opens a pool on `url` and checks that the server answers, so a wrong URL fails here with a clear
 * message instead of at the first query.
 */
export async function openPostgresDb(options: PostgresDbOptions): Promise<Db> {
  const location = redactUrl(options.url);
  parseDatabaseUrl(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 4,
    types,
    application_name: "linucb",
    connectionTimeoutMillis: 15_000,
  });
  let db: PostgresDb | undefined;
  // Without a listener, an idle connection that the server drops would crash the process. After
  // close() it is noise: pool.end() resolves before its clients' sockets are closed.
  pool.on("error", (error) => {
    if (db?.closed !== true)
      options.onWarning(`an idle connection to ${location} failed and was discarded: ${error.message}`);
  });
  try {
    await pool.query("SELECT 1");
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new StoreError("CONNECTION", `cannot connect to PostgreSQL at ${location}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  db = new PostgresDb(pool, location);
  return db;
}

/** Runs statements on one client, wrapping driver errors; shared by transactions and reservations. */
class ClientQueryable implements Queryable {
  /** The error that broke this client, if any: it must then be discarded, not reused. */
  broken: Error | undefined;
  private readonly onClientError = (error: Error): void => {
    // A checked-out client with no 'error' listener would crash the process when the server ends
    // its connection between statements; record the failure and report it at the next use.
    this.broken ??= error;
  };

  private released = false;

  constructor(
    readonly client: PoolClient,
    private readonly onRelease: (self: ClientQueryable) => void,
  ) {
    client.on("error", this.onClientError);
  }

  async query<Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    this.assertUsable(sql);
    try {
      const result = await this.client.query(sql, normaliseParams(params));
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    } catch (error) {
      throw this.fail(error, `running ${describeStatement(sql)}`);
    }
  }

  async exec(sql: string): Promise<void> {
    this.assertUsable(sql);
    try {
      // Without parameters node-postgres uses the simple protocol, which runs several statements.
      await this.client.query(sql);
    } catch (error) {
      throw this.fail(error, `running ${describeStatement(sql)}`);
    }
  }

  async copyOutBinary(select: string): Promise<Buffer> {
    const statement = `COPY (${select}) TO STDOUT (FORMAT binary)`;
    this.assertUsable(statement);
    try {
      return await this.client.query(new CopyOutQuery(statement)).result;
    } catch (error) {
      throw this.fail(error, `running ${describeStatement(statement)}`);
    }
  }

  async copyInBinary(target: string, rows: Buffer): Promise<number> {
    const statement = `COPY ${target} FROM STDIN (FORMAT binary)`;
    this.assertUsable(statement);
    try {
      return await this.client.query(new CopyInQuery(target, rows)).result;
    } catch (error) {
      throw this.fail(error, `running ${describeStatement(statement)}`);
    }
  }

  /** Gives the client back to the pool; a broken one is destroyed. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.onRelease(this);
    this.client.removeListener("error", this.onClientError);
    this.client.release(this.broken ?? false);
  }

  /** Destroys the client (the database is closing under it); later use fails with `reason`. */
  abandon(reason: Error): void {
    this.broken ??= reason;
    this.release();
  }

  private assertUsable(sql: string): void {
    if (this.broken !== undefined) throw wrapDriverError(this.broken, `running ${describeStatement(sql)}`);
  }

  private fail(error: unknown, doing: string): StoreError {
    // Abandoned by close(): say that, not the socket error the destroyed client reported.
    if (this.broken instanceof StoreError)
      return new StoreError(this.broken.code, `failed while ${doing}: ${this.broken.message}`, { cause: error });
    if (isConnectionError(error)) this.broken ??= error as Error;
    return wrapDriverError(error, doing);
  }
}

class PostgresDb implements Db {
  readonly backend = "postgres" as const;
  private isClosed = false;
  /** Clients out of the pool (transactions, reservations), so close() can reclaim them. */
  private readonly checkedOut = new Set<ClientQueryable>();

  constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  async query<Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    this.assertOpen("query");
    try {
      const result = await this.pool.query(sql, normaliseParams(params));
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    } catch (error) {
      throw wrapDriverError(error, `running ${describeStatement(sql)}`);
    }
  }

  async exec(sql: string): Promise<void> {
    this.assertOpen("exec");
    try {
      await this.pool.query(sql);
    } catch (error) {
      throw wrapDriverError(error, `running ${describeStatement(sql)}`);
    }
  }

  async copyOutBinary(select: string): Promise<Buffer> {
    this.assertOpen("copyOutBinary");
    const connection = await this.reserve();
    try {
      return await connection.copyOutBinary(select);
    } finally {
      connection.release();
    }
  }

  async copyInBinary(target: string, rows: Buffer): Promise<number> {
    this.assertOpen("copyInBinary");
    const connection = await this.checkOut();
    try {
      return await connection.copyInBinary(target, rows);
    } finally {
      connection.release();
    }
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.assertOpen("transaction");
    const tx = await this.checkOut();
    try {
      await tx.exec("BEGIN");
      const result = await runInsideTransaction(this, () => fn(tx));
      await tx.exec("COMMIT");
      return result;
    } catch (error) {
      if (tx.broken === undefined) {
        // The server rolls back by itself if the connection is gone; otherwise we do.
        await tx.exec("ROLLBACK").catch(() => undefined);
      }
      throw error;
    } finally {
      tx.release();
    }
  }

  async reserve(): Promise<ReservedConnection> {
    this.assertOpen("reserve");
    const connection = await this.checkOut();
    let released = false;
    return {
      query: (sql, params) => connection.query(sql, params),
      exec: (sql) => connection.exec(sql),
      copyOutBinary: (select) => connection.copyOutBinary(select),
      copyInBinary: (target, rows) => connection.copyInBinary(target, rows),
      release: () => {
        if (released) return;
        released = true;
        connection.release();
      },
    };
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    // pool.end() waits for every checked-out client; one the caller never released (an abandoned
    // reader, say) would make close() hang forever, so those are destroyed first.
    const closing = new StoreError("CLOSED", `the database handle was closed (${this.location})`);
    for (const connection of [...this.checkedOut]) connection.abandon(closing);
    await this.pool.end();
  }

  private async checkOut(): Promise<ClientQueryable> {
    try {
      const connection = new ClientQueryable(await this.pool.connect(), (self) => this.checkedOut.delete(self));
      this.checkedOut.add(connection);
      return connection;
    } catch (error) {
      throw new StoreError(
        "CONNECTION",
        `cannot connect to PostgreSQL at ${this.location}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  private assertOpen(method: string): void {
    if (this.isClosed) throw new StoreError("CLOSED", `db.${method}() was called after db.close() (${this.location})`);
    assertOutsideTransaction(this, method);
  }
}
