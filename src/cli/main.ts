/**
 * `linucb` command-line entry: argv → one command module → exit code. No logic of its own.
 * Commands are loaded lazily so that `linucb synth` does not pay for loading the database drivers.
 */
import { ExitCode, UsageError, type Command, type CommandIO } from "./command.js";

/** Every subcommand, loaded on demand. Add a line here for a new command file. */
const commands: Readonly<Record<string, () => Promise<{ command: Command }>>> = {
  migrate: () => import("./commands/migrate.js"),
  evaluate: () => import("./commands/evaluate.js"),
  synth: () => import("./commands/synth.js"),
  gate: () => import("./commands/gate.js"),
  cadence: () => import("./commands/cadence.js"),
  serve: () => import("./commands/serve.js"),
  import: () => import("./commands/import.js"),
};

function listing(): string {
  const names = Object.keys(commands).sort();
  return [
    "Usage: linucb <command> [options]",
    "",
    "Commands:",
    ...names.map((name) => `  ${name}`),
    "",
    "Run `linucb <command> --help` for the options of one command.",
  ].join("\n");
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(`${listing()}\n`);
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const load = commands[name];
  if (load === undefined) {
    io.stderr.write(`linucb: unknown command ${JSON.stringify(name)}\n\n${listing()}\n`);
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
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.stderr.write(`linucb ${name}: ${(error as Error).message}\n\n${command.help}\n`);
      return ExitCode.usage;
    }
    io.stderr.write(`linucb ${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.failed;
  }
}

/** node:util parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown or malformed options. */
function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}
