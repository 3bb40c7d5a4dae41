/**
 * Bulk loading and bulk reading for the scale benchmark (bench/cadence-scale.ts), on a plain
 * node-postgres client: `COPY … FROM STDIN (FORMAT binary)` fed from generated chunks, and
 * `COPY (…) TO STDOUT (FORMAT binary)` streamed and only counted — the two floors a cadence over
 * the same rows can be compared with. Custom query objects ("submittables", as src/store/pg-copy-out.ts),
 * so no pg-copy-streams dependency. The rows are written by the store's own writer
 * (src/store/binary-copy-writer.ts, which the decision log's COPY uses too).
 *
 * The binary COPY format (PostgreSQL docs, "COPY — Binary Format"): a header, then per row an int16
 * field count and per field an int32 length (−1: null) and the value in its binary send format; an
 * int16 −1 ends the data.
 */
import { once } from "node:events";
import type { Connection, Submittable } from "pg";

import { BINARY_COPY_HEADER, BINARY_COPY_TRAILER } from "../src/store/binary-copy-writer.js";

export { BinaryCopyWriter } from "../src/store/binary-copy-writer.js";

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
      connection.sendCopyFromChunk(BINARY_COPY_HEADER);
      for await (const chunk of this.chunks) {
        connection.sendCopyFromChunk(chunk);
        if (connection.stream.writableNeedDrain === true) await once(connection.stream, "drain");
      }
      connection.sendCopyFromChunk(BINARY_COPY_TRAILER);
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
