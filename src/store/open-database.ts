/**
 * Opens the database a command or a job should use: a real PostgreSQL when a URL is given, else
 * embedded PGlite in a data folder (default `./.linucb/db`), so that everything runs with no server.
 */
import { resolve } from "node:path";
import type { Db } from "./db.js";
import { StoreError, describeValue } from "./errors.js";
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
 * imported lazily: a PostgreSQL user never loads PGlite's WebAssembly, and vice versa, and neither
 * needs the other installed (both are optional peer dependencies).
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
    throw new TypeError(
      `give databaseUrl or dataDir, not both; received databaseUrl and dataDir ${describeValue(dataDir)}`,
    );
  }
  const onWarning = options.onWarning ?? warnOnStderr;
  if (databaseUrl !== undefined) {
    parseDatabaseUrl(databaseUrl); // before loading the driver: a file:// or http:// URL is refused
    const { openPostgresDb } = await loadDriver(() => import("./postgres-db.js"), "pg", "PostgreSQL (a database URL)");
    return openPostgresDb({ url: databaseUrl, onWarning });
  }
  const { openPgliteDb } = await loadDriver(
    () => import("./pglite-db.js"),
    "@electric-sql/pglite",
    "the embedded database",
  );
  return openPgliteDb({ dataDir: dataDir ?? DEFAULT_DATA_DIR, onWarning });
}

/**
 * Loads a driver module. The drivers are optional peer dependencies of linucb (an engine-only user
 * installs neither): a missing one is a StoreError `CONNECTION` saying which package to install.
 */
export async function loadDriver<T>(load: () => Promise<T>, driver: string, purpose: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const missing =
      (error as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND" &&
      (error as Error).message.includes(`'${driver}'`);
    if (!missing) throw error;
    const message =
      `${purpose} needs the package ${driver}, an optional peer dependency of linucb: npm install ` + `${driver}`;
    throw new StoreError("CONNECTION", message, { cause: error });
  }
}

/** Where {@link openDatabase} would go with these options, for messages (password hidden). */
export function describeDatabaseTarget(options: OpenDatabaseOptions = {}): string {
  return options.databaseUrl !== undefined
    ? `PostgreSQL at ${redactUrl(options.databaseUrl)}`
    : `the embedded database in ${resolve(options.dataDir ?? DEFAULT_DATA_DIR)}`;
}
