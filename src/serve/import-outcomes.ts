/**
 * `linucb import`: loads logged outcomes into routing_outcomes. Each line is validated on its own
 * (a bad one is rejected with its line number and the reason, the rest load), rows go in bulk
 * (one multi-row statement per `batchSize` lines), and every row carries a dedupe key — its
 * `decision_id` when the line has one (the same key a served decision's outcome gets, so importing
 * what a server already wrote adds nothing), else a hash of its content — so importing the same
 * file again adds nothing.
 *
 * Columns (JSON Lines keys or CSV header names; README "Importing outcomes" documents them):
 * created_at?, agent_id, cell, model, features, propensity, completed, hallucinated, refused,
 * judge_score?, judge_model?, reward?, policy_version?, decision_id?.
 */
import { createHash } from "node:crypto";
import type { Db } from "../store/db.js";
import { decisionOutcomeKey } from "../store/decisions.js";
import { insertOutcomeRows, type OutcomeRowInput, type WritableSource } from "../store/outcome-writes.js";
import { analyzeTable } from "../store/table-statistics.js";
import { describeValue } from "../shared/describe-value.js";
import { DEFAULT_ROW_BOUNDS } from "../store/row-bounds.js";
import type { ImportRecord } from "./import-records.js";
import { isStorableText, UNSTORABLE_TEXT } from "./storable-text.js";

/** Every column an import line may have. */
export const IMPORT_COLUMNS = [
  "created_at",
  "agent_id",
  "cell",
  "model",
  "features",
  "propensity",
  "completed",
  "hallucinated",
  "refused",
  "judge_score",
  "judge_model",
  "reward",
  "policy_version",
  "decision_id",
] as const;

/** A line that was not loaded, and why. */
export interface RejectedLine {
  readonly line: number;
  readonly reason: string;
}

/** What an import did. */
export interface ImportResult {
  /** Non-empty lines read. */
  readonly lines: number;
  /** Rows added to routing_outcomes. */
  readonly inserted: number;
  /** Valid lines whose row was already there (a re-import, or a repeated line). */
  readonly duplicates: number;
  readonly rejected: readonly RejectedLine[];
  /** The feature dimension lines were checked against. */
  readonly dimension: number | null;
}

/** Options of {@link importOutcomes}. */
export interface ImportOptions {
  readonly source: WritableSource;
  /** Feature length every line must have; null: the first valid line's. */
  readonly dimension: number | null;
  /** If given, the only models accepted (others are rejected as unknown). */
  readonly models?: readonly string[];
  /** Lines per INSERT. @default 5000 */
  readonly batchSize?: number;
  /** Called after each batch with the counts so far. */
  readonly onProgress?: (linesSoFar: number) => void;
  /** Called for each rejected line as it is found. */
  readonly onRejected?: (rejected: RejectedLine) => void;
}

class LineError extends Error {}

const CSV_TRUE = new Set(["true", "1", "t", "yes"]);
const CSV_FALSE = new Set(["false", "0", "f", "no"]);

function text(fields: Record<string, unknown>, key: string, required: boolean): string | null {
  const value = fields[key];
  if (value === undefined || value === null) {
    if (required) throw new LineError(`${key} is required`);
    return null;
  }
  if (typeof value !== "string" || value.length === 0)
    throw new LineError(`${key} must be a non-empty string; received ${describeValue(value)}`);
  if (!isStorableText(value)) throw new LineError(`${key} ${UNSTORABLE_TEXT}; received ${describeValue(value)}`);
  return value;
}

function number(fields: Record<string, unknown>, key: string, required: boolean): number | null {
  const value = fields[key];
  if (value === undefined || value === null) {
    if (required) throw new LineError(`${key} is required`);
    return null;
  }
  const parsed = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof parsed !== "number" || !Number.isFinite(parsed))
    throw new LineError(`${key} must be a finite number; received ${describeValue(value)}`);
  return parsed;
}

function flag(fields: Record<string, unknown>, key: string): boolean {
  const value = fields[key];
  if (typeof value === "boolean") return value;
  if (typeof value === "string" && CSV_TRUE.has(value.toLowerCase())) return true;
  if (typeof value === "string" && CSV_FALSE.has(value.toLowerCase())) return false;
  if (value === undefined || value === null) throw new LineError(`${key} is required`);
  throw new LineError(`${key} must be true or false; received ${describeValue(value)}`);
}

function featureVector(fields: Record<string, unknown>): number[] {
  let value = fields.features;
  if (value === undefined || value === null) throw new LineError("features is required");
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      throw new LineError(
        `features must be a JSON array of finite numbers; received ${describeValue(fields.features)}`,
      );
    }
  }
  if (!Array.isArray(value) || value.length === 0)
    throw new LineError(`features must be a non-empty array of finite numbers; received ${describeValue(value)}`);
  // The corpus reader's bounds: a row beyond them would be loaded but never reach a refit.
  const bound = DEFAULT_ROW_BOUNDS.maxFeatureMagnitude;
  value.forEach((x: unknown, i) => {
    if (typeof x !== "number" || !(Math.abs(x) <= bound))
      throw new LineError(`features[${i}] must be a finite number within ±${bound}; received ${describeValue(x)}`);
  });
  return value as number[];
}

function timestamp(fields: Record<string, unknown>): Date | null {
  const value = fields.created_at;
  if (value === undefined || value === null) return null;
  const date = typeof value === "string" ? new Date(value) : null;
  if (date === null || Number.isNaN(date.getTime()))
    throw new LineError(`created_at must be an ISO-8601 timestamp; received ${describeValue(value)}`);
  return date;
}

/** The row of one line, or a LineError saying what is wrong with it. */
function rowOf(fields: Record<string, unknown>, options: ImportOptions, dimension: number | null): OutcomeRowInput {
  const unknown = Object.keys(fields).find((key) => !(IMPORT_COLUMNS as readonly string[]).includes(key));
  if (unknown !== undefined)
    throw new LineError(`unknown column ${JSON.stringify(unknown)} (known: ${IMPORT_COLUMNS.join(", ")})`);
  const model = text(fields, "model", true)!;
  if (options.models !== undefined && !options.models.includes(model)) {
    throw new LineError(`unknown model ${JSON.stringify(model)} (known: ${options.models.join(", ")})`);
  }
  const features = featureVector(fields);
  if (dimension !== null && features.length !== dimension)
    throw new LineError(`features must have ${dimension} numbers; received ${features.length}`);
  const propensity = number(fields, "propensity", true)!;
  if (!(propensity >= DEFAULT_ROW_BOUNDS.minPropensity && propensity <= 1)) {
    throw new LineError(
      `propensity must be in [${DEFAULT_ROW_BOUNDS.minPropensity}, 1]; received ${describeValue(fields.propensity)}`,
    );
  }
  const row = {
    createdAt: timestamp(fields),
    agentId: text(fields, "agent_id", true)!,
    cell: text(fields, "cell", true)!,
    model,
    features,
    propensity,
    completed: flag(fields, "completed"),
    hallucinated: flag(fields, "hallucinated"),
    refused: flag(fields, "refused"),
    judgeScore: number(fields, "judge_score", false),
    judgeModel: text(fields, "judge_model", false),
    reward: number(fields, "reward", false),
    policyVersion: text(fields, "policy_version", false),
    source: options.source,
  };
  const decisionId = text(fields, "decision_id", false);
  // Without a decision id, the content is the identity: the same line imported twice is one row.
  const dedupeKey =
    decisionId !== null
      ? decisionOutcomeKey(decisionId)
      : `import:${createHash("sha256").update(JSON.stringify(row)).digest("hex")}`;
  return { ...row, dedupeKey };
}

/** Loads `records` into routing_outcomes; see the module comment. */
export async function importOutcomes(
  db: Db,
  records: AsyncIterable<ImportRecord>,
  options: ImportOptions,
): Promise<ImportResult> {
  const batchSize = options.batchSize ?? 5000;
  const rejected: RejectedLine[] = [];
  let dimension = options.dimension;
  let lines = 0;
  let inserted = 0;
  let duplicates = 0;
  let batch: OutcomeRowInput[] = [];
  const reject = (line: number, reason: string): void => {
    const entry = { line, reason };
    rejected.push(entry);
    options.onRejected?.(entry);
  };
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const written = await insertOutcomeRows(db, batch);
    inserted += written.size;
    duplicates += batch.length - written.size;
    batch = [];
    options.onProgress?.(lines);
  };
  for await (const record of records) {
    lines++;
    if ("error" in record) {
      reject(record.line, record.error);
      continue;
    }
    try {
      const row = rowOf(record.fields, options, dimension);
      dimension ??= row.features.length;
      batch.push(row);
    } catch (error) {
      if (!(error instanceof LineError)) throw error;
      reject(record.line, error.message);
      continue;
    }
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  if (inserted > 0) await analyzeTable(db, "routing_outcomes");
  return { lines, inserted, duplicates, rejected, dimension };
}
