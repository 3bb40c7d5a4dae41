/**
 * A reader of PostgreSQL's binary COPY format, the fastest way to get rows out of both back ends:
 * no text parsing, and float8[] values land in a Float64Array without an intermediate JS array
 * (the generic text parser for float8[] is the bottleneck of every row-based read path;
 * docs/store-notes.md).
 *
 * Format (PostgreSQL docs, "COPY — Binary Format"): an 11-byte signature, an int32 flags field, an
 * int32 header-extension length and that many bytes; then per row an int16 field count (−1 marks
 * the trailer) and per field an int32 byte length (−1 for NULL) followed by the value in its
 * type's binary send format, all big-endian.
 */
import { StoreError } from "./errors.js";

const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");
const HEADER_LENGTH = SIGNATURE.length + 8;
/** The float8 type OID, as the element type of a float8[] value. */
const FLOAT8_OID = 701;

/** What a float8[] field held, as decoded by {@link BinaryCopyReader.readFloat8Array}. */
export const ArrayRead = {
  /** One dimension, no NULLs, and the expected length: the values were written. */
  ok: 0,
  /** Not one-dimensional (including the empty array, which has zero dimensions). */
  notOneDimensional: 1,
  /** One dimension of another length; see {@link BinaryCopyReader.lastArrayLength}. */
  wrongLength: 2,
  /** Contains a NULL element; see {@link BinaryCopyReader.lastNullIndex}. */
  hasNull: 3,
} as const;

/** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC), the origin of a timestamptz. */
const POSTGRES_EPOCH_MICROS = 946_684_800_000_000;
/** 2³², to join the two halves of an int8. */
const TWO_TO_32 = 4_294_967_296;

/** A forward-only cursor over one binary COPY output. */
export class BinaryCopyReader {
  private readonly view: DataView;
  private offset: number;
  /** Length of the last float8[] that was one-dimensional (valid after `wrongLength` too). */
  lastArrayLength = 0;
  /** Index of the NULL element found by the last `hasNull` result. */
  lastNullIndex = -1;
  /** Where the bytes of the field last passed by {@link skipField} start. */
  lastFieldStart = 0;
  /** Bytes before the first row (signature, flags, header extension). */
  readonly headerLength: number = 0;

  constructor(private readonly bytes: Buffer) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length === 0) {
      // An empty result from a back end that sends nothing at all for zero rows.
      this.offset = 0;
      return;
    }
    if (bytes.length < HEADER_LENGTH || !bytes.subarray(0, SIGNATURE.length).equals(SIGNATURE)) {
      throw new StoreError("UNREPRESENTABLE", "the server's COPY output is not in PostgreSQL's binary COPY format");
    }
    const extension = this.view.getInt32(SIGNATURE.length + 4);
    this.offset = HEADER_LENGTH + extension;
    this.headerLength = this.offset;
  }

  /** Starts the next row: its field count, or −1 after the last row. */
  nextRow(): number {
    if (this.offset + 2 > this.bytes.length) return -1;
    const fields = this.view.getInt16(this.offset);
    this.offset += 2;
    return fields;
  }

  /** Starts the next field: its byte length, or −1 for NULL. */
  private fieldLength(): number {
    const length = this.view.getInt32(this.offset);
    this.offset += 4;
    if (length > 0 && this.offset + length > this.bytes.length) {
      throw new StoreError("UNREPRESENTABLE", "the server's COPY output is cut short");
    }
    return length;
  }

  /** An int8 field as a number (StoreError beyond 2^53), or null. */
  readInt8(): number | null {
    const length = this.fieldLength();
    if (length < 0) return null;
    const value = this.view.getBigInt64(this.offset);
    this.offset += length;
    return int8Number(value);
  }

  /** A float8 field, or null. */
  readFloat8(): number | null {
    const length = this.fieldLength();
    if (length < 0) return null;
    const value = this.view.getFloat64(this.offset);
    this.offset += length;
    return value;
  }

  /**
   * Moves past a field without decoding it: its byte length, or −1 for NULL. Its bytes are
   * `bytes[lastFieldStart, lastFieldStart + length)` of the buffer given to the constructor.
   */
  skipField(): number {
    const length = this.fieldLength();
    this.lastFieldStart = this.offset;
    if (length > 0) this.offset += length;
    return length;
  }

  /**
   * A timestamptz field as milliseconds since the Unix epoch, or null: exactly the float8 PostgreSQL
   * gives for `extract(epoch FROM t) * 1000` (an exact decimal, rounded once to the nearest double),
   * ±Infinity for ±infinity. The exact microsecond count divided by 1000 in one IEEE operation is
   * that same rounding; beyond 2⁵³ µs (after the year 2255) it goes through an exact decimal string.
   */
  readTimestampMs(): number | null {
    const length = this.fieldLength();
    if (length < 0) return null;
    const high = this.view.getInt32(this.offset);
    const low = this.view.getUint32(this.offset + 4);
    this.offset += length;
    if (high === 0x7fffffff && low === 0xffffffff) return Number.POSITIVE_INFINITY;
    if (high === -0x80000000 && low === 0) return Number.NEGATIVE_INFINITY;
    const sincePostgresEpoch = high * TWO_TO_32 + low;
    const micros = sincePostgresEpoch + POSTGRES_EPOCH_MICROS;
    if (Number.isSafeInteger(sincePostgresEpoch) && Number.isSafeInteger(micros)) return micros / 1000;
    const exact = ((BigInt(high) << 32n) | BigInt(low)) + BigInt(POSTGRES_EPOCH_MICROS);
    return Number(`${exact}e-3`);
  }

  /** A text field (UTF-8), or null. */
  readText(): string | null {
    const length = this.fieldLength();
    if (length < 0) return null;
    const start = this.offset;
    this.offset += length;
    return this.bytes.toString("utf8", start, this.offset);
  }

  /**
   * A float8[] field written into `out` from `at`, if it is one-dimensional with exactly `length`
   * elements and no NULL (returns `ArrayRead.ok`); otherwise says why and writes nothing useful.
   * Returns null for a NULL field. Always moves past the field.
   */
  readFloat8Array(out: Float64Array, at: number, length: number): number | null {
    const fieldLength = this.fieldLength();
    if (fieldLength < 0) return null;
    const end = this.offset + fieldLength;
    const view = this.view;
    let position = this.offset;
    this.offset = end;
    const dimensions = view.getInt32(position);
    const elementType = view.getInt32(position + 8);
    position += 12;
    if (elementType !== FLOAT8_OID) {
      throw new StoreError(
        "UNREPRESENTABLE",
        `expected a float8[] column, the server sent an array of type OID ${elementType}`,
      );
    }
    if (dimensions !== 1) return ArrayRead.notOneDimensional;
    const count = view.getInt32(position);
    position += 8; // length and lower bound
    this.lastArrayLength = count;
    if (count !== length) return ArrayRead.wrongLength;
    for (let i = 0; i < count; i++) {
      if (view.getInt32(position) < 0) {
        this.lastNullIndex = i;
        return ArrayRead.hasNull;
      }
      out[at + i] = view.getFloat64(position + 4);
      position += 12;
    }
    return ArrayRead.ok;
  }
}

/**
 * The last field of the last row of a binary COPY output, when it is an int8, read from the end in
 * constant time (it sits just before the two-byte trailer, after its length 8); null when the output
 * holds no row. A keyset page that ends its rows with their id tells its last id this way, so the next
 * page can be requested before this one is decoded. The caller vouches for the row shape (any 8-byte
 * field would read as an int8); a StoreError if the output does not even end with 8 bytes and a trailer.
 */
export function lastRowTrailingInt8(bytes: Buffer): number | null {
  if (bytes.length === 0) return null;
  const header = new BinaryCopyReader(bytes).headerLength;
  if (bytes.length < header + 2 || bytes.readInt16BE(bytes.length - 2) !== -1) {
    throw new StoreError("UNREPRESENTABLE", "the server's COPY output does not end with the trailer");
  }
  if (bytes.length === header + 2) return null;
  if (bytes.length < header + 2 + 2 + 4 + 8 || bytes.readInt32BE(bytes.length - 14) !== 8) {
    throw new StoreError("UNREPRESENTABLE", "the server's COPY output does not end its last row with an int8");
  }
  return int8Number(bytes.readBigInt64BE(bytes.length - 10));
}

/** An int8 as a number; a StoreError when it lies beyond the safe integers (it would be rounded). */
function int8Number(value: bigint): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) {
    throw new StoreError(
      "UNREPRESENTABLE",
      `the database returned the int8 ${value}, beyond the exact range of a JavaScript number`,
    );
  }
  return number;
}
