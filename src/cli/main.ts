/**
 * `linucb` command-line entry: argv → one command module → exit code, and how failures are printed
 * (one line for what the user can act on). Commands are loaded lazily so that `linucb synth` does
 * not pay for loading the database drivers (the top-level help loads them all, for their summaries).
 */
import { describeFileSystemError, packageVersion } from "./arguments.js";
import { CommandError, ExitCode, UsageError, type Command, type CommandIO } from "./command.js";

/** Every subcommand, loaded on demand. Add a line here for a new command file. */
const commands: Readonly<Record<string, () => Promise<{ command: Command }>>> = {
  migrate: () => import("./commands/migrate.js"),
  evaluate: () => import("./commands/evaluate.js"),
  synth: () => import("./commands/synth.js"),
  gate: () => import("./commands/gate.js"),
  cadence: () => import("./commands/cadence.js"),
  runs: () => import("./commands/runs.js"),
  serve: () => import("./commands/serve.js"),
  import: () => import("./commands/import.js"),
  worker: () => import("./commands/worker.js"),
};

/** The top-level help: every command with its one-line summary (loading each command module). */
async function listing(): Promise<string> {
  const names = Object.keys(commands).sort();
  const summaries = await Promise.all(names.map(async (name) => (await commands[name]!()).command.summary));
  const width = Math.max(...names.map((name) => name.length));
  return [
    "Usage: linucb <command> [options]",
    "",
    "Commands:",
    ...names.map((name, i) => `  ${name.padEnd(width)}  ${summaries[i]}`),
    "",
    "Options:",
    "  -h, --help     show this help (`linucb <command> --help`: the options of one command)",
    "  -v, --version  print the version of linucb",
  ].join("\n");
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout).write(`${await listing()}\n`);
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (name === "--version" || name === "-v") {
    io.stdout.write(`${packageVersion()}\n`);
    return ExitCode.ok;
  }
  const load = commands[name];
  if (load === undefined) {
    const known = Object.keys(commands).sort().join(", ");
    io.stderr.write(
      `linucb: unknown command ${JSON.stringify(name)}; the commands are ${known} (see \`linucb --help\`)\n`,
    );
    return ExitCode.usage;
  }
  const { command } = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(`${command.help}\n`);
    return ExitCode.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    return reportFailure(name, error, io);
  }
}

/**
 * Prints what a command threw and returns the exit code: usage errors and errors the user can act
 * on (CommandError, a file system refusal) in one line; anything else is a bug, with its stack.
 */
function reportFailure(name: string, error: unknown, io: CommandIO): number {
  if (error instanceof UsageError || isParseArgsError(error)) {
    io.stderr.write(`linucb ${name}: ${oneLine((error as Error).message)}; see \`linucb ${name} --help\`\n`);
    return ExitCode.usage;
  }
  if (error instanceof CommandError) {
    io.stderr.write(`linucb ${name}: ${oneLine(error.message)}\n`);
    return ExitCode.failed;
  }
  const reason = describeFileSystemError(error);
  if (reason !== undefined) {
    io.stderr.write(`linucb ${name}: ${reason}\n`);
    return ExitCode.failed;
  }
  io.stderr.write(`linucb ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return ExitCode.failed;
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, " ");
}

/** node:util parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown or malformed options. */
function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}
