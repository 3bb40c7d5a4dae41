/**
 * Reads logged events from a CSV or JSONL file (optionally gzipped), streaming line by line into
 * growable typed columns: no per-event objects are kept, so files far larger than the JSON they
 * would make fit in memory. Every bad row stops the read with an error naming the file, the line,
 * the field and the value.
 */
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import { pipeline, type Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { splitCsvLine } from "./csv-line.js";
import {
  checkPropensityValue,
  checkRewardValue,
  resolveActionSpace,
  toActionIndex,
  type LoggedEvents,
} from "./logged-events.js";
import { describeValue } from "./validate.js";

/** A file format the readers understand. */
export type EventFileFormat = "csv" | "jsonl";

/** Options of {@link readLoggedEvents}: which fields hold what, and how actions map to indices. */
export interface EventFileOptions {
  /** File format. @default from the file name: `.csv`, `.jsonl` or `.ndjson`, each optionally followed by `.gz` */
  readonly format?: EventFileFormat;
  /** Column (CSV) or field (JSONL) of the logged action. @default "action" */
  readonly actionField?: string;
  /** Column or field of the reward (a finite number). @default "reward" */
  readonly rewardField?: string;
  /** Column or field of the logging propensity of the logged action, in (0, 1]. @default "propensity" */
  readonly propensityField?: string;
  /**
   * Context features. CSV: the names of numeric columns, in order. JSONL: one field holding an array of
   * numbers (or a number), or the names of numeric fields.
   * @default none for CSV; for JSONL the field "context" when the first event has it
   */
  readonly contextFields?: string | readonly string[];
  /** Action ids by index: actions are read as ids and looked up here. @default none (actions are indices) */
  readonly actionIds?: readonly string[];
  /**
   * K, when actions are indices. @default the largest index read + 1 — pass it whenever some action
   * may be missing from the file, since the uniform-logging check of replay compares with 1/K.
   */
  readonly actionCount?: number;
  /** CSV field delimiter. @default "," */
  readonly delimiter?: string;
}

/**
 * Reads logged events from a file path (`.gz` files are decompressed) or from a readable stream of
 * text (then `format` is required).
 * @throws RangeError / TypeError `"<file> line <n>: …"` on the first bad row; SyntaxError-derived
 *   messages for malformed CSV quoting or JSON are reported the same way.
 */
export async function readLoggedEvents(
  source: string | Readable,
  options: EventFileOptions = {},
): Promise<LoggedEvents> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`\`options\` must be an object; received ${describeValue(options)}`);
  }
  const name = typeof source === "string" ? basename(source) : "input";
  const format = options.format ?? (typeof source === "string" ? formatFromName(source) : undefined);
  if (format !== "csv" && format !== "jsonl") {
    throw new RangeError(
      `\`format\` must be "csv" or "jsonl" (inferred from a .csv, .jsonl or .ndjson file name when reading a path); ` +
        `received ${describeValue(format)}` +
        (typeof source === "string" ? ` for ${JSON.stringify(source)}` : ""),
    );
  }
  const columns = new ColumnBuilder(options);
  const parseLine = format === "csv" ? csvLineParser(options, columns) : jsonLineParser(options, columns);
  let lineNumber = 0;
  for await (const line of lines(openSource(source))) {
    lineNumber++;
    if (line.trim() === "") continue;
    try {
      parseLine(line);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const Kind = error instanceof TypeError ? TypeError : RangeError;
      throw new Kind(`${name} line ${lineNumber}: ${message}`, { cause: error });
    }
  }
  if (format === "csv" && !columns.sawHeader) throw new RangeError(`${name}: the file is empty (no header line)`);
  return columns.build(name);
}

function formatFromName(path: string): EventFileFormat | undefined {
  const plain = path.toLowerCase().replace(/\.gz$/, "");
  if (plain.endsWith(".csv")) return "csv";
  if (plain.endsWith(".jsonl") || plain.endsWith(".ndjson")) return "jsonl";
  return undefined;
}

function openSource(source: string | Readable): AsyncIterable<Uint8Array | string> {
  if (typeof source !== "string") return source;
  const file = createReadStream(source);
  if (!source.toLowerCase().endsWith(".gz")) return file;
  // pipeline forwards an error of either stream to the gunzip stream, so iteration rejects with it.
  return pipeline(file, createGunzip(), () => {});
}

/** Splits a byte or text stream into lines (without their \n or \r\n), decoding UTF-8 across chunks. */
async function* lines(chunks: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8", { ignoreBOM: false });
  let pending = "";
  for await (const chunk of chunks) {
    pending += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let end = pending.indexOf("\n"); end !== -1; end = pending.indexOf("\n", start)) {
      yield stripCarriageReturn(pending.slice(start, end));
      start = end + 1;
    }
    pending = pending.slice(start);
  }
  pending += decoder.decode();
  if (pending !== "") yield stripCarriageReturn(pending);
}

function stripCarriageReturn(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/** Growable typed columns, filled one validated event at a time. */
class ColumnBuilder {
  sawHeader = false;
  private length = 0;
  private actions = new Int32Array(1024);
  private rewards = new Float64Array(1024);
  private propensities = new Float64Array(1024);
  private contexts = new Float64Array(0);
  dimension = -1;
  private maxAction = -1;
  private readonly space: ReturnType<typeof resolveActionSpace> | undefined;

  constructor(options: EventFileOptions) {
    this.space =
      options.actionIds === undefined && options.actionCount === undefined
        ? undefined
        : resolveActionSpace(options, "options");
  }

  /** Converts a raw action value (string from CSV, string or number from JSON) to its index. */
  actionIndex(raw: unknown, field: string): number {
    if (this.space?.lookup !== undefined) {
      return toActionIndex(
        typeof raw === "number" ? String(raw) : raw,
        this.space.actionCount,
        this.space.lookup,
        field,
      );
    }
    const value = typeof raw === "string" && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
      throw new RangeError(
        `\`${field}\` must be an action index (an integer ≥ 0; pass \`actionIds\` to read ids); ` +
          `received ${describeValue(raw)}`,
      );
    }
    if (this.space !== undefined) toActionIndex(value, this.space.actionCount, undefined, field);
    return value;
  }

  push(action: number, reward: number, propensity: number, context: ArrayLike<number> | undefined): void {
    const dimension = context === undefined ? 0 : context.length;
    if (this.dimension === -1) {
      this.dimension = dimension;
      this.contexts = new Float64Array(this.actions.length * dimension);
    } else if (dimension !== this.dimension) {
      throw new RangeError(
        `the context must have ${this.dimension} values like the rows before it; received ${dimension}`,
      );
    }
    if (this.length === this.actions.length) this.grow();
    const i = this.length++;
    this.actions[i] = action;
    this.rewards[i] = reward;
    this.propensities[i] = propensity;
    if (context !== undefined) this.contexts.set(context, i * dimension);
    if (action > this.maxAction) this.maxAction = action;
  }

  private grow(): void {
    const capacity = this.actions.length * 2;
    const actions = new Int32Array(capacity);
    actions.set(this.actions);
    this.actions = actions;
    const rewards = new Float64Array(capacity);
    rewards.set(this.rewards);
    this.rewards = rewards;
    const propensities = new Float64Array(capacity);
    propensities.set(this.propensities);
    this.propensities = propensities;
    const contexts = new Float64Array(capacity * Math.max(this.dimension, 0));
    contexts.set(this.contexts);
    this.contexts = contexts;
  }

  build(name: string): LoggedEvents {
    const n = this.length;
    const dimension = Math.max(this.dimension, 0);
    if (this.space === undefined && n === 0) {
      throw new RangeError(
        `${name}: no events, so the number of actions is unknown; pass \`actionCount\` or \`actionIds\``,
      );
    }
    return {
      length: n,
      actionCount: this.space?.actionCount ?? this.maxAction + 1,
      actionIds: this.space?.actionIds,
      actions: this.actions.slice(0, n),
      rewards: this.rewards.slice(0, n),
      propensities: this.propensities.slice(0, n),
      contexts: this.contexts.slice(0, n * dimension),
      dimension,
    };
  }
}

function csvLineParser(options: EventFileOptions, columns: ColumnBuilder): (line: string) => void {
  const delimiter = options.delimiter ?? ",";
  if (typeof delimiter !== "string" || delimiter.length !== 1 || delimiter === '"') {
    throw new RangeError(
      `\`delimiter\` must be one character other than a quote; received ${describeValue(delimiter)}`,
    );
  }
  const actionField = options.actionField ?? "action";
  const rewardField = options.rewardField ?? "reward";
  const propensityField = options.propensityField ?? "propensity";
  const contextFields =
    options.contextFields === undefined
      ? []
      : typeof options.contextFields === "string"
        ? [options.contextFields]
        : options.contextFields;
  let width = 0;
  let actionColumn = -1;
  let rewardColumn = -1;
  let propensityColumn = -1;
  let contextColumns: number[] = [];
  let context: Float64Array | undefined;

  return (line) => {
    const fields = splitCsvLine(line, delimiter);
    if (!columns.sawHeader) {
      columns.sawHeader = true;
      if (fields.length > 0) fields[0] = fields[0].replace(/^\uFEFF/, "");
      width = fields.length;
      const find = (column: string, option: string): number => {
        const index = fields.indexOf(column);
        if (index === -1) {
          const shown =
            fields
              .slice(0, 12)
              .map((f) => JSON.stringify(f))
              .join(", ") + (fields.length > 12 ? ", …" : "");
          throw new RangeError(
            `the header has no column ${JSON.stringify(column)} (\`${option}\`); its columns are ${shown}`,
          );
        }
        return index;
      };
      actionColumn = find(actionField, "actionField");
      rewardColumn = find(rewardField, "rewardField");
      propensityColumn = find(propensityField, "propensityField");
      contextColumns = contextFields.map((column) => find(column, "contextFields"));
      context = contextColumns.length === 0 ? undefined : new Float64Array(contextColumns.length);
      return;
    }
    if (fields.length !== width)
      throw new RangeError(`expected ${width} fields like the header; received ${fields.length}`);
    const action = columns.actionIndex(fields[actionColumn], actionField);
    const reward = checkRewardValue(parseNumber(fields[rewardColumn]), rewardField);
    const propensity = checkPropensityValue(parseNumber(fields[propensityColumn]), propensityField);
    if (context !== undefined) {
      for (let j = 0; j < contextColumns.length; j++) {
        context[j] = checkRewardValue(parseNumber(fields[contextColumns[j]]), contextFields[j]);
      }
    }
    columns.push(action, reward, propensity, context);
  };
}

/**
 * A CSV number: `Number` of the trimmed text, except that an empty field is not 0 but stays a
 * string (and fails the check).
 */
function parseNumber(text: string): number | string {
  const trimmed = text.trim();
  if (trimmed === "") return text;
  const value = Number(trimmed);
  return Number.isNaN(value) && trimmed !== "NaN" ? text : value;
}

function jsonLineParser(options: EventFileOptions, columns: ColumnBuilder): (line: string) => void {
  const actionField = options.actionField ?? "action";
  const rewardField = options.rewardField ?? "reward";
  const propensityField = options.propensityField ?? "propensity";
  const explicit = options.contextFields;
  let contextField: string | readonly string[] | undefined = explicit;
  let first = true;

  return (line) => {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new SyntaxError(`not valid JSON (${(error as Error).message})`);
    }
    if (row === null || typeof row !== "object" || Array.isArray(row)) {
      throw new TypeError(`each line must be a JSON object; received ${describeValue(row)}`);
    }
    const record = row as Record<string, unknown>;
    if (first) {
      first = false;
      if (explicit === undefined && "context" in record) contextField = "context";
    }
    if (!(actionField in record))
      throw new RangeError(`the event has no field ${JSON.stringify(actionField)} (\`actionField\`)`);
    const action = columns.actionIndex(record[actionField], actionField);
    const reward = checkRewardValue(record[rewardField], rewardField);
    const propensity = checkPropensityValue(record[propensityField], propensityField);
    columns.push(action, reward, propensity, readJsonContext(record, contextField));
  };
}

function readJsonContext(
  record: Record<string, unknown>,
  field: string | readonly string[] | undefined,
): ArrayLike<number> | undefined {
  if (field === undefined) return undefined;
  const names = typeof field === "string" ? undefined : field;
  const values: unknown[] =
    names !== undefined
      ? names.map((name) => record[name])
      : Array.isArray(record[field as string])
        ? (record[field as string] as unknown[])
        : [record[field as string]];
  const context = new Float64Array(values.length);
  for (let j = 0; j < values.length; j++) {
    const value = values[j];
    const label = names !== undefined ? names[j] : `${field as string}[${j}]`;
    context[j] = checkRewardValue(value, label);
  }
  return context;
}
