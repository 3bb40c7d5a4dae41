/**
 * Rows in PostgreSQL's binary COPY format, for `COPY … FROM STDIN (FORMAT binary)` (see
 * ./pg-copy-in.ts): the cheapest way to hand rows to the server — no SQL text to parse and plan, no
 * value to print and parse back. The reader of the same format is ./binary-copy.ts.
 *
 * The format (PostgreSQL docs, "COPY — Binary Format"): a header, then per row an int16 field count
 * and per field an int32 length (−1: null) and the value in its type's binary send format; an int16
 * −1 ends the data. This writer produces the rows only; the COPY query adds header and trailer.
 */

/** What every binary COPY stream starts with: signature, flags and header-extension length (both 0). */
export const BINARY_COPY_HEADER = Buffer.concat([Buffer.from("PGCOPY\n\xff\r\n\0", "latin1"), Buffer.alloc(8)]);
/** What ends every binary COPY stream: a field count of −1. */
export const BINARY_COPY_TRAILER = Buffer.from([0xff, 0xff]);

/** PostgreSQL's epoch (2000-01-01) in Unix milliseconds: timestamptz counts microseconds from it. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const FLOAT8_OID = 701;
/** The version byte of jsonb's binary format. */
const JSONB_VERSION = 1;

/** The value of each ASCII hex digit by character code (−1: not one). */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let digit = 0; digit < 16; digit++) {
  HEX_VALUE["0123456789abcdef".charCodeAt(digit)] = digit;
  HEX_VALUE["0123456789ABCDEF".charCodeAt(digit)] = digit;
}
/** Where the 16 bytes of a canonical uuid text (8-4-4-4-12) start, two hex digits each. */
const UUID_BYTE_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const TWO_TO_32 = 2 ** 32;

/**
 * Writes binary COPY rows into a growing buffer; {@link BinaryCopyWriter.take} hands them over.
 * Through a DataView and byte stores rather than Buffer's write methods: this runs once per
 * decision on the server's event loop, and the DataView calls compile to plain stores.
 */
export class BinaryCopyWriter {
  private buffer: Buffer;
  private view: DataView;
  private at = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.length);
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
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.length);
  }

  /** Starts a row of `fields` fields. */
  row(fields: number): void {
    this.reserve(2);
    this.view.setInt16(this.at, fields);
    this.at += 2;
  }

  /** A null field. */
  null(): void {
    this.reserve(4);
    this.view.setInt32(this.at, -1);
    this.at += 4;
  }

  /** A timestamptz, from Unix milliseconds (microsecond resolution, as PostgreSQL keeps it). */
  timestamptz(unixMs: number): void {
    this.reserve(12);
    this.view.setInt32(this.at, 8);
    this.int64(this.at + 4, Math.round((unixMs - PG_EPOCH_MS) * 1000));
    this.at += 12;
  }

  /** A text (or varchar) value, UTF-8. */
  text(value: string): void {
    const n = value.length;
    this.reserve(4 + 3 * n);
    const b = this.buffer;
    let at = this.at + 4;
    // ASCII byte by byte (ids are); anything else through the UTF-8 encoder.
    let i = 0;
    for (; i < n; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) break;
      b[at++] = code;
    }
    if (i < n) at = this.at + 4 + b.write(value, this.at + 4, "utf8");
    this.view.setInt32(this.at, at - this.at - 4);
    this.at = at;
  }

  /** A jsonb value from its JSON text (the caller's `JSON.stringify`). */
  jsonb(json: string): void {
    const bytes = Buffer.byteLength(json);
    this.reserve(5 + bytes);
    this.view.setInt32(this.at, bytes + 1);
    this.buffer[this.at + 4] = JSONB_VERSION;
    this.at += 5 + this.buffer.write(json, this.at + 5, "utf8");
  }

  /** A uuid from its canonical text (8-4-4-4-12 hex digits); a RangeError for anything else. */
  uuid(value: string): void {
    this.reserve(20);
    const b = this.buffer;
    let valid = value.length === 36;
    for (let k = 0; k < 16 && valid; k++) {
      const high = HEX_VALUE[value.charCodeAt(UUID_BYTE_AT[k]!)] ?? -1;
      const low = HEX_VALUE[value.charCodeAt(UUID_BYTE_AT[k]! + 1)] ?? -1;
      valid = high >= 0 && low >= 0;
      b[this.at + 4 + k] = (high << 4) | low;
    }
    const dashes = value[8] === "-" && value[13] === "-" && value[18] === "-" && value[23] === "-";
    if (!valid || !dashes)
      throw new RangeError(`a uuid must be 32 hex digits as 8-4-4-4-12; received ${JSON.stringify(value)}`);
    this.view.setInt32(this.at, 16);
    this.at += 20;
  }

  /** A float8. */
  float8(value: number): void {
    this.reserve(12);
    this.view.setInt32(this.at, 8);
    this.view.setFloat64(this.at + 4, value);
    this.at += 12;
  }

  /** An int8 (a safe integer). */
  int8(value: number): void {
    this.reserve(12);
    this.view.setInt32(this.at, 8);
    this.int64(this.at + 4, value);
    this.at += 12;
  }

  /** A bool. */
  bool(value: boolean): void {
    this.reserve(5);
    this.view.setInt32(this.at, 1);
    this.buffer[this.at + 4] = value ? 1 : 0;
    this.at += 5;
  }

  /** A one-dimensional float8[] of `values[from … from + length)`, no nulls. */
  float8Array(values: ArrayLike<number>, from = 0, length = values.length - from): void {
    const bytes = 20 + length * 12;
    this.reserve(4 + bytes);
    const v = this.view;
    let at = this.at;
    v.setInt32(at, bytes);
    v.setInt32(at + 4, 1); // dimensions
    v.setInt32(at + 8, 0); // has nulls
    v.setInt32(at + 12, FLOAT8_OID);
    v.setInt32(at + 16, length);
    v.setInt32(at + 20, 1); // lower bound
    at += 24;
    for (let j = 0; j < length; j++) {
      v.setInt32(at, 8);
      v.setFloat64(at + 4, values[from + j] as number);
      at += 12;
    }
    this.at = at;
  }

  /** The rows written since the last take (a copy), and a fresh start. */
  take(): Buffer {
    const bytes = Buffer.from(this.buffer.subarray(0, this.at));
    this.at = 0;
    return bytes;
  }

  /** A big-endian two's-complement int64 of a safe integer, without a BigInt. */
  private int64(at: number, value: number): void {
    const high = Math.floor(value / TWO_TO_32);
    this.view.setInt32(at, high);
    this.view.setUint32(at + 4, value - high * TWO_TO_32);
  }
}
