/**
 * The contract every CLI command implements. Commands parse their own argv (node:util parseArgs,
 * strict), write data to `stdout` and diagnostics to `stderr`, and return an exit code:
 * 0 success, 1 a failed gate or run, 2 a usage error (commands may add their own above 2).
 */

/** Where a command writes: data on `stdout`, diagnostics and progress on `stderr`. */
export interface CommandIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Environment variables (DATABASE_URL, …). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** One subcommand of `linucb`. */
export interface Command {
  /** One line for the command list. */
  readonly summary: string;
  /** Full `--help` text. */
  readonly help: string;
  /** Runs the command; resolves to the exit code. Throw {@link UsageError} for bad arguments. */
  run(argv: readonly string[], io: CommandIO): Promise<number>;
}

/** Exit codes shared by every command. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
} as const;

/**
 * A bad command line: printed as one line plus "see `linucb <command> --help`", exit code 2.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A failure the user can act on before or outside the command's work (a folder that cannot be
 * written, a damaged database folder): printed as its message alone, one line, exit code 1.
 */
export class CommandError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CommandError";
  }
}
