/**
 * The one small interface the rest of the store (and the cadence) talks to, implemented twice:
 * over a real PostgreSQL through `pg` (./postgres-db.ts) and over embedded PGlite
 * (./pglite-db.ts). Both return the same JavaScript values for the same query (./type-parsers.ts),
 * report failures as {@link StoreError}s, and refuse the outer handle inside a transaction.
 *
 * Chunked reading is built from two primitives rather than a cursor: {@link Queryable.copyOutBinary}
 * fetches one bounded query (a keyset page) as binary COPY bytes — the fastest read path on both
 * back ends, decoded straight into typed arrays (./binary-copy.ts) — and {@link Db.reserve} pins one
 * connection for the length of a read. A server-side cursor would need an open transaction across
 * the consumer's `await`s, which on PGlite blocks every other query of the process (and deadlocks if
 * the consumer writes in between), so keyset pages it is; see ./corpus-reader.ts.
 */

/** Which implementation is behind a {@link Db}. */
export type DatabaseBackend = "postgres" | "pglite";

/** Rows of a statement, parsed with the shared parsers. */
export interface QueryResult<Row> {
  readonly rows: Row[];
  /** Rows returned or affected (0 for statements that report none). */
  readonly rowCount: number;
}

/** What can run statements: a database, a transaction, a reserved connection. */
export interface Queryable {
  /**
   * Runs one statement with `$1…$n` parameters. Parameters: numbers, strings, booleans, null, Date,
   * Uint8Array (bytea) and plain arrays of those (Postgres arrays; cast them, e.g. `$1::float8[]`).
   * Other typed arrays are sent as plain arrays of numbers. Send JSON as a string cast
   * `$1::text::jsonb` (a JS array would be taken for a Postgres array).
   */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** Runs one or more statements without parameters (migrations, DDL). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `COPY (select) TO STDOUT (FORMAT binary)` and returns the whole output: use it on bounded
   * queries (one page of a keyset read), decoded with ./binary-copy.ts. `select` cannot take
   * parameters (COPY does not), so it must contain only validated literals.
   */
  copyOutBinary(select: string): Promise<Buffer>;
  /**
   * Runs `COPY target FROM STDIN (FORMAT binary)` with `rows` (rows only, as ./binary-copy-writer.ts
   * writes them; header and trailer are added) and resolves with the number of rows stored. One
   * statement: all rows or none. `target` is `table (column, …)` and cannot take parameters. Only on
   * PostgreSQL (absent on PGlite, whose callers write with INSERTs): the fastest write path there.
   */
  copyInBinary?(target: string, rows: Buffer): Promise<number>;
}

/** A connection kept for a sequence of statements (a chunked read); give it back with `release`. */
export interface ReservedConnection extends Queryable {
  /** Returns the connection (a broken one is discarded, not reused). Idempotent. */
  release(): void;
}

/** An open database, on either back end. */
export interface Db extends Queryable {
  /** Which implementation is behind this handle. */
  readonly backend: DatabaseBackend;
  /** Where it is, for messages: the URL without its password, or the PGlite data folder. */
  readonly location: string;
  /** Whether {@link Db.close} has been called. */
  readonly closed: boolean;
  /**
   * Runs `fn` in one transaction: committed if `fn` resolves, rolled back if it throws (the error is
   * re-thrown), so nothing is half-applied. Use only `tx` inside `fn`: the outer handle throws a
   * StoreError `MISUSE` there (on PGlite it would wait for the transaction forever).
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Pins one connection (on PGlite, the one instance) until `release()`. */
  reserve(): Promise<ReservedConnection>;
  /** Closes the pool or the instance and releases the data-folder lock. Idempotent. */
  close(): Promise<void>;
}

/** Short rendering of a statement for error messages: first line, at most 80 characters. */
export function describeStatement(sql: string): string {
  const flat = sql.trim().replace(/\s+/g, " ");
  return JSON.stringify(flat.length > 80 ? `${flat.slice(0, 77)}...` : flat);
}

/**
 * Parameters as both drivers understand them alike: typed arrays other than Uint8Array become
 * plain arrays (PGlite would send a Float64Array as binary, `pg` as bytea).
 */
export function normaliseParams(params: readonly unknown[] | undefined): unknown[] {
  if (params === undefined) return [];
  return params.map((value) =>
    ArrayBuffer.isView(value) && !(value instanceof Uint8Array) && !(value instanceof DataView)
      ? Array.from(value as unknown as ArrayLike<number>)
      : value,
  );
}

/**
 * Runs `fn` atomically: in a new transaction when given a {@link Db}, directly when given a
 * transaction's `tx` (the caller's transaction already makes it atomic). Lets a helper be called
 * alone or composed into a larger transaction.
 */
export function atomically<T>(target: Queryable | Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return "transaction" in target ? target.transaction(fn) : fn(target);
}
