/**
 * `linucb migrate up|down|status`: applies, reverts or lists the outcome store's schema migrations,
 * on PostgreSQL (--database-url or DATABASE_URL) or on the embedded database (--data-dir). Argument
 * parsing and printing only; the work is src/store/migrator.ts.
 */
import { parseArgs } from "node:util";
import type { Db } from "../../store/db.js";
import { StoreError } from "../../store/errors.js";
import { migrateDown, migrateUp, migrationStatus, type MigrationStatus } from "../../store/migrator.js";
import { DEFAULT_DATA_DIR, describeDatabaseTarget, openDatabase } from "../../store/open-database.js";
import { databaseOptions } from "../arguments.js";
import { ExitCode, UsageError, type Command, type CommandIO } from "../command.js";

const help = `Usage: linucb migrate up|down|status [options]

Brings the outcome store's schema up to date, reverts migrations, or lists them. Commands that
need the schema apply missing migrations themselves; this command is for doing it explicitly
(deploys, rollbacks, inspection).

Actions:
  up                    apply every missing migration, in order (or up to --to N)
  down                  revert the newest migration (or down to --to N, or --all)
  status                list the migrations and whether each is applied

Options:
  --database-url URL    PostgreSQL to use (default: $DATABASE_URL)
  --data-dir DIR        embedded database folder, used when there is no URL
                        (default: ${DEFAULT_DATA_DIR})
  --to N                target version: up applies up to N; down reverts until N is the newest
  --all                 down: revert every migration (same as --to 0)
  --json                status: print the status as JSON
  -h, --help            show this help

Each migration runs in its own transaction: a failing one leaves the schema at the version before.

Exit codes: 0 done, 1 the database failed or refused, 2 usage error.`;

function parseVersion(text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--to must be a version number (0, 1, 2, …); received ${JSON.stringify(text)}`);
  return Number(text);
}

function formatStatus(status: MigrationStatus): string {
  const nameWidth = Math.max(4, ...status.migrations.map((m) => m.name.length), ...status.unknown.map((m) => m.name.length));
  const lines = [`version  ${"name".padEnd(nameWidth)}  applied`];
  for (const m of status.migrations) {
    const applied = m.appliedAt === null ? "pending" : `${m.appliedAt.toISOString()}${m.unchanged ? "" : "  (edited since it was applied)"}`;
    lines.push(`${String(m.version).padStart(7)}  ${m.name.padEnd(nameWidth)}  ${applied}`);
  }
  for (const m of status.unknown) lines.push(`${String(m.version).padStart(7)}  ${m.name.padEnd(nameWidth)}  applied, unknown to this version of linucb`);
  lines.push(`schema version ${status.current} of ${status.latest}`);
  return lines.join("\n");
}

/** The `migrate` command. */
export const command: Command = {
  summary: "Apply, revert or list the outcome store's schema migrations",
  help,
  async run(argv: readonly string[], io: CommandIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        "database-url": { type: "string" },
        "data-dir": { type: "string" },
        to: { type: "string" },
        all: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
      },
    });
    const [action, ...extra] = positionals;
    if (action !== "up" && action !== "down" && action !== "status") {
      throw new UsageError(`expected an action: up, down or status; received ${action === undefined ? "none" : JSON.stringify(action)}`);
    }
    if (extra.length > 0) throw new UsageError(`unexpected arguments after ${action}: ${extra.map((p) => JSON.stringify(p)).join(" ")}`);
    if (values.all && action !== "down") throw new UsageError("--all applies to down only");
    if (values.all && values.to !== undefined) throw new UsageError("give --to or --all, not both");
    if (values.to !== undefined && action === "status") throw new UsageError("--to applies to up and down only");
    if (values.json && action !== "status") throw new UsageError("--json applies to status only");
    const to = values.all ? 0 : values.to === undefined ? undefined : parseVersion(values.to);
    const options = databaseOptions(values, io, "migrate");

    let db: Db | undefined;
    try {
      // Before opening: creating an embedded database takes several seconds the first time.
      io.stderr.write(`linucb migrate: ${describeDatabaseTarget(options)}\n`);
      try {
        db = await openDatabase(options);
      } catch (error) {
        // A malformed --database-url is a usage error, not a database failure.
        if (error instanceof TypeError) throw new UsageError(error.message);
        throw error;
      }
      if (action === "status") {
        const status = await migrationStatus(db);
        io.stdout.write(`${values.json ? JSON.stringify(status, null, 2) : formatStatus(status)}\n`);
        return ExitCode.ok;
      }
      const latest = (await migrationStatus(db)).latest;
      if (to !== undefined && to > latest) throw new UsageError(`--to must be at most the latest version, ${latest}; received ${to}`);
      const changed = action === "up" ? await migrateUp(db, { to }) : await migrateDown(db, { to });
      for (const m of changed) io.stdout.write(`${action === "up" ? "applied" : "reverted"} ${String(m.version).padStart(3, "0")}_${m.name}\n`);
      const now = (await migrationStatus(db)).current;
      io.stdout.write(changed.length === 0 ? `nothing to do: schema version ${now} of ${latest}\n` : `schema version ${now} of ${latest}\n`);
      return ExitCode.ok;
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      io.stderr.write(`linucb migrate: ${error.message}\n`);
      return ExitCode.failed;
    } finally {
      await db?.close();
    }
  },
};
