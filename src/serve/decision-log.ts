/**
 * The server's decision log: every decision is kept in memory until a group write has stored it
 * in routing_decisions (one statement per `intervalMs`, many decisions each: a binary COPY on
 * PostgreSQL, see ../store/decisions.ts), so that `/v1/route`
 * never waits for the database and an outcome posted before that write still finds its decision
 * here. A decision is durable within about one interval; a crash (kill -9) loses at most the
 * decisions of the last interval, whose outcomes then answer 404 — the documented price of a
 * route that does not wait for a commit.
 *
 * With `durable` on, {@link DecisionLog.recordDurably} instead resolves only once the group write
 * holding the decision has committed (the route then answers after it: no decision acknowledged
 * is ever lost, at the price of the write's latency in every answer).
 *
 * When a write fails (the database is down) the decisions stay queued and are retried, the log
 * reports itself unhealthy, and the route answers 503 at once instead of piling up decisions that
 * may never be stored; the first successful retry (or probe) makes it healthy again.
 */
import type { Db } from "../store/db.js";
import { insertDecisions, type Decision } from "../store/decisions.js";

/** Options of {@link DecisionLog}. */
export interface DecisionLogOptions {
  /** How long a decision waits for company before its write starts, in ms. */
  readonly intervalMs: number;
  /** Decisions per write at most. */
  readonly maxBatch: number;
  /** Decisions held in memory at most (unwritten); beyond it the route answers 503. */
  readonly maxPending: number;
  /** Wait before retrying a failed write, in ms. */
  readonly retryMs: number;
  /** Told about each failed write (and the recovery). */
  readonly onError: (message: string) => void;
  /** Told how many decisions each successful write stored. */
  readonly onWritten?: (count: number) => void;
}

/** See the module comment. */
export class DecisionLog {
  private readonly unwritten = new Map<string, Decision>();
  private queue: Decision[] = [];
  /** Who waits for each queued decision's commit (recordDurably), by decision id. */
  private readonly waiters = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private failure: string | null = null;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly options: DecisionLogOptions,
  ) {}

  /** False after a failed write, until a retry succeeds: the route then answers 503. */
  get healthy(): boolean {
    return this.failure === null;
  }

  /** Why the log is unhealthy (the last write's error), or null. */
  get lastFailure(): string | null {
    return this.failure;
  }

  /** Decisions not yet stored. */
  get backlog(): number {
    return this.unwritten.size;
  }

  /** Whether a new decision can be taken now (healthy and below `maxPending`). */
  get accepting(): boolean {
    return this.failure === null && this.unwritten.size < this.options.maxPending && !this.closed;
  }

  /** A decision not yet stored, by id (an outcome may arrive before the write). */
  unwrittenDecision(id: string): Decision | undefined {
    return this.unwritten.get(id);
  }

  /** Queues a decision for the next write. */
  record(decision: Decision): void {
    this.unwritten.set(decision.id, decision);
    this.queue.push(decision);
    this.schedule(this.options.intervalMs);
  }

  /**
   * Queues a decision and resolves once the write that holds it has committed; rejects when that
   * write fails (the decision stays queued and may still be stored by a retry).
   */
  recordDurably(decision: Decision): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.set(decision.id, { resolve, reject });
      this.record(decision);
    });
  }

  /** Writes everything queued; resolves when all is stored or rejects with the write's error. */
  async drain(): Promise<void> {
    this.closed = true;
    // A window's timer still pending would start a second write of the same batch beside ours.
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    while (this.queue.length > 0 || this.writing !== null) {
      if (this.writing !== null) {
        await this.writing;
        continue;
      }
      await this.writeNext();
      if (this.failure !== null) throw new Error(`could not store ${this.queue.length} decisions: ${this.failure}`);
    }
  }

  /** Stops the retry timer (after {@link drain}, or when giving up). */
  stop(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.timer !== null || this.writing !== null) return;
    const start = (): void => {
      this.timer = null;
      this.writing = this.writeNext().finally(() => {
        this.writing = null;
        if (this.queue.length > 0 || this.failure !== null) this.schedule(this.delayAfterWrite());
      });
    };
    if (this.queue.length >= this.options.maxBatch || delayMs === 0) {
      this.timer = setTimeout(start, 0);
    } else {
      this.timer = setTimeout(start, delayMs);
    }
  }

  /**
   * When the next write starts after one ended: at once if a route waits for a queued decision
   * (durable decisions: the write's own duration is then the window), else after a whole window —
   * started at once, the decisions queued during a write would make the write's duration the window
   * under load, whatever `intervalMs` says (16 rather than 80 decisions per write at 8,000/s).
   */
  private delayAfterWrite(): number {
    if (this.failure !== null) return this.options.retryMs;
    return this.waiters.size > 0 ? 0 : this.options.intervalMs;
  }

  private async writeNext(): Promise<void> {
    const batch = this.queue.slice(0, this.options.maxBatch);
    try {
      // With nothing queued, an unhealthy log probes the database so that it can recover.
      if (batch.length === 0) await this.db.query("SELECT 1");
      else await insertDecisions(this.db, batch);
    } catch (error) {
      const message = (error as Error).message;
      if (this.failure === null)
        this.options.onError(
          `storing ${batch.length} decisions failed (will retry every ${this.options.retryMs} ms): ${message}`,
        );
      this.failure = message;
      this.settleWaiters(batch, new Error(message));
      return;
    }
    this.queue.splice(0, batch.length);
    for (const decision of batch) this.unwritten.delete(decision.id);
    this.settleWaiters(batch, null);
    if (this.failure !== null) this.options.onError("the database is reachable again: decisions are being stored");
    this.failure = null;
    if (batch.length > 0) this.options.onWritten?.(batch.length);
  }

  private settleWaiters(batch: readonly Decision[], error: Error | null): void {
    if (this.waiters.size === 0) return;
    for (const { id } of batch) {
      const waiter = this.waiters.get(id);
      if (waiter === undefined) continue;
      this.waiters.delete(id);
      if (error === null) waiter.resolve();
      else waiter.reject(error);
    }
  }
}
