/**
 * `POST /v1/outcomes`: turns validated outcomes into routing_outcomes rows built from the server's
 * own decision records, idempotently, through a group commit (the decision look-ups are grouped
 * the same way: one SELECT for the decisions of many concurrent requests; it asks only whether each
 * decision exists and what outcome it has — a stored decision's context is joined in the INSERT,
 * src/store/decision-outcomes.ts).
 *
 * A request (one outcome or a batch) is checked whole before anything is queued: every decision
 * must be known (else 404 naming them) and no outcome may contradict one already stored or another
 * of the same request (else 409) — so a bad batch writes nothing. The rows then go into the next
 * group write (one INSERT … ON CONFLICT (dedupe_key) DO NOTHING for many requests) and the request
 * is answered once that INSERT has returned, i.e. once the rows are committed. Repeating an
 * outcome already stored answers 200 with the same outcome id and adds no row. Two conflicting
 * requests racing for one decision are settled by the write: the first stored wins, the other
 * gets 409 (in a batch, its other outcomes are then written: retrying them is harmless).
 */
import type { Db } from "../store/db.js";
import { insertDecisionOutcomes, readDecisionOutcomes, type DecisionOutcomeInput } from "../store/decision-outcomes.js";
import { decisionOutcomeKey, type Decision } from "../store/decisions.js";
import { readOutcomesByKey, type StoredOutcome, type WritableSource } from "../store/outcome-writes.js";
import type { DecisionLog } from "./decision-log.js";
import { GroupCommit, type ItemResult } from "./group-commit.js";
import { HttpError } from "./http-error.js";
import type { OutcomeRequest } from "./request-validation.js";

/** What the server answers for one outcome (the same for a repeat). */
export interface OutcomeAck {
  readonly decisionId: string;
  readonly outcomeId: number;
}

type Judged = Pick<StoredOutcome, "completed" | "hallucinated" | "refused" | "judgeScore">;

function sameOutcome(a: Judged, b: Judged): boolean {
  return (
    a.completed === b.completed &&
    a.hallucinated === b.hallucinated &&
    a.refused === b.refused &&
    a.judgeScore === b.judgeScore
  );
}

function describeJudged(o: Judged): string {
  return `completed ${o.completed}, hallucinated ${o.hallucinated}, refused ${o.refused}, judgeScore ${o.judgeScore}`;
}

function conflict(decisionId: string, stored: Judged, received: Judged): HttpError {
  return new HttpError(
    409,
    `decision ${decisionId} already has a different outcome (${describeJudged(stored)}); ` +
      `received ${describeJudged(received)}. ` +
      "An outcome is written once per decision.",
  );
}

/** Options of {@link OutcomeService}. */
export interface OutcomeServiceOptions {
  /** The `source` of every row written: the server's, never the client's. */
  readonly source: WritableSource;
  readonly intervalMs: number;
  readonly maxBatch: number;
  /** Told how many rows each group write added. */
  readonly onWritten?: (count: number) => void;
}

/** See the module comment. */
export class OutcomeService {
  private readonly commit: GroupCommit<DecisionOutcomeInput, number>;
  /**
   * Decision look-ups grouped like the writes: one SELECT for the ids of many requests. Each
   * resolves with the decision's stored outcome or null, or undefined for an unknown decision.
   */
  private readonly reads: GroupCommit<string, StoredOutcome | null | undefined>;

  constructor(
    private readonly db: Db,
    private readonly decisions: DecisionLog,
    private readonly options: OutcomeServiceOptions,
  ) {
    this.commit = new GroupCommit((rows) => this.writeRows(rows), {
      intervalMs: options.intervalMs,
      maxBatch: options.maxBatch,
    });
    this.reads = new GroupCommit(
      async (ids) => {
        const found = await readDecisionOutcomes(this.db, [...new Set(ids)]);
        return ids.map((id) => ({ ok: found.get(id) }));
      },
      { intervalMs: options.intervalMs, maxBatch: options.maxBatch },
    );
  }

  /** Outcomes waiting for the next group write. */
  get waiting(): number {
    return this.commit.waiting;
  }

  /** Stores the outcomes of one request (see the module comment); resolves once they are durable. */
  async submit(outcomes: readonly OutcomeRequest[]): Promise<OutcomeAck[]> {
    const byDecision = new Map<string, OutcomeRequest>();
    for (const outcome of outcomes) {
      const earlier = byDecision.get(outcome.decisionId);
      if (earlier !== undefined && !sameOutcome(earlier, outcome)) throw conflict(outcome.decisionId, earlier, outcome);
      byDecision.set(outcome.decisionId, outcome);
    }
    const records = await this.lookUp([...byDecision.keys()]);
    const missing = [...byDecision.keys()].filter((id) => !records.has(id));
    if (missing.length > 0) {
      const shown = missing.slice(0, 5).join(", ") + (missing.length > 5 ? `, … (${missing.length} in all)` : "");
      throw new HttpError(
        404,
        `unknown decision ${shown}: not made by this server's database, ` +
          `or deleted by the decision retention; nothing was written`,
      );
    }
    const acks = new Map<string, Promise<number>>();
    const toWrite: DecisionOutcomeInput[] = [];
    for (const [decisionId, outcome] of byDecision) {
      const { decision, stored } = records.get(decisionId)!;
      if (stored !== null) {
        if (!sameOutcome(stored, outcome)) throw conflict(decisionId, stored, outcome);
        acks.set(decisionId, Promise.resolve(stored.id));
      } else {
        toWrite.push({ ...outcome, decisionId, decision, source: this.options.source });
      }
    }
    for (const item of toWrite) acks.set(item.decisionId, this.commit.submit(item));
    const settled = await Promise.allSettled(outcomes.map((o) => acks.get(o.decisionId)!));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    return settled.map((s, i) => ({
      decisionId: outcomes[i]!.decisionId,
      outcomeId: (s as PromiseFulfilledResult<number>).value,
    }));
  }

  /** Writes what is queued (shutdown). */
  drain(): Promise<void> {
    return this.commit.drain();
  }

  /**
   * Each known decision with its stored outcome: the decision itself when the server still holds
   * it (not yet stored), null for one already in the table (the write joins it there).
   */
  private async lookUp(
    ids: readonly string[],
  ): Promise<Map<string, { decision: Decision | null; stored: StoredOutcome | null }>> {
    const found = new Map<string, { decision: Decision | null; stored: StoredOutcome | null }>();
    const unwritten: string[] = [];
    const toRead: string[] = [];
    for (const id of ids) {
      const decision = this.decisions.unwrittenDecision(id);
      if (decision === undefined) {
        toRead.push(id);
      } else {
        unwritten.push(id);
        found.set(id, { decision, stored: null });
      }
    }
    const [stored, outcomes] = await Promise.all([
      Promise.all(toRead.map((id) => this.reads.submit(id))),
      // An outcome may already be stored for a decision whose own write is still queued.
      readOutcomesByKey(this.db, unwritten.map(decisionOutcomeKey)),
    ]);
    toRead.forEach((id, i) => {
      const outcome = stored[i];
      if (outcome !== undefined) found.set(id, { decision: null, stored: outcome });
    });
    for (const id of unwritten)
      found.set(id, { decision: found.get(id)!.decision, stored: outcomes.get(decisionOutcomeKey(id)) ?? null });
    return found;
  }

  /** One group write: insert, then settle every item (new id, same outcome again, or 409). */
  private async writeRows(items: readonly DecisionOutcomeInput[]): Promise<ItemResult<number>[]> {
    const written = await insertDecisionOutcomes(this.db, items);
    const firstOfKey = new Map<string, DecisionOutcomeInput>();
    const notWritten: string[] = [];
    for (const item of items) {
      const key = decisionOutcomeKey(item.decisionId);
      if (!firstOfKey.has(key)) firstOfKey.set(key, item);
      if (!written.has(key)) notWritten.push(key);
    }
    const existing = await readOutcomesByKey(this.db, notWritten);
    this.options.onWritten?.(written.size);
    return items.map((item) => {
      const key = decisionOutcomeKey(item.decisionId);
      const newId = written.get(key);
      if (newId !== undefined) {
        const first = firstOfKey.get(key)!;
        return sameOutcome(first, item) ? { ok: newId } : { error: conflict(item.decisionId, first, item) };
      }
      const stored = existing.get(key);
      if (stored === undefined)
        return { error: new Error(`the outcome of decision ${item.decisionId} was neither written nor found`) };
      return sameOutcome(stored, item) ? { ok: stored.id } : { error: conflict(item.decisionId, stored, item) };
    });
  }
}
