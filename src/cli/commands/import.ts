/**
 * `linucb import --file F --source prod|shadow`: loads logged outcomes (JSON Lines or CSV) into
 * routing_outcomes; the work is src/serve/import-outcomes.ts. Prints each rejected line (number and
 * reason) and a summary; a progress bar on a terminal.
 */
import { existsSync, statSync } from "node:fs";
import { importOutcomes, IMPORT_COLUMNS, type RejectedLine } from "../../serve/import-outcomes.js";
import { formatOfPath, readImportRecords, type ImportFormat } from "../../serve/import-records.js";
import {
  DEFAULT_DATA_DIR,
  StoreError,
  ensureSchema,
  openDatabase,
  readActivePolicy,
  readProdCorpusShape,
  type Db,
} from "../../store/index.js";
import { databaseOptions, integerOption, parseOptions } from "../arguments.js";
import { ExitCode, UsageError, type Command, type CommandIO } from "../command.js";

const help = `Usage: linucb import --file F --source prod|shadow [options]

Loads logged routing outcomes into routing_outcomes, for the next \`linucb cadence --mode prod\`.
JSON Lines (one object per line) or CSV with a header row; columns (README "Importing outcomes"):
  ${IMPORT_COLUMNS.join(", ")}
Each bad line is rejected with its line number and reason; the others load. Importing the same
file again adds nothing (each row has a dedupe key: its decision_id, else a hash of its content).

Options:
  --file F                  the file to load (required)
  --source prod|shadow      the rows' source (required): prod rows feed the prod refit, shadow rows never do
  --format jsonl|csv        file format (default: from the extension: .csv, .jsonl/.ndjson/.json)
  --dimension D             feature length every line must have (default: the active policy's, else
                            the prod corpus's, else the first valid line's)
  --models A,B,C            accept only these models (default: any)
  --batch-size N            lines per INSERT (default: 5000)
  --database-url URL        PostgreSQL to use (default: $DATABASE_URL)
  --data-dir DIR            embedded database folder, when there is no URL (default: ${DEFAULT_DATA_DIR})
  -h, --help                show this help

Exit codes: 0 every line loaded (or was already there), 1 some lines were rejected (the others are
loaded) or the import failed, 2 usage error.`;

/** Rejected lines printed one by one at most; the rest are counted. */
const MAX_PRINTED_REJECTIONS = 100;

function formatOption(text: string | undefined, file: string): ImportFormat {
  if (text !== undefined) {
    if (text !== "jsonl" && text !== "csv")
      throw new UsageError(`--format must be jsonl or csv; received ${JSON.stringify(text)}`);
    return text;
  }
  const format = formatOfPath(file);
  if (format === null)
    throw new UsageError(
      `cannot tell the format of ${JSON.stringify(file)} from its extension: give --format jsonl or --format csv`,
    );
  return format;
}

/** The dimension lines must have: --dimension, else the active policy's, else the prod corpus's. */
async function expectedDimension(db: Db, given: number | undefined): Promise<number | null> {
  if (given !== undefined) return given;
  const active = await readActivePolicy(db);
  const fromPolicy = active?.parameters.engine;
  if (
    typeof fromPolicy === "object" &&
    fromPolicy !== null &&
    typeof (fromPolicy as { dimension?: unknown }).dimension === "number"
  ) {
    return (fromPolicy as { dimension: number }).dimension;
  }
  return (await readProdCorpusShape(db)).dimension;
}

/** A progress line on a terminal (by bytes of the file read), redrawn at most 10 times a second. */
function progressBar(
  io: CommandIO,
  totalBytes: number,
  bytesRead: () => number,
): { update(lines: number): void; clear(): void } {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  let last = 0;
  let shown = false;
  return {
    update(lines) {
      const now = performance.now();
      if (!tty || totalBytes === 0 || now - last < 100) return;
      last = now;
      const share = Math.min(1, bytesRead() / totalBytes);
      const filled = Math.round(share * 28);
      io.stderr.write(
        `\r\x1b[2K  import [${"█".repeat(filled)}${"░".repeat(28 - filled)}] ` +
          `${lines.toLocaleString("en-US")} lines ${(share * 100).toFixed(0)}%`,
      );
      shown = true;
    },
    clear() {
      if (shown) io.stderr.write("\r\x1b[2K");
      shown = false;
    },
  };
}

/** The `import` command. */
export const command: Command = {
  summary: "Load logged outcomes (JSON Lines or CSV) into routing_outcomes",
  help,
  async run(argv: readonly string[], io: CommandIO): Promise<number> {
    const values = parseOptions(argv, {
      file: { type: "string" },
      source: { type: "string" },
      format: { type: "string" },
      dimension: { type: "string" },
      models: { type: "string" },
      "batch-size": { type: "string" },
      "database-url": { type: "string" },
      "data-dir": { type: "string" },
    });
    const file = values.file;
    if (file === undefined) throw new UsageError("--file is required");
    if (!existsSync(file) || !statSync(file).isFile())
      throw new UsageError(`--file must be a readable file; received ${JSON.stringify(file)} (no such file)`);
    const source = values.source;
    if (source !== "prod" && source !== "shadow")
      throw new UsageError(
        `--source must be prod or shadow; received ${source === undefined ? "none" : JSON.stringify(source)}`,
      );
    const format = formatOption(values.format, file);
    const dimension =
      values.dimension === undefined ? undefined : integerOption(values.dimension, "--dimension", 0, 100_000, 1);
    const models = values.models?.split(",").map((m) => m.trim());
    if (models?.some((m) => m === ""))
      throw new UsageError(
        `--models must be a comma-separated list of model ids; received ${JSON.stringify(values.models)}`,
      );
    const batchSize = integerOption(values["batch-size"], "--batch-size", 5000, 100_000, 1);

    let db: Db | undefined;
    try {
      db = await openDatabase(databaseOptions(values, io, "import"));
      await ensureSchema(db);
      const reader = readImportRecords(file, format);
      const bar = progressBar(io, statSync(file).size, reader.bytesRead);
      let printed = 0;
      const onRejected = (rejected: RejectedLine): void => {
        if (printed++ >= MAX_PRINTED_REJECTIONS) return;
        bar.clear();
        io.stderr.write(`linucb import: ${file}:${rejected.line}: rejected: ${rejected.reason}\n`);
      };
      const started = performance.now();
      const result = await importOutcomes(db, reader.records, {
        source,
        dimension: await expectedDimension(db, dimension),
        ...(models === undefined ? {} : { models }),
        batchSize,
        onProgress: (lines) => bar.update(lines),
        onRejected,
      });
      bar.clear();
      if (result.rejected.length > MAX_PRINTED_REJECTIONS) {
        io.stderr.write(
          `linucb import: … and ${result.rejected.length - MAX_PRINTED_REJECTIONS} more rejected lines\n`,
        );
      }
      const seconds = (performance.now() - started) / 1000;
      io.stdout.write(
        `${JSON.stringify({
          file,
          source,
          format,
          lines: result.lines,
          inserted: result.inserted,
          duplicates: result.duplicates,
          rejected: result.rejected.length,
          dimension: result.dimension,
          seconds: Number(seconds.toFixed(3)),
        })}\n`,
      );
      io.stderr.write(
        `linucb import: ${result.inserted} rows added to routing_outcomes (source ${source}), ${result.duplicates} ` +
          `already there, ${result.rejected.length} lines rejected, in ${seconds.toFixed(2)} s\n`,
      );
      return result.rejected.length === 0 ? ExitCode.ok : ExitCode.failed;
    } catch (error) {
      if (error instanceof StoreError) {
        io.stderr.write(`linucb import: ${error.message}\n`);
        return ExitCode.failed;
      }
      throw error;
    } finally {
      await db?.close();
    }
  },
};
