/**
 * `linucb migrate up|down|status|retire-synthetic`: applies, reverts or lists the outcome store's
 * schema migrations, or retires the synthetic table, on PostgreSQL (--database-url or DATABASE_URL) or
 * on the embedded database (--data-dir). Argument parsing and printing only; the work is in src/store/.
 */
import { parseArgs } from "node:util";
import type { Db } from "../../store/db.js";
import { StoreError } from "../../store/errors.js";
import { describeDataLoss, type DataLoss } from "../../store/down-data-loss.js";
import { ensureSchema, migrateDown, migrateUp, migrationStatus, type MigrationStatus } from "../../store/migrator.js";
import type { Migration } from "../../store/migrations/index.js";
import { retireSyntheticOutcomes } from "../../store/retire-synthetic.js";
import { DEFAULT_DATA_DIR, describeDatabaseTarget, openDatabase } from "../../store/open-database.js";
import { databaseOptions } from "../arguments.js";
import { ExitCode, UsageError, type Command, type CommandIO } from "../command.js";

const help = `Usage: linucb migrate up|down|status|retire-synthetic [options]

Brings the outcome store's schema up to date, reverts migrations, or lists them. Commands that
need the schema apply missing migrations themselves; this command is for doing it explicitly
(deploys, rollbacks, inspection).

Actions:
  up                    apply every missing migration, in order (or up to --to N)
  down                  revert the newest migration (or down to --to N, or --all); refused,
                        with what would be lost (rows per table), when it would drop stored
                        data, unless --force
  status                list the migrations and whether each is applied
  retire-synthetic      delete every synthetic outcome (the table stays, empty), keeping
                        training runs and policy versions; refused while it has rows, unless
                        --force

Options:
  --database-url URL    PostgreSQL to use (default: $DATABASE_URL)
  --data-dir DIR        embedded database folder, used when there is no URL
                        (default: ${DEFAULT_DATA_DIR})
  --to N                target version: up applies up to N; down reverts until N is the newest
  --all                 down: revert every migration (same as --to 0)
  --force               down, retire-synthetic: drop the stored data they would drop
  --json                status: print the status as JSON
  -h, --help            show this help

Each migration runs in its own transaction: a failing one leaves the schema at the version before.
A forced down also clears the references other tables hold into the tables it drops (e.g. the
training runs' policy ids), so that \`migrate up\` always works afterwards.

Exit codes: 0 done, 1 the database failed or refused, 2 usage error.`;

function parseVersion(text: string): number {
  if (!/^\d+$/.test(text))
    throw new UsageError(`--to must be a version number (0, 1, 2, …); received ${JSON.stringify(text)}`);
  return Number(text);
}

function formatStatus(status: MigrationStatus): string {
  const nameWidth = Math.max(
    4,
    ...status.migrations.map((m) => m.name.length),
    ...status.unknown.map((m) => m.name.length),
  );
  const lines = [`version  ${"name".padEnd(nameWidth)}  applied`];
  for (const m of status.migrations) {
    const applied =
      m.appliedAt === null
        ? "pending"
        : `${m.appliedAt.toISOString()}${m.unchanged ? "" : "  (edited since it was applied)"}`;
    lines.push(`${String(m.version).padStart(7)}  ${m.name.padEnd(nameWidth)}  ${applied}`);
  }
  for (const m of status.unknown)
    lines.push(
      `${String(m.version).padStart(7)}  ${m.name.padEnd(nameWidth)}  applied, unknown to this version of linucb`,
    );
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
        force: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
      },
    });
    const [action, ...extra] = positionals;
    if (action !== "up" && action !== "down" && action !== "status" && action !== "retire-synthetic") {
      const received = action === undefined ? "none" : JSON.stringify(action);
      throw new UsageError(`expected an action: up, down, status or retire-synthetic; received ${received}`);
    }
    if (extra.length > 0)
      throw new UsageError(`unexpected arguments after ${action}: ${extra.map((p) => JSON.stringify(p)).join(" ")}`);
    if (values.all && action !== "down") throw new UsageError("--all applies to down only");
    if (values.all && values.to !== undefined) throw new UsageError("give --to or --all, not both");
    if (values.to !== undefined && action !== "up" && action !== "down")
      throw new UsageError("--to applies to up and down only");
    if (values.force && action !== "down" && action !== "retire-synthetic") {
      throw new UsageError("--force applies to down and retire-synthetic only");
    }
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
      if (action === "retire-synthetic") {
        await ensureSchema(db);
        const { rowsDeleted } = await retireSyntheticOutcomes(db, { force: values.force });
        io.stdout.write(
          `retired routing_outcomes_synthetic: ${rowsDeleted} rows deleted; training runs and policy versions kept\n`,
        );
        return ExitCode.ok;
      }
      const latest = (await migrationStatus(db)).latest;
      if (to !== undefined && to > latest)
        throw new UsageError(`--to must be at most the latest version, ${latest}; received ${to}`);
      const onDataLoss = (m: Migration, losses: readonly DataLoss[]): void => {
        io.stderr.write(
          `linucb migrate: reverting ${String(m.version).padStart(3, "0")}_${m.name} dropped ` +
            `${describeDataLoss(losses)}\n`,
        );
      };
      const changed =
        action === "up" ? await migrateUp(db, { to }) : await migrateDown(db, { to, force: values.force, onDataLoss });
      for (const m of changed)
        io.stdout.write(
          `${action === "up" ? "applied" : "reverted"} ${String(m.version).padStart(3, "0")}_${m.name}\n`,
        );
      const now = (await migrationStatus(db)).current;
      io.stdout.write(
        changed.length === 0
          ? `nothing to do: schema version ${now} of ${latest}\n`
          : `schema version ${now} of ${latest}\n`,
      );
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
