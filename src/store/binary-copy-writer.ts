/**
 * Rows in PostgreSQL's binary COPY format, for `COPY … FROM STDIN (FORMAT binary)` (see
 * ./pg-copy-in.ts): the cheapest way to hand rows to the server — no SQL text to parse and plan, no
 * value to print and parse back. The reader of the same format is ./binary-copy.ts.
 *
 * The format (PostgreSQL docs, "COPY — Binary Format"): a header, then per row an int16 field count
 * and per field an int32 length (−1: null) and the value in its type's binary send format; an int16
 * −1 ends the data. This writer produces the rows only; the COPY query adds header and trailer.
 */

/** PostgreSQL's epoch (2000-01-01) in Unix milliseconds: timestamptz counts microseconds from it. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const FLOAT8_OID = 701;
/** The version byte of jsonb's binary format. */
const JSONB_VERSION = 1;

/** Writes binary COPY rows into a growing buffer; {@link BinaryCopyWriter.take} hands them over. */
export class BinaryCopyWriter {
  private buffer: Buffer;
  private at = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes written since the last take. */
  get length(): number {
    return this.at;
  }

  private reserve(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(grown, 0, 0, this.at);
    this.buffer = grown;
  }

  /** Starts a row of `fields` fields. */
  row(fields: number): void {
    this.reserve(2);
    this.at = this.buffer.writeInt16BE(fields, this.at);
  }

  /** A null field. */
  null(): void {
    this.reserve(4);
    this.at = this.buffer.writeInt32BE(-1, this.at);
  }

  /** A timestamptz, from Unix milliseconds (microsecond resolution, as PostgreSQL keeps it). */
  timestamptz(unixMs: number): void {
    this.reserve(12);
    this.at = this.buffer.writeInt32BE(8, this.at);
    this.at = this.buffer.writeBigInt64BE(BigInt(Math.round((unixMs - PG_EPOCH_MS) * 1000)), this.at);
  }

  /** A text (or varchar) value, UTF-8. */
  text(value: string): void {
    const bytes = Buffer.byteLength(value);
    this.reserve(4 + bytes);
    this.at = this.buffer.writeInt32BE(bytes, this.at);
    this.at += this.buffer.write(value, this.at);
  }

  /** A jsonb value from its JSON text (the caller's `JSON.stringify`). */
  jsonb(json: string): void {
    const bytes = Buffer.byteLength(json);
    this.reserve(5 + bytes);
    this.at = this.buffer.writeInt32BE(bytes + 1, this.at);
    this.at = this.buffer.writeUInt8(JSONB_VERSION, this.at);
    this.at += this.buffer.write(json, this.at);
  }

  /** A uuid from its canonical text (8-4-4-4-12 hex digits); a RangeError for anything else. */
  uuid(value: string): void {
    this.reserve(20);
    const b = this.buffer;
    const start = b.writeInt32BE(16, this.at);
    let at = start;
    // Buffer.write stops at the first non-hex digit: fewer than 16 bytes means a malformed uuid.
    at += b.write(value.slice(0, 8), at, "hex");
    at += b.write(value.slice(9, 13), at, "hex");
    at += b.write(value.slice(14, 18), at, "hex");
    at += b.write(value.slice(19, 23), at, "hex");
    at += b.write(value.slice(24, 36), at, "hex");
    if (at - start !== 16 || value.length !== 36)
      throw new RangeError(`a uuid must be 32 hex digits as 8-4-4-4-12; received ${JSON.stringify(value)}`);
    this.at = at;
  }

  /** A float8. */
  float8(value: number): void {
    this.reserve(12);
    this.at = this.buffer.writeInt32BE(8, this.at);
    this.at = this.buffer.writeDoubleBE(value, this.at);
  }

  /** An int8 (a safe integer). */
  int8(value: number): void {
    this.reserve(12);
    this.at = this.buffer.writeInt32BE(8, this.at);
    this.at = this.buffer.writeBigInt64BE(BigInt(value), this.at);
  }

  /** A bool. */
  bool(value: boolean): void {
    this.reserve(5);
    this.at = this.buffer.writeInt32BE(1, this.at);
    this.at = this.buffer.writeUInt8(value ? 1 : 0, this.at);
  }

  /** A one-dimensional float8[] of `values[from … from + length)`, no nulls. */
  float8Array(values: ArrayLike<number>, from = 0, length = values.length - from): void {
    const bytes = 20 + length * 12;
    this.reserve(4 + bytes);
    const b = this.buffer;
    let at = b.writeInt32BE(bytes, this.at);
    at = b.writeInt32BE(1, at); // dimensions
    at = b.writeInt32BE(0, at); // has nulls
    at = b.writeInt32BE(FLOAT8_OID, at);
    at = b.writeInt32BE(length, at);
    at = b.writeInt32BE(1, at); // lower bound
    for (let j = 0; j < length; j++) {
      at = b.writeInt32BE(8, at);
      at = b.writeDoubleBE(values[from + j] as number, at);
    }
    this.at = at;
  }

  /** The rows written since the last take (a copy), and a fresh start. */
  take(): Buffer {
    const bytes = Buffer.from(this.buffer.subarray(0, this.at));
    this.at = 0;
    return bytes;
  }
}
