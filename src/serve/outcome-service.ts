/**
 * `POST /v1/outcomes`: turns validated outcomes into routing_outcomes rows built from the server's
 * own decision records, idempotently, through a group commit (the decision look-ups are grouped
 * the same way: one SELECT for the decisions of many concurrent requests).
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
import { decisionOutcomeKey, readDecisions, type Decision, type StoredDecision } from "../store/decisions.js";
import {
  insertOutcomeRows,
  readOutcomesByKey,
  type OutcomeRowInput,
  type StoredOutcome,
  type WritableSource,
} from "../store/outcome-writes.js";
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
    `decision ${decisionId} already has a different outcome (${describeJudged(stored)}); received ${describeJudged(received)}. ` +
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
  private readonly commit: GroupCommit<OutcomeRowInput, number>;
  /** Decision look-ups grouped like the writes: one SELECT for the ids of many requests. */
  private readonly reads: GroupCommit<string, StoredDecision | null>;

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
        const found = await readDecisions(this.db, [...new Set(ids)]);
        return ids.map((id) => ({ ok: found.get(id) ?? null }));
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
        `unknown decision ${shown}: not made by this server's database, or deleted by the decision retention; nothing was written`,
      );
    }
    const acks = new Map<string, Promise<number>>();
    const toWrite: OutcomeRowInput[] = [];
    for (const [decisionId, outcome] of byDecision) {
      const { decision, stored } = records.get(decisionId)!;
      if (stored !== null) {
        if (!sameOutcome(stored, outcome)) throw conflict(decisionId, stored, outcome);
        acks.set(decisionId, Promise.resolve(stored.id));
      } else {
        toWrite.push(this.rowOf(decision, outcome));
      }
    }
    for (const row of toWrite) acks.set(row.dedupeKey.slice("decision:".length), this.commit.submit(row));
    const settled = await Promise.allSettled(
      outcomes.map(async (o) => ({ decisionId: o.decisionId, outcomeId: await acks.get(o.decisionId)! })),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<OutcomeAck>).value);
  }

  /** Writes what is queued (shutdown). */
  drain(): Promise<void> {
    return this.commit.drain();
  }

  /** Each decision (from memory if not yet stored, else from the table) with its stored outcome. */
  private async lookUp(
    ids: readonly string[],
  ): Promise<Map<string, { decision: Decision; stored: StoredOutcome | null }>> {
    const found = new Map<string, { decision: Decision; stored: StoredOutcome | null }>();
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
    for (const record of stored)
      if (record !== null) found.set(record.id, { decision: record, stored: record.outcome });
    for (const id of unwritten)
      found.set(id, { decision: found.get(id)!.decision, stored: outcomes.get(decisionOutcomeKey(id)) ?? null });
    return found;
  }

  private rowOf(decision: Decision, outcome: OutcomeRequest): OutcomeRowInput {
    return {
      dedupeKey: decisionOutcomeKey(decision.id),
      createdAt: null,
      agentId: decision.agentId,
      cell: decision.cell,
      model: decision.model,
      features: decision.features,
      propensity: decision.propensity,
      completed: outcome.completed,
      hallucinated: outcome.hallucinated,
      refused: outcome.refused,
      judgeScore: outcome.judgeScore,
      judgeModel: null,
      reward: null,
      policyVersion: decision.policyVersionId === null ? "uniform" : String(decision.policyVersionId),
      source: this.options.source,
    };
  }

  /** One group write: insert, then settle every item (new id, same outcome again, or 409). */
  private async writeRows(rows: readonly OutcomeRowInput[]): Promise<ItemResult<number>[]> {
    const written = await insertOutcomeRows(this.db, rows);
    const firstOfKey = new Map<string, OutcomeRowInput>();
    const notWritten: string[] = [];
    for (const row of rows) {
      if (!firstOfKey.has(row.dedupeKey)) firstOfKey.set(row.dedupeKey, row);
      if (!written.has(row.dedupeKey)) notWritten.push(row.dedupeKey);
    }
    const existing = await readOutcomesByKey(this.db, notWritten);
    this.options.onWritten?.(written.size);
    return rows.map((row) => {
      const decisionId = row.dedupeKey.slice("decision:".length);
      const newId = written.get(row.dedupeKey);
      if (newId !== undefined) {
        const first = firstOfKey.get(row.dedupeKey)!;
        return sameOutcome(first, row) ? { ok: newId } : { error: conflict(decisionId, first, row) };
      }
      const stored = existing.get(row.dedupeKey);
      if (stored === undefined)
        return { error: new Error(`the outcome of decision ${decisionId} was neither written nor found`) };
      return sameOutcome(stored, row) ? { ok: stored.id } : { error: conflict(decisionId, stored, row) };
    });
  }
}
