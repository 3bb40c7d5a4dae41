/**
 * Parsing of option values shared by commands: each failure is a UsageError that names the option
 * and quotes the value received (exit code 2).
 */
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { DEFAULT_DATA_DIR, type OpenDatabaseOptions } from "../store/open-database.js";
import { parseDatabaseUrl } from "../store/redact-url.js";
import { CommandError, UsageError, type CommandIO } from "./command.js";

/** The option declarations `parseArgs` takes. */
type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/** What {@link parseOptions} returns: the typed values of `T`'s options. */
export type OptionValues<T extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>
>["values"];

/**
 * Parses a command's options the way every command does — strict (an unknown option is a usage
 * error) and with no positional argument: one is refused naming it (`hint` says where it belongs).
 */
export function parseOptions<T extends OptionsConfig>(argv: readonly string[], options: T, hint = ""): OptionValues<T> {
  const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}${hint}`);
  return values;
}

/** An integer option in [min, max], or `fallback` when absent. */
export function integerOption(
  text: string | undefined,
  option: string,
  fallback: number,
  max: number,
  min = 0,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`\`${option}\` must be an integer in [${min}, ${max}]; received ${JSON.stringify(text)}`);
  }
  return value;
}

/** A finite number option in [min, max], or `fallback` when absent. */
export function numberOption(
  text: string | undefined,
  option: string,
  fallback: number,
  min: number,
  max: number,
): number {
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
    throw new UsageError(
      `give --database-url or --data-dir, not both; received both (--data-dir ${JSON.stringify(dataDir)})`,
    );
  }
  const onWarning = (message: string): void => {
    io.stderr.write(`linucb ${command}: ${message}\n`);
  };
  if (url !== undefined) return { databaseUrl: checkedUrl(url, "--database-url"), onWarning };
  const fromEnvironment = io.env.DATABASE_URL;
  if (dataDir === undefined && fromEnvironment !== undefined && fromEnvironment !== "") {
    return { databaseUrl: checkedUrl(fromEnvironment, "DATABASE_URL"), onWarning };
  }
  const folder = dataDir ?? DEFAULT_DATA_DIR;
  // Before the run: the lockfile goes beside the folder, the database in it.
  const named = dataDir === undefined ? "the embedded database folder" : "--data-dir";
  assertWritableFolder(
    dirname(resolve(folder)),
    `${dataDir === undefined ? "the embedded database's" : "--data-dir's"} parent folder`,
  );
  if (existsSync(folder)) assertWritableFolder(folder, named);
  return { dataDir: folder, onWarning };
}

/** `url` if it is a PostgreSQL URL; a UsageError naming `source` and the (redacted) value otherwise. */
function checkedUrl(url: string, source: string): string {
  try {
    parseDatabaseUrl(url);
  } catch (error) {
    throw new UsageError(`${source}: ${(error as Error).message}`);
  }
  return url;
}

/**
 * Checks, before a command starts its work, that `folder` can be created and written: creates it
 * (with its parents) and writes and deletes a probe file in it. A real write, not access(2): root
 * passes access() on a read-only file system. Throws CommandError (one line, exit 1) naming `what`,
 * the folder and the reason.
 */
export function assertWritableFolder(folder: string, what: string): void {
  const path = resolve(folder);
  try {
    mkdirSync(path, { recursive: true });
    const probe = join(path, `.linucb-write-check-${process.pid}`);
    writeFileSync(probe, "");
    unlinkSync(probe);
  } catch (error) {
    throw new CommandError(`${what} ${path} cannot be written: ${errnoReason(error)}`, { cause: error });
  }
}

/**
 * Runs `write` (files written after the work is done, such as reports) and returns its result; a
 * failure is printed as a one-line warning and gives null, so that it never fails a command whose
 * work (a recorded run, a promotion) is already done.
 */
export function afterTheWork<T>(what: string, io: CommandIO, command: string, write: () => T): T | null {
  try {
    return write();
  } catch (error) {
    const reason = describeFileSystemError(error) ?? (error instanceof Error ? error.message : String(error));
    io.stderr.write(`linucb ${command}: warning: ${what} failed, the rest stands: ${reason}\n`);
    return null;
  }
}

const ERRNO_REASONS: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOTDIR: "a part of the path is a file, not a folder",
  EEXIST: "a file of that name is in the way",
  EISDIR: "it is a folder",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  ENOENT: "no such file or folder",
  ENAMETOOLONG: "the name is too long",
};

function errnoReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code !== undefined && code in ERRNO_REASONS ? `${ERRNO_REASONS[code]} (${code})` : (error as Error).message;
}

/**
 * One line for an error of the file system (a folder that cannot be written after all, a disk
 * full), or undefined for any other error.
 */
export function describeFileSystemError(error: unknown): string | undefined {
  const errno = error as NodeJS.ErrnoException | null;
  if (typeof errno?.code !== "string" || !(errno.code in ERRNO_REASONS) || typeof errno.syscall !== "string")
    return undefined;
  return `cannot ${errno.syscall} ${errno.path ?? "a file"}: ${errnoReason(error)}`;
}

/** The version in linucb's package.json, found upwards from this module (src/ under tests, dist/src/ once built). */
export function packageVersion(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth++) {
    const candidate = join(folder, "package.json");
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, "utf8")) as { name?: string; version?: string };
      if (manifest.name === "linucb" && typeof manifest.version === "string") return manifest.version;
    }
    folder = dirname(folder);
  }
  return "unknown";
}
