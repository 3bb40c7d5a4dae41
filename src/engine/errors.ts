/**
 * Domain errors of the LinUCB engine. Argument errors (a value of the wrong type, or out of its
 * range) are thrown as the built-in `TypeError` / `RangeError`; everything that is about the state
 * of an engine, a snapshot or the machine is a {@link LinUCBError} with a stable `code`.
 */

export { describeValue } from "../shared/describe-value.js";

/** Every code a {@link LinUCBError} can carry. */
export type LinUCBErrorCode =
  /** An arm id that the engine was not created with. */
  | "UNKNOWN_ARM"
  /** A cell id that does not exist where it must (e.g. in merged statistics of another engine). */
  | "UNKNOWN_CELL"
  /** The requested build (relaxed SIMD, SIMD) is not supported by this WebAssembly engine. */
  | "BUILD_UNSUPPORTED"
  /** The models would not fit in one WebAssembly instance (4 GiB of linear memory). */
  | "CAPACITY_EXCEEDED"
  /** The operation needs exact sufficient statistics, and the engine was created without them. */
  | "STATISTICS_DISABLED"
  /** A matrix that must be positive definite is not, to working precision. */
  | "NOT_POSITIVE_DEFINITE"
  /** Finite inputs whose result would overflow f64 (a model would hold NaN or ±Infinity). */
  | "NON_FINITE"
  /** Statistics or a snapshot that belong to an engine of another shape (dimension, arms, …). */
  | "INCOMPATIBLE"
  /** A snapshot that is cut short. */
  | "SNAPSHOT_TRUNCATED"
  /** A snapshot whose checksum does not match its content. */
  | "SNAPSHOT_CORRUPTED"
  /** Bytes that are not a snapshot of this library (wrong magic). */
  | "SNAPSHOT_FOREIGN"
  /** A snapshot written by a format or kernel ABI version this build cannot read. */
  | "SNAPSHOT_VERSION";

/** A domain error of the engine; `code` says which, `details` carries the values involved. */
export class LinUCBError extends Error {
  /** Stable, machine-readable reason. */
  readonly code: LinUCBErrorCode;
  /** The values that caused the error, for logs and programmatic handling. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: LinUCBErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "LinUCBError";
    this.code = code;
    this.details = details;
  }
}
