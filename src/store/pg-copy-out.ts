/**
 * `COPY … TO STDOUT` for node-postgres without pg-copy-streams: a custom query object ("submittable",
 * the extension point pg-cursor and pg-query-stream use) that sends the statement through the simple
 * query protocol and collects the CopyData messages. It buffers the whole output, which is what the
 * chunked reader wants (one bounded keyset page per COPY), and saves a dependency whose streams we
 * would only concatenate again.
 */
import type { Connection, Submittable } from "pg";

/** Messages node-postgres hands to the active query; only the ones COPY OUT produces matter. */
interface CopyDataMessage {
  readonly chunk: Buffer;
}

const MIN_CAPACITY = 64 * 1024;
const MAX_FIRST_CAPACITY = 64 * 1024 * 1024;
/**
 * The size of the last output received in this process. A corpus read is a run of pages of about
 * the same size, so the next page's buffer starts at that size plus an eighth: allocated once and
 * never copied to grow, instead of 64 kB doubled six times (twice the bytes allocated, each copied again).
 */
let lastOutputBytes = 0;

/** One `COPY (…) TO STDOUT` run; `result` resolves with all its bytes. */
export class CopyOutQuery implements Submittable {
  /** All the bytes the server sent, once the statement completed. */
  readonly result: Promise<Buffer>;
  /** Bytes received so far, in a buffer grown by doubling. */
  private received = Buffer.allocUnsafe(
    Math.min(Math.max(MIN_CAPACITY, lastOutputBytes + (lastOutputBytes >>> 3)), MAX_FIRST_CAPACITY),
  );
  private length = 0;
  private resolve!: (bytes: Buffer) => void;
  private reject!: (error: Error) => void;
  private failed = false;

  constructor(private readonly text: string) {
    this.result = new Promise<Buffer>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(connection: Connection): void {
    connection.query(this.text);
  }

  handleCopyData(message: CopyDataMessage): void {
    // Copy now: the message's chunk is a view into the protocol parser's receive buffer, which is
    // overwritten as more data arrives (keeping the views corrupts large outputs).
    const chunk = message.chunk;
    if (this.length + chunk.length > this.received.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.received.length * 2, this.length + chunk.length));
      this.received.copy(grown, 0, 0, this.length);
      this.received = grown;
    }
    this.received.set(chunk, this.length);
    this.length += chunk.length;
  }

  /** A COPY FROM would need data we do not have: refuse it so the server ends the statement. */
  handleCopyInResponse(connection: Connection): void {
    (connection as unknown as { sendCopyFail(message: string): void }).sendCopyFail(
      "copyOutBinary runs COPY … TO STDOUT only",
    );
  }

  handleReadyForQuery(): void {
    if (this.failed) return;
    lastOutputBytes = this.length;
    this.resolve(this.received.subarray(0, this.length));
  }

  handleError(error: Error): void {
    this.failed = true;
    this.received = Buffer.alloc(0);
    this.length = 0;
    this.reject(error);
  }

  // The statement is a COPY: these do not occur, but the client calls them if the server sends them.
  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
}
