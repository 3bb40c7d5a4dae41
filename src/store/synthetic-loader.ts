/**
 * The bulk loader of synthetic outcomes. It writes to `routing_outcomes_synthetic` and nowhere else:
 * the table name is a constant of this module, and that table's CHECK refuses any source that does
 * not start with 'synthetic' (the synthetic wall, from the writing side).
 *
 * Idempotent per generator run: each row is keyed by (source, seed, seq), seq being its position in
 * the run (`firstSeq + index`), and rows already present are skipped (ON CONFLICT DO NOTHING). So
 * loading the same (seed, n) twice writes n rows once; loading (seed, 2n) after (seed, n) adds the
 * n new ones, provided the generator's stream for a seed is deterministic (it is: seeded).
 *
 * After a load that wrote rows, the table is analysed (see ./table-statistics.ts).
 *
 * All-or-nothing: every row is validated before anything is written, and all batches go in one
 * transaction, so an error (bad row, broken connection) leaves the table as it was.
 */
import type { SyntheticOutcome } from "../outcomes/outcome.js";
import type { Db } from "./db.js";
import { describeValue } from "./errors.js";
import { analyzeTable } from "./table-statistics.js";

/** A synthetic outcome to load: the row without the columns the database assigns. */
export type SyntheticOutcomeInput = Omit<SyntheticOutcome, "id" | "createdAt"> & {
  /** When the (simulated) request happened. @default the time of loading */
  readonly createdAt?: Date;
};

/** Options of {@link loadSyntheticOutcomes}. */
export interface LoadSyntheticOptions {
  /** Position in the generator run of `rows[0]`; row i gets seq = firstSeq + i. @default 0 */
  readonly firstSeq?: number;
  /** Rows per INSERT statement (all in one transaction). @default 5000 */
  readonly batchSize?: number;
  /** Called after each statement with the rows sent so far (for progress output). */
  readonly onProgress?: (rowsSent: number) => void | Promise<void>;
}

/** What a load did. */
export interface LoadSyntheticResult {
  /** Rows written. */
  readonly inserted: number;
  /** Rows already present for their (source, seed, seq), left as they were. */
  readonly skipped: number;
}

const INSERT = `
INSERT INTO routing_outcomes_synthetic
  (created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused,
   judge_score, judge_model, reward, policy_version, source, synthetic, seed, seq, affinity_version, difficulty)
SELECT coalesce(created_at::timestamptz, now()), agent_id, cell, model, features::float8[], propensity, completed,
   hallucinated, refused, judge_score, judge_model, reward, policy_version, source, true, seed, seq, affinity_version,
   difficulty
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::bool[], $8::bool[],
            $9::bool[], $10::float8[], $11::text[], $12::float8[], $13::text[], $14::text[], $15::int8[], $16::int8[],
            $17::text[], $18::float8[])
  AS input(created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused,
           judge_score, judge_model, reward, policy_version, source, seed, seq, affinity_version, difficulty)
ON CONFLICT (source, seed, seq) DO NOTHING`;

/** Writes `rows` into routing_outcomes_synthetic in one transaction; see the module comment. */
export async function loadSyntheticOutcomes(
  db: Db,
  rows: readonly SyntheticOutcomeInput[],
  options: LoadSyntheticOptions = {},
): Promise<LoadSyntheticResult> {
  if (!Array.isArray(rows))
    throw new TypeError(`rows must be an array of synthetic outcomes; received ${describeValue(rows)}`);
  const { firstSeq = 0, batchSize = 5000, onProgress } = options;
  if (!Number.isSafeInteger(firstSeq) || firstSeq < 0)
    throw new RangeError(`firstSeq must be a non-negative integer; received ${describeValue(firstSeq)}`);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 50_000) {
    throw new RangeError(`batchSize must be an integer from 1 to 50000; received ${describeValue(batchSize)}`);
  }
  if (onProgress !== undefined && typeof onProgress !== "function")
    throw new TypeError(`onProgress must be a function; received ${describeValue(onProgress)}`);
  rows.forEach(validateRow);
  if (rows.length === 0) return { inserted: 0, skipped: 0 };

  const inserted = await db.transaction(async (tx) => {
    let written = 0;
    for (let start = 0; start < rows.length; start += batchSize) {
      const batch = rows.slice(start, start + batchSize);
      const result = await tx.query(INSERT, columnsOf(batch, firstSeq + start));
      written += result.rowCount;
      await onProgress?.(start + batch.length);
    }
    return written;
  });
  if (inserted > 0) await analyzeTable(db, "routing_outcomes_synthetic");
  return { inserted, skipped: rows.length - inserted };
}

/** The 18 parameter arrays of one INSERT, in the order of `$1…$18`. */
function columnsOf(batch: readonly SyntheticOutcomeInput[], firstSeq: number): unknown[][] {
  const columns: unknown[][] = Array.from({ length: 18 }, () => new Array<unknown>(batch.length));
  batch.forEach((row, i) => {
    const values = [
      row.createdAt?.toISOString() ?? null,
      row.agentId,
      row.cell,
      row.model,
      // A float8[] literal per row: unnest of a 2-D array would flatten it. String(x) is the
      // shortest text that reads back as exactly x.
      `{${Array.prototype.join.call(row.features, ",")}}`,
      row.propensity,
      row.completed,
      row.hallucinated,
      row.refused,
      row.judgeScore,
      row.judgeModel,
      row.reward,
      row.policyVersion,
      row.source,
      row.seed,
      firstSeq + i,
      row.affinityVersion,
      row.difficulty,
    ];
    for (let c = 0; c < values.length; c++) (columns[c] as unknown[])[i] = values[c];
  });
  return columns;
}

/** Throws a TypeError/RangeError naming the row index, the field and the value received. */
function validateRow(row: SyntheticOutcomeInput, index: number): void {
  const at = `rows[${index}]`;
  if (typeof row !== "object" || row === null)
    throw new TypeError(`${at} must be a synthetic outcome object; received ${describeValue(row)}`);
  const text = (name: keyof SyntheticOutcomeInput, nullable: boolean): void => {
    const value = row[name];
    if (nullable && value === null) return;
    if (typeof value !== "string" || value === "")
      throw new TypeError(
        `${at}.${name} must be a non-empty string${nullable ? " or null" : ""}; received ${describeValue(value)}`,
      );
  };
  const flag = (name: keyof SyntheticOutcomeInput): void => {
    if (typeof row[name] !== "boolean")
      throw new TypeError(`${at}.${name} must be a boolean; received ${describeValue(row[name])}`);
  };
  const finite = (name: keyof SyntheticOutcomeInput, nullable: boolean): void => {
    const value = row[name];
    if (nullable && value === null) return;
    if (typeof value !== "number" || !Number.isFinite(value))
      throw new RangeError(
        `${at}.${name} must be a finite number${nullable ? " or null" : ""}; received ${describeValue(value)}`,
      );
  };
  text("agentId", false);
  text("cell", false);
  text("model", false);
  text("source", false);
  text("affinityVersion", false);
  text("judgeModel", true);
  text("policyVersion", true);
  if (!row.source.startsWith("synthetic")) {
    throw new RangeError(
      `${at}.source must name a synthetic generator (start with 'synthetic'); received ` +
        `${describeValue(row.source)} — production rows never go through the synthetic loader`,
    );
  }
  if (row.synthetic !== true)
    throw new TypeError(`${at}.synthetic must be true; received ${describeValue(row.synthetic)}`);
  flag("completed");
  flag("hallucinated");
  flag("refused");
  finite("judgeScore", true);
  finite("reward", true);
  finite("propensity", false);
  if (!(row.propensity > 0 && row.propensity <= 1))
    throw new RangeError(`${at}.propensity must be in (0, 1]; received ${describeValue(row.propensity)}`);
  finite("difficulty", false);
  if (row.difficulty < 0 || row.difficulty > 1)
    throw new RangeError(`${at}.difficulty must be in [0, 1]; received ${describeValue(row.difficulty)}`);
  if (!Number.isSafeInteger(row.seed))
    throw new RangeError(`${at}.seed must be an integer; received ${describeValue(row.seed)}`);
  const features = row.features as unknown;
  if (!(features instanceof Float64Array) && !Array.isArray(features)) {
    throw new TypeError(
      `${at}.features must be a Float64Array or an array of numbers; received ${describeValue(features)}`,
    );
  }
  const values = features as ArrayLike<unknown>;
  if (values.length === 0) throw new RangeError(`${at}.features must not be empty`);
  for (let j = 0; j < values.length; j++) {
    const value = values[j];
    if (typeof value !== "number" || !Number.isFinite(value))
      throw new RangeError(`${at}.features[${j}] must be a finite number; received ${describeValue(value)}`);
  }
  if (row.createdAt !== undefined && (!(row.createdAt instanceof Date) || Number.isNaN(row.createdAt.getTime()))) {
    throw new TypeError(`${at}.createdAt must be a valid Date when given; received ${describeValue(row.createdAt)}`);
  }
}
