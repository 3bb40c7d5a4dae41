/**
 * Group commit: callers submit items one at a time and each gets a promise; the items are written
 * together, many per statement, at most one write in flight. A write starts `intervalMs` after the
 * first waiting item (or at once when `maxBatch` items wait); items arriving during a write wait for
 * the next, so under load the write's own duration is the batching window. A promise settles only
 * after the write that holds its item returned — for an INSERT in autocommit, once it is durable.
 */

/** The outcome of one item of a write: its result, or the error to reject its promise with. */
export type ItemResult<R> = { readonly ok: R } | { readonly error: Error };

/** Options of {@link GroupCommit}. */
export interface GroupCommitOptions {
  /** How long the first item of a batch waits for company, in ms. */
  readonly intervalMs: number;
  /** Items per write at most. */
  readonly maxBatch: number;
}

interface Waiting<T, R> {
  readonly item: T;
  readonly resolve: (result: R) => void;
  readonly reject: (error: Error) => void;
}

/** See the module comment. `write` returns one result per item, in order, or throws for all. */
export class GroupCommit<T, R> {
  private queue: Waiting<T, R>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;

  constructor(
    private readonly write: (items: readonly T[]) => Promise<readonly ItemResult<R>[]>,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Items waiting for a write (not counting the one in flight). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Queues `item`; resolves with its result once the write that holds it has returned. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Writes everything waiting now and resolves when the queue is empty (shutdown). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.writing !== null) {
      if (this.writing !== null) await this.writing;
      else this.startWrite();
    }
  }

  private schedule(): void {
    if (this.writing !== null) return;
    if (this.queue.length >= this.options.maxBatch) {
      this.startWrite();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => this.startWrite(), this.options.intervalMs);
    }
  }

  private startWrite(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.writing !== null || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.writing = this.writeBatch(batch).finally(() => {
      this.writing = null;
      if (this.queue.length > 0) this.startWrite();
    });
  }

  private async writeBatch(batch: readonly Waiting<T, R>[]): Promise<void> {
    let results: readonly ItemResult<R>[];
    try {
      results = await this.write(batch.map((w) => w.item));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error as Error);
      return;
    }
    batch.forEach((waiting, i) => {
      const result = results[i];
      if (result === undefined) waiting.reject(new Error("group commit: the write returned no result for this item"));
      else if ("ok" in result) waiting.resolve(result.ok);
      else waiting.reject(result.error);
    });
  }
}
