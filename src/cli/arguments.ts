/**
 * Parsing of option values shared by commands: each failure is a UsageError that names the option
 * and quotes the value received (exit code 2).
 */
import { DEFAULT_DATA_DIR, type OpenDatabaseOptions } from "../store/open-database.js";
import { UsageError, type CommandIO } from "./command.js";

/** An integer option in [min, max], or `fallback` when absent. */
export function integerOption(text: string | undefined, option: string, fallback: number, max: number, min = 0): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`\`${option}\` must be an integer in [${min}, ${max}]; received ${JSON.stringify(text)}`);
  }
  return value;
}

/** A finite number option in [min, max], or `fallback` when absent. */
export function numberOption(text: string | undefined, option: string, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`\`${option}\` must be a number in [${min}, ${max}]; received ${JSON.stringify(text)}`);
  }
  return value;
}

/**
 * Which database the flags and environment select for a command: --database-url, else
 * --data-dir, else $DATABASE_URL, else the embedded default. The store's warnings go to stderr,
 * prefixed with the command.
 */
export function databaseOptions(
  values: { readonly "database-url"?: string; readonly "data-dir"?: string },
  io: CommandIO,
  command: string,
): OpenDatabaseOptions {
  const url = values["database-url"];
  const dataDir = values["data-dir"];
  if (url !== undefined && dataDir !== undefined) {
    throw new UsageError(`give --database-url or --data-dir, not both; received both (--data-dir ${JSON.stringify(dataDir)})`);
  }
  const onWarning = (message: string): void => {
    io.stderr.write(`linucb ${command}: ${message}\n`);
  };
  if (url !== undefined) return { databaseUrl: url, onWarning };
  if (dataDir !== undefined) return { dataDir, onWarning };
  const fromEnvironment = io.env.DATABASE_URL;
  if (fromEnvironment !== undefined && fromEnvironment !== "") return { databaseUrl: fromEnvironment, onWarning };
  return { dataDir: DEFAULT_DATA_DIR, onWarning };
}
