/**
 * Opens the database a command or a job should use: a real PostgreSQL when a URL is given, else
 * embedded PGlite in a data folder (default `./.linucb/db`), so that everything runs with no server.
 */
import { resolve } from "node:path";
import type { Db } from "./db.js";
import { describeValue } from "./errors.js";
import { parseDatabaseUrl, redactUrl } from "./redact-url.js";

/** Where the embedded database lives when neither a URL nor a folder is given. */
export const DEFAULT_DATA_DIR = "./.linucb/db";

/** Options of {@link openDatabase}. Give at most one of `databaseUrl` and `dataDir`. */
export interface OpenDatabaseOptions {
  /** A PostgreSQL URL (`postgres://…`): use the real server through `pg`. */
  readonly databaseUrl?: string;
  /** A folder for embedded PGlite. @default DEFAULT_DATA_DIR (`./.linucb/db`) */
  readonly dataDir?: string;
  /** Where warnings go (a stale lock taken over, an idle connection lost). @default stderr */
  readonly onWarning?: (message: string) => void;
}

const warnOnStderr = (message: string): void => {
  process.stderr.write(`linucb: ${message}\n`);
};

/**
 * Opens PostgreSQL (`databaseUrl`) or PGlite (`dataDir`, default `./.linucb/db`). The drivers are
 * imported lazily: a PostgreSQL user never loads PGlite's WebAssembly, and vice versa.
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Db> {
  const { databaseUrl, dataDir } = options;
  if (databaseUrl !== undefined && (typeof databaseUrl !== "string" || databaseUrl === "")) {
    throw new TypeError(`databaseUrl must be a non-empty string; received ${describeValue(databaseUrl)}`);
  }
  if (dataDir !== undefined && (typeof dataDir !== "string" || dataDir === "")) {
    throw new TypeError(`dataDir must be a non-empty string; received ${describeValue(dataDir)}`);
  }
  if (databaseUrl !== undefined && dataDir !== undefined) {
    throw new TypeError(`give databaseUrl or dataDir, not both; received databaseUrl and dataDir ${describeValue(dataDir)}`);
  }
  const onWarning = options.onWarning ?? warnOnStderr;
  if (databaseUrl !== undefined) {
    parseDatabaseUrl(databaseUrl); // before loading the driver: a file:// or http:// URL is refused
    const { openPostgresDb } = await import("./postgres-db.js");
    return openPostgresDb({ url: databaseUrl, onWarning });
  }
  const { openPgliteDb } = await import("./pglite-db.js");
  return openPgliteDb({ dataDir: dataDir ?? DEFAULT_DATA_DIR, onWarning });
}

/** Where {@link openDatabase} would go with these options, for messages (password hidden). */
export function describeDatabaseTarget(options: OpenDatabaseOptions = {}): string {
  return options.databaseUrl !== undefined
    ? `PostgreSQL at ${redactUrl(options.databaseUrl)}`
    : `the embedded database in ${resolve(options.dataDir ?? DEFAULT_DATA_DIR)}`;
}
