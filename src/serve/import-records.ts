/**
 * Reading an outcome log for `linucb import`, line by line: JSON Lines (one object per line) or CSV
 * with a header row (through csv-parse). Each record comes with its line number in the file, and a
 * line that cannot even be parsed comes as an error with its line number instead, so one bad line
 * never stops the rest. `bytesRead` follows the file for a progress bar.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { importOptional } from "./optional-dependency.js";

/** One line of the file: its fields, or why it could not be parsed. */
export type ImportRecord =
  | { readonly line: number; readonly fields: Record<string, unknown> }
  | { readonly line: number; readonly error: string };

/** The file formats `linucb import` reads. */
export type ImportFormat = "jsonl" | "csv";

/** A record stream and how far into the file it has read. */
export interface RecordSource {
  readonly records: AsyncIterable<ImportRecord>;
  /** Bytes of the file consumed so far. */
  bytesRead(): number;
}

/** The format a file name implies (`.csv` → csv, `.jsonl` / `.ndjson` / `.json` → jsonl), or null. */
export function formatOfPath(path: string): ImportFormat | null {
  const lower = path.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson") || lower.endsWith(".json")) return "jsonl";
  return null;
}

async function* jsonlRecords(stream: NodeJS.ReadableStream): AsyncGenerator<ImportRecord> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield { line, error: `not valid JSON (${(error as Error).message})` };
      continue;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      yield {
        line,
        error: `a line must be a JSON object; received ${Array.isArray(value) ? "an array" : JSON.stringify(value)}`,
      };
      continue;
    }
    yield { line, fields: value as Record<string, unknown> };
  }
}

async function* csvRecords(stream: NodeJS.ReadableStream): AsyncGenerator<ImportRecord> {
  const { parse } = await importOptional(() => import("csv-parse"), ["csv-parse"], "linucb import of CSV files");
  const parser = stream.pipe(
    parse({
      columns: (header: string[]) => header.map((name) => name.trim()),
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      skip_records_with_error: false,
    }),
  );
  let lastLine = 1;
  let invalidSoFar = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number; invalid_field_length: number };
    }>) {
      lastLine = info.lines;
      // csv-parse counts records of the wrong length so far: this one is bad if the count moved.
      const wrongLength = info.invalid_field_length > invalidSoFar;
      invalidSoFar = info.invalid_field_length;
      if (wrongLength) {
        yield { line: info.lines, error: "the number of fields differs from the header's" };
        continue;
      }
      // Empty CSV fields are absent values.
      const fields: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(record)) if (value !== "") fields[key] = value;
      yield { line: info.lines, fields };
    }
  } catch (error) {
    // Broken quoting leaves the parser nowhere to resume from: report it and stop reading.
    const line = (error as { lines?: number }).lines ?? lastLine + 1;
    yield { line, error: `CSV syntax error, the rest of the file was not read: ${(error as Error).message}` };
  }
}

/** Opens `path` as `format`. Malformed CSV quoting ends the file with an error naming its line. */
export function readImportRecords(path: string, format: ImportFormat): RecordSource {
  const stream = createReadStream(path);
  return {
    records: format === "csv" ? csvRecords(stream) : jsonlRecords(stream),
    bytesRead: () => stream.bytesRead,
  };
}
