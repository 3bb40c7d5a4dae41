/**
 * The integrity check of a refit: the engine's per-(cell, arm) row counts and reward sums must equal
 * those computed in SQL over the same rows. A pipeline that drops, duplicates or misfiles rows (a
 * wrong join, an off-by-one arm mapping, a truncated read) fails here, whatever it learned.
 *
 * Which rows: the ones the refit read — ids from the first to the last id of the chunks it consumed
 * (the reader's keyset bounds), judged (a stored reward, or one a judge watermark gives:
 * src/store/judge-watermarks.ts), production only on `routing_outcomes`,
 * minus the rows the reader rejected (by id). Both slices of a run (training and held-out) are
 * read into the engine, so no time bound is needed. The run holds the cadence lock, so no judge
 * writes rewards into that id range meanwhile.
 *
 * What is compared, per (cell, model): the count; Σ r·x_i at the intercept feature i (the engine's
 * Σrx[i], SQL's sum(reward · features[i + 1])); and Σ r² (the engine keeps it for its shrinkage
 * estimate). Sums are compared to a relative 1e-9 (the two sides add in different orders); with a
 * discount below 1 the engine's sums are discounted, so only counts are compared.
 *
 * An incremental refit starts from a base's statistics and reads only the rows after its mark: the
 * check then compares what the engine gained over that baseline with SQL over the rows it read (the
 * base's own coverage is the prefix fingerprint's to check, src/cadence/refit-plan.ts). Rows
 * weighted by age (a daily discount) make the sums weighted too: then only counts are compared.
 */
import type { LinUCBEngine, LinUCBStatistics } from "../engine/types.js";
import type { Queryable } from "../store/db.js";
import type { CorpusTable, RejectedRow } from "../store/corpus-reader.js";
import { judgedRewardSql, readJudgeWatermarks } from "../store/judge-watermarks.js";

/** The columns of a consumed chunk the check needs. */
export interface IntegrityChunk {
  readonly length: number;
  readonly ids: ArrayLike<number>;
  readonly rejected: readonly RejectedRow[];
}

/** Records which rows a refit read, chunk by chunk. */
export class IntegrityCollector {
  private first = Infinity;
  private last = -Infinity;
  private readonly rejectedIds: number[] = [];
  private accepted = 0;

  /** Adds a consumed chunk (its accepted ids and its rejected rows). */
  add(chunk: IntegrityChunk): void {
    for (let i = 0; i < chunk.length; i++) this.extend(chunk.ids[i]!);
    for (const row of chunk.rejected) {
      this.extend(row.id);
      this.rejectedIds.push(row.id);
    }
    this.accepted += chunk.length;
  }

  /** Adds what another collector read (a shard of the same refit, disjoint ids). */
  addRead(read: IntegrityCollector["read"]): void {
    if (read.accepted > 0 || read.rejectedIds.length > 0) {
      this.extend(read.firstId);
      this.extend(read.lastId);
    }
    // A loop, not push(...ids): a spread of 10⁵+ ids overflows the stack.
    for (const id of read.rejectedIds) this.rejectedIds.push(id);
    this.accepted += read.accepted;
  }

  private extend(id: number): void {
    if (id < this.first) this.first = id;
    if (id > this.last) this.last = id;
  }

  /** The id range, rejected ids and accepted count read so far. */
  get read(): {
    readonly firstId: number;
    readonly lastId: number;
    readonly rejectedIds: readonly number[];
    readonly accepted: number;
  } {
    return { firstId: this.first, lastId: this.last, rejectedIds: this.rejectedIds, accepted: this.accepted };
  }
}

/** One (cell, model) whose counts or sums differ. */
export interface IntegrityMismatch {
  readonly cell: string;
  readonly model: string;
  readonly engine: { readonly rows: number; readonly rewardSum: number; readonly rewardSquares: number };
  readonly sql: { readonly rows: number; readonly rewardSum: number; readonly rewardSquares: number };
}

/** The result of {@link checkIntegrity}. JSON-able. */
export interface IntegrityReport {
  readonly ok: boolean;
  /** Rows on each side. */
  readonly engineRows: number;
  readonly sqlRows: number;
  /** (cell, model) pairs compared (the union of both sides). */
  readonly models: number;
  /** Whether sums were compared (discount 1) or counts only. */
  readonly sumsCompared: boolean;
  /** The first mismatches (at most 10) and how many there are. */
  readonly mismatchCount: number;
  readonly mismatches: readonly IntegrityMismatch[];
}

interface Totals {
  rows: number;
  rewardSum: number;
  rewardSquares: number;
}

function close(a: number, b: number, scale: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, scale, Math.abs(a), Math.abs(b));
}

async function sqlTotals(
  db: Queryable,
  table: CorpusTable,
  read: IntegrityCollector["read"],
  interceptIndex: number,
): Promise<Map<string, Totals>> {
  const totals = new Map<string, Totals>();
  if (!(read.lastId >= read.firstId)) return totals;
  // The reward the reader saw: stored, or given by a judge watermark.
  const reward = judgedRewardSql(await readJudgeWatermarks(db, table));
  const result = await db.query<{
    cell: string;
    model: string;
    rows: number;
    reward_sum: number;
    reward_squares: number;
  }>(
    `SELECT cell, model, count(*)::float8 AS rows, coalesce(sum(r * features[$4::int]), 0)::float8 AS reward_sum,
            coalesce(sum(r * r), 0)::float8 AS reward_squares
     FROM ${table === "routing_outcomes" ? "routing_outcomes" : "routing_outcomes_synthetic"}, ` +
      `LATERAL (SELECT ${reward} AS r) AS judged
     WHERE id BETWEEN $1 AND $2 AND r IS NOT NULL AND NOT (id = ANY($3::int8[]))
       ${table === "routing_outcomes" ? "AND source = 'prod'" : ""}
     GROUP BY cell, model`,
    [read.firstId, read.lastId, [...read.rejectedIds], interceptIndex + 1],
  );
  for (const row of result.rows) {
    const sums = {
      rows: Number(row.rows),
      rewardSum: Number(row.reward_sum),
      rewardSquares: Number(row.reward_squares),
    };
    totals.set(`${row.cell}\u0000${row.model}`, sums);
  }
  return totals;
}

function statisticsTotals(stats: LinUCBStatistics, interceptIndex: number): Map<string, Totals> {
  const d = stats.dimension;
  const k = stats.arms.length;
  const totals = new Map<string, Totals>();
  stats.cells.forEach((cell, c) => {
    for (let a = 0; a < k; a++) {
      const m = c * k + a;
      if (stats.counts[m] === 0) continue;
      const sums = {
        rows: stats.counts[m]!,
        rewardSum: stats.xr[m * d + interceptIndex]!,
        rewardSquares: stats.yy?.[m] ?? Number.NaN,
      };
      totals.set(`${cell}\u0000${stats.arms[a]}`, sums);
    }
  });
  return totals;
}

/** The engine's totals, less those of the baseline it started from (models left with no rows dropped). */
function engineTotals(engine: LinUCBEngine, baseline: LinUCBStatistics | undefined): Map<string, Totals> {
  const i = engine.options.interceptIndex;
  const totals = statisticsTotals(engine.exportStatistics(), i);
  if (baseline === undefined) return totals;
  for (const [key, base] of statisticsTotals(baseline, i)) {
    const now = totals.get(key);
    if (now === undefined) continue; // the engine lost rows: left for the comparison to report
    const gained = {
      rows: now.rows - base.rows,
      rewardSum: now.rewardSum - base.rewardSum,
      rewardSquares: now.rewardSquares - base.rewardSquares,
    };
    if (gained.rows === 0) totals.delete(key);
    else totals.set(key, gained);
  }
  return totals;
}

/** What {@link checkIntegrity} compares beyond the engine and the rows read. */
export interface IntegrityOptions {
  /** The statistics an incremental refit started from: the check compares what the engine gained over them. */
  readonly baseline?: LinUCBStatistics;
  /** The rows were weighted (a daily discount): compare counts only. */
  readonly weighted?: boolean;
}

/**
 * Compares the engine's statistics with SQL over the rows the collector saw. Needs an engine that
 * keeps statistics (the cadence's always does).
 */
export async function checkIntegrity(
  db: Queryable,
  engine: LinUCBEngine,
  table: CorpusTable,
  collector: IntegrityCollector,
  options: IntegrityOptions = {},
): Promise<IntegrityReport> {
  const read = collector.read;
  const fromSql = await sqlTotals(db, table, read, engine.options.interceptIndex);
  const fromEngine = engineTotals(engine, options.baseline);
  const sumsCompared = engine.options.discount === 1 && options.weighted !== true;
  const none: Totals = { rows: 0, rewardSum: 0, rewardSquares: 0 };
  const mismatches: IntegrityMismatch[] = [];
  let engineRows = 0;
  let sqlRows = 0;
  const keys = new Set([...fromSql.keys(), ...fromEngine.keys()]);
  for (const key of keys) {
    const e = fromEngine.get(key) ?? none;
    const s = fromSql.get(key) ?? none;
    engineRows += e.rows;
    sqlRows += s.rows;
    const sumsAgree =
      !sumsCompared ||
      (close(e.rewardSum, s.rewardSum, s.rows) &&
        (Number.isNaN(e.rewardSquares) || close(e.rewardSquares, s.rewardSquares, s.rows)));
    if (e.rows !== s.rows || !sumsAgree) {
      const [cell, model] = key.split("\u0000") as [string, string];
      mismatches.push({ cell, model, engine: { ...e }, sql: { ...s } });
    }
  }
  return {
    ok: mismatches.length === 0,
    engineRows,
    sqlRows,
    models: keys.size,
    sumsCompared,
    mismatchCount: mismatches.length,
    mismatches: mismatches.slice(0, 10),
  };
}

/** A one-line description of a failed check, for the run's error. */
export function describeIntegrityFailure(report: IntegrityReport): string {
  const first = report.mismatches[0];
  const example =
    first === undefined
      ? ""
      : `; e.g. cell ${JSON.stringify(first.cell)}, model ${JSON.stringify(first.model)}: engine ` +
        `${first.engine.rows} rows / Σr ${first.engine.rewardSum}, SQL ${first.sql.rows} rows / Σr ` +
        `${first.sql.rewardSum}`;
  return (
    `integrity check failed: the engine's statistics differ from SQL over the same rows in ${report.mismatchCount} ` +
    `of ${report.models} (cell, model) pairs (engine ${report.engineRows} rows, SQL ${report.sqlRows})${example}`
  );
}
