/**
 * Bulk loading and bulk reading for the scale benchmark (bench/cadence-scale.ts), on a plain
 * node-postgres client: `COPY … FROM STDIN (FORMAT binary)` fed from generated chunks, and
 * `COPY (…) TO STDOUT (FORMAT binary)` streamed and only counted — the two floors a cadence over
 * the same rows can be compared with. Custom query objects ("submittables", as src/store/pg-copy-out.ts),
 * so no pg-copy-streams dependency.
 *
 * The binary COPY format (PostgreSQL docs, "COPY — Binary Format"): a header, then per row an int16
 * field count and per field an int32 length (−1: null) and the value in its binary send format; an
 * int16 −1 ends the data.
 */
import { once } from "node:events";
import type { Connection, Submittable } from "pg";

/** Signature, flags and header-extension length of every binary COPY stream. */
const HEADER = Buffer.concat([Buffer.from("PGCOPY\n\xff\r\n\0", "latin1"), Buffer.alloc(8)]);
const TRAILER = Buffer.from([0xff, 0xff]);
/** PostgreSQL's epoch (2000-01-01) in Unix milliseconds: timestamptz counts microseconds from it. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const FLOAT8_OID = 701;

/** Writes binary COPY rows into a growing buffer. */
export class BinaryCopyWriter {
  private buffer: Buffer;
  private at = 0;

  constructor(initialBytes = 1 << 20) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
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

  timestamptz(unixMs: number): void {
    this.reserve(12);
    this.at = this.buffer.writeInt32BE(8, this.at);
    this.at = this.buffer.writeBigInt64BE(BigInt(Math.round((unixMs - PG_EPOCH_MS) * 1000)), this.at);
  }

  text(value: string): void {
    const bytes = Buffer.byteLength(value);
    this.reserve(4 + bytes);
    this.at = this.buffer.writeInt32BE(bytes, this.at);
    this.at += this.buffer.write(value, this.at);
  }

  float8(value: number): void {
    this.reserve(12);
    this.at = this.buffer.writeInt32BE(8, this.at);
    this.at = this.buffer.writeDoubleBE(value, this.at);
  }

  bool(value: boolean): void {
    this.reserve(5);
    this.at = this.buffer.writeInt32BE(1, this.at);
    this.at = this.buffer.writeUInt8(value ? 1 : 0, this.at);
  }

  /** A one-dimensional float8[] of `values[from … from + length)`, no nulls. */
  float8Array(values: Float64Array, from: number, length: number): void {
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

  /** The rows written since the last take, and a fresh start. */
  take(): Buffer {
    const bytes = Buffer.from(this.buffer.subarray(0, this.at));
    this.at = 0;
    return bytes;
  }
}

/** Driver-level methods of node-postgres's Connection that its type declarations leave out. */
interface CopyConnection {
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  sendCopyFail(message: string): void;
  readonly stream: NodeJS.WritableStream & { readonly writableNeedDrain?: boolean };
}

/** Handlers a COPY does not use but node-postgres may call. */
abstract class CopyQuery implements Submittable {
  readonly done: Promise<number>;
  protected resolve!: (rows: number) => void;
  protected reject!: (error: Error) => void;
  protected failed = false;
  protected rows = 0;

  constructor(protected readonly text: string) {
    this.done = new Promise<number>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: Connection): void {
    connection.query(this.text);
  }

  handleCommandComplete(message: { text?: string }): void {
    const count = /(\d+)$/.exec(message.text ?? "");
    if (count !== null) this.rows = Number(count[1]);
  }

  handleReadyForQuery(): void {
    if (!this.failed) this.resolve(this.rows);
  }

  handleError(error: Error): void {
    this.failed = true;
    this.reject(error);
  }

  handleCopyData(_message: { chunk: Buffer }): void {}
  handleCopyInResponse(connection: Connection): void {
    (connection as unknown as CopyConnection).sendCopyFail("not a COPY FROM");
  }
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
}

/** `COPY table (columns) FROM STDIN (FORMAT binary)` fed by `chunks` (rows only: header and trailer are added). */
export class BinaryCopyIn extends CopyQuery {
  constructor(
    target: string,
    private readonly chunks: AsyncIterable<Buffer> | Iterable<Buffer>,
  ) {
    super(`COPY ${target} FROM STDIN (FORMAT binary)`);
  }

  override handleCopyInResponse(connection: Connection): void {
    void this.pump(connection as unknown as CopyConnection);
  }

  private async pump(connection: CopyConnection): Promise<void> {
    try {
      connection.sendCopyFromChunk(HEADER);
      for await (const chunk of this.chunks) {
        connection.sendCopyFromChunk(chunk);
        if (connection.stream.writableNeedDrain === true) await once(connection.stream, "drain");
      }
      connection.sendCopyFromChunk(TRAILER);
      connection.endCopyFrom();
    } catch (error) {
      connection.sendCopyFail(`the generator failed: ${(error as Error).message}`);
    }
  }
}

/** `COPY (select) TO STDOUT (FORMAT binary)`, the bytes counted and dropped. Resolves with the rows. */
export class CountingCopyOut extends CopyQuery {
  /** Bytes the server sent. */
  bytes = 0;

  constructor(select: string) {
    super(`COPY (${select}) TO STDOUT (FORMAT binary)`);
  }

  override handleCopyData(message: { chunk: Buffer }): void {
    this.bytes += message.chunk.length;
  }
}
