/**
 * `COPY … FROM STDIN (FORMAT binary)` for node-postgres without pg-copy-streams: a custom query
 * object ("submittable", as ./pg-copy-out.ts) that sends the statement and, in the same write, the
 * header, the rows (from ./binary-copy-writer.ts) and the trailer. A
 * COPY is one statement: outside a transaction it commits on its own, and a failure (a constraint,
 * a bad value) stores none of its rows.
 */
import type { Connection, Submittable } from "pg";
import { BINARY_COPY_HEADER, BINARY_COPY_TRAILER } from "./binary-copy-writer.js";

/** Driver-level methods of node-postgres's Connection that its type declarations leave out. */
interface CopyConnection {
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
  readonly stream: { cork(): void; uncork(): void };
}

/** One `COPY target FROM STDIN (FORMAT binary)` of `rows`; `result` resolves with the rows stored. */
export class CopyInQuery implements Submittable {
  readonly result: Promise<number>;
  private resolve!: (rows: number) => void;
  private reject!: (error: Error) => void;
  private failed = false;
  private rows = 0;
  private readonly text: string;

  /** `target`: `table (column, …)`, validated by the caller (COPY takes no parameters). */
  constructor(
    target: string,
    private readonly data: Buffer,
  ) {
    this.text = `COPY ${target} FROM STDIN (FORMAT binary)`;
    this.result = new Promise<number>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /**
   * Sends the statement and, without waiting for the server's CopyInResponse, the data and CopyDone,
   * all in one socket write: one round trip per COPY instead of two. The protocol allows it — a
   * backend whose COPY failed before reading its data ignores CopyData and CopyDone outside COPY mode
   * ("Frontend/Backend Protocol", COPY operations) and reports the failure.
   */
  submit(connection: Connection): void {
    const copy = connection as unknown as CopyConnection;
    copy.stream.cork();
    connection.query(this.text);
    copy.sendCopyFromChunk(Buffer.concat([BINARY_COPY_HEADER, this.data, BINARY_COPY_TRAILER]));
    copy.endCopyFrom();
    copy.stream.uncork();
  }

  /** The data is on its way already (see {@link CopyInQuery.submit}). */
  handleCopyInResponse(): void {}

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

  // The statement is a COPY FROM: these do not occur, but the client calls them if the server sends them.
  handleCopyData(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
}
