/**
 * Errors of the outcome store. Argument errors (a value of the wrong type, or out of its range) are
 * the built-in `TypeError` / `RangeError`; everything about the database, its folder, its schema or
 * its content is a {@link StoreError} with a stable `code` and, where a driver error caused it, that
 * error as `cause`.
 */

export { describeValue } from "../shared/describe-value.js";

/** Every code a {@link StoreError} can carry. */
export type StoreErrorCode =
  /** The PGlite data folder is held by another opener (another process, or this one). */
  | "LOCKED"
  /** The database cannot be reached, or the connection broke during an operation. */
  | "CONNECTION"
  /** A statement failed on the server (constraint, syntax, missing table, …). */
  | "QUERY"
  /** The schema is not in the state an operation needs (missing or unknown migrations). */
  | "SCHEMA"
  /** A schema change (a migration's down) that would drop stored data, refused without force. */
  | "DATA_LOSS"
  /** Stored bytes whose checksum does not match (a corrupted or tampered policy snapshot). */
  | "CHECKSUM"
  /** Policy snapshot bytes that the caller's validator refuses (not a snapshot, or an invalid one). */
  | "INVALID_SNAPSHOT"
  /** A row or a referenced record that does not exist or is in the wrong state. */
  | "NOT_FOUND"
  /** Data the server sent that this library cannot represent exactly (e.g. an int8 above 2^53). */
  | "UNREPRESENTABLE"
  /** The database handle was already closed. */
  | "CLOSED"
  /** The API was used in a way that cannot work (the outer handle inside its own transaction). */
  | "MISUSE";

/** A failure of the store; `code` says which kind, `cause` carries the driver's error if any. */
export class StoreError extends Error {
  /** Stable, machine-readable reason. */
  readonly code: StoreErrorCode;
  /** The server's SQLSTATE when a statement failed (e.g. `'23514'` for a CHECK violation). */
  readonly sqlstate: string | undefined;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown; sqlstate?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StoreError";
    this.code = code;
    this.sqlstate = options?.sqlstate;
  }
}

/**
 * Postgres SQLSTATE classes that mean the connection (not the statement) failed: 08 connection
 * exception, 57P01–57P03 admin shutdown / crash shutdown / cannot connect now.
 */
const CONNECTION_SQLSTATES = /^(08|57P0[1-3])/;

/** Node socket error codes that mean the server is unreachable or went away. */
const CONNECTION_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/** Whether a driver error means the connection is gone (as opposed to a failed statement). */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (CONNECTION_SQLSTATES.test(code) || CONNECTION_ERRNOS.has(code))) return true;
  // node-postgres reports a socket closed under it with these messages and no code.
  return /Connection terminated|connection error and is not queryable|Client was closed/i.test(error.message);
}

/**
 * Wraps a driver error as a {@link StoreError} that says what we were doing (`doing`), keeping the
 * driver's message (and SQLSTATE) in ours and the error itself as `cause`. StoreErrors pass through.
 */
export function wrapDriverError(error: unknown, doing: string): StoreError {
  if (error instanceof StoreError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const sqlstate = typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const kind: StoreErrorCode = isConnectionError(error) ? "CONNECTION" : "QUERY";
  const prefix = kind === "CONNECTION" ? "lost the database connection while " : "failed while ";
  const suffix = sqlstate === undefined ? "" : ` (SQLSTATE ${sqlstate})`;
  return new StoreError(kind, `${prefix}${doing}: ${message}${suffix}`, { cause: error, sqlstate });
}
