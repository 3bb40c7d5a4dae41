/**
 * `linucb runs [--json]`: the training runs (newest first: cadence, status, counts, the policy
 * version produced, the error of a failed or abandoned run) and the policy versions, the active
 * one marked. Argument parsing, opening the database and printing only; the queries are
 * src/store (listTrainingRuns, listPolicyVersions).
 */
import {
  DEFAULT_DATA_DIR,
  StoreError,
  describeDatabaseTarget,
  ensureSchema,
  listPolicyVersions,
  listTrainingRuns,
  openDatabase,
  readActivePolicyVersionId,
  type Db,
  type PolicyVersionListing,
  type TrainingRun,
} from "../../store/index.js";
import { databaseOptions, integerOption, parseOptions } from "../arguments.js";
import { ExitCode, UsageError, type Command, type CommandIO } from "../command.js";

const DEFAULT_LIMIT = 20;

const help = `Usage: linucb runs [options]

Lists the training runs, newest first — cadence, status (running, succeeded, failed, or abandoned:
left running by a process that died, marked so by the next cadence of its mode), rows read and
rejected, the policy version produced — and the policy versions, the active one marked with *.

Options:
  --database-url URL    PostgreSQL to use (default: $DATABASE_URL)
  --data-dir DIR        embedded database folder, used when there is no URL (default: ${DEFAULT_DATA_DIR})
  --limit N             at most N runs and N versions (default: ${DEFAULT_LIMIT})
  --json                print { trainingRuns, policyVersions, activePolicyVersionId } as JSON
  -h, --help            show this help

Exit codes: 0 listed, 1 the database failed, 2 usage error.`;

function time(date: Date | null): string {
  return date === null ? "—" : date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The runs as a table, with the error of each failed or abandoned run under it. */
export function formatRuns(runs: readonly TrainingRun[]): string {
  if (runs.length === 0) return "training runs: none";
  const header =
    "     id  cadence           status      started               finished              rows read  rejected  version";
  const lines = ["training runs (newest first)", header];
  for (const run of runs) {
    const version = run.policyVersionId === null ? "—" : `v${run.policyVersionId}${run.promoted ? " (promoted)" : ""}`;
    lines.push(
      `${String(run.id).padStart(7)}  ${run.cadence.padEnd(16)}  ${run.status.padEnd(10)}  ` +
        `${time(run.startedAt).padEnd(20)}  ${time(run.finishedAt).padEnd(20)}  ` +
        `${String(run.rowsRead).padStart(9)}  ${String(run.rowsRejected).padStart(8)}  ${version}`,
    );
    if (run.error !== null)
      lines.push(`         ${run.error.length > 200 ? `${run.error.slice(0, 197)}...` : run.error}`);
  }
  return lines.join("\n");
}

/** The versions as a table, the active one marked with `*`. */
export function formatVersions(versions: readonly PolicyVersionListing[]): string {
  if (versions.length === 0) return "policy versions: none (no policy is active)";
  const lines = ["policy versions (newest first; * active)", "       id  created               run      bytes  sha256"];
  for (const v of versions) {
    lines.push(
      `${v.active ? "*" : " "} ${String(v.id).padStart(6)}  ${time(v.createdAt).padEnd(20)}  ` +
        `${String(v.trainingRunId).padStart(5)}  ${String(v.byteLength).padStart(9)}  ` +
        `${v.sha256.slice(0, 16)}${v.active ? `  active since ${time(v.activatedAt)}` : ""}`,
    );
  }
  return lines.join("\n");
}

/** The `runs` command. */
export const command: Command = {
  summary: "List training runs and policy versions (the active one marked)",
  help,
  async run(argv: readonly string[], io: CommandIO): Promise<number> {
    const values = parseOptions(argv, {
      "database-url": { type: "string" },
      "data-dir": { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean", default: false },
    });
    const limit = integerOption(values.limit, "--limit", DEFAULT_LIMIT, 1_000_000, 1);
    const options = databaseOptions(values, io, "runs");

    let db: Db | undefined;
    try {
      io.stderr.write(`linucb runs: ${describeDatabaseTarget(options)}\n`);
      try {
        db = await openDatabase(options);
      } catch (error) {
        // A malformed --database-url is a usage error, not a database failure.
        if (error instanceof TypeError) throw new UsageError(error.message);
        throw error;
      }
      await ensureSchema(db);
      const trainingRuns = await listTrainingRuns(db, { limit });
      const policyVersions = await listPolicyVersions(db, { limit });
      // The active version may be older than the listed ones: looked up apart.
      const activePolicyVersionId = await readActivePolicyVersionId(db);
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ trainingRuns, policyVersions, activePolicyVersionId }, null, 2)}\n`);
      } else {
        const active = activePolicyVersionId === null ? "none" : `version ${activePolicyVersionId}`;
        const activeLine = `active policy: ${active}`;
        io.stdout.write(`${formatRuns(trainingRuns)}\n\n${formatVersions(policyVersions)}\n\n${activeLine}\n`);
      }
      return ExitCode.ok;
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      io.stderr.write(`linucb runs: ${error.message}\n`);
      return ExitCode.failed;
    } finally {
      await db?.close();
    }
  },
};
