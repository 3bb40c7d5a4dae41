/**
 * `linucb worker`: a queue worker for distributed refits (src/scale/queue-worker.ts) until SIGTERM
 * or SIGINT. Argument parsing and the log only.
 */
import { outcomeRewardJudge, runCadence } from "../../cadence/index.js";
import { queueTrainingReader } from "../../scale/queue-training.js";
import { startQueueWorker } from "../../scale/queue-worker.js";
import { databaseOptions, integerOption, parseOptions } from "../arguments.js";
import { ExitCode, UsageError, type Command, type CommandIO } from "../command.js";
import { stopSignal } from "../stop-signal.js";

const help = `Usage: linucb worker --database-url URL [options]

A worker of distributed refits: takes shard jobs from the job queue (pg-boss, in the schema
linucb_queue of the same PostgreSQL), reads each shard of the corpus into statistics with its own
connection, and writes them back for the coordinator (\`linucb cadence --mode prod --queue\`).
Run any number of them, on any machine that reaches the database. Needs the package pg-boss@10.

With --schedule it also registers the daily prod cadence on the queue's cron; every worker takes
cadence jobs, one runs each tick (the queue enqueues one job per tick), holding the cadence's
advisory lock as \`linucb cadence\` does (a tick while a run is going finds the lock held and
records nothing). Its training read is sharded over the workers (--workers shards).

Options:
  --database-url URL        PostgreSQL of the corpus and the queue (default: $DATABASE_URL)
  --concurrency N           shards this process reads at a time (default: 1)
  --schedule CRON           register the prod cadence at CRON (UTC, 5 fields: "0 3 * * *" = 03:00 daily)
  --workers N               shards the scheduled cadence cuts its training read into (default: 4)
  --queue-timeout S         the scheduled cadence fails if its shards are not all done in S seconds (default: 3600)
  --shard-expire S          a shard running longer is taken for dead and retried (default: 3600)
  --maintenance-interval S  how often expired shards are looked for (default: 30)
  -h, --help                show this help

Exit codes: 0 stopped by SIGTERM/SIGINT, 1 failed to start, 2 usage error.`;

/** The `worker` command. */
export const command: Command = {
  summary: "Take shard jobs of distributed refits from the job queue (and run the scheduled cadence)",
  help,
  async run(argv: readonly string[], io: CommandIO): Promise<number> {
    const values = parseOptions(argv, {
      "database-url": { type: "string" },
      concurrency: { type: "string" },
      schedule: { type: "string" },
      workers: { type: "string" },
      "queue-timeout": { type: "string" },
      "shard-expire": { type: "string" },
      "maintenance-interval": { type: "string" },
    });
    const { databaseUrl } = databaseOptions({ "database-url": values["database-url"] }, io, "worker");
    if (databaseUrl === undefined)
      throw new UsageError("a worker needs PostgreSQL: give --database-url URL or set DATABASE_URL");
    const schedule = values.schedule;
    if (schedule !== undefined && schedule.trim().split(/\s+/).length !== 5)
      throw new UsageError(`--schedule must be a 5-field cron expression; received ${JSON.stringify(schedule)}`);
    const timings = {
      expireInSeconds: integerOption(values["shard-expire"], "--shard-expire", 3600, 86_399, 1),
      maintenanceIntervalSeconds: integerOption(values["maintenance-interval"], "--maintenance-interval", 30, 3600, 1),
    };
    const shards = integerOption(values.workers, "--workers", 4, 4096, 1);
    const timeoutSeconds = integerOption(values["queue-timeout"], "--queue-timeout", 3600, 86_400 * 7, 1);
    const log = (line: string): void => {
      io.stderr.write(`linucb worker: ${line}\n`);
    };
    const worker = await startQueueWorker({
      databaseUrl,
      concurrency: integerOption(values.concurrency, "--concurrency", 1, 256, 1),
      timings,
      log,
      ...(schedule === undefined ? {} : { schedule }),
      runCadence: async (db) => {
        const readTraining = queueTrainingReader({ databaseUrl, shards, timeoutSeconds, timings });
        const result = await runCadence(db, { mode: "prod", judge: outcomeRewardJudge(), readTraining });
        return `run ${result.runId}: gate ${result.gate.passed ? "passed" : "not passed"}`;
      },
    });
    log(`taking shard jobs (pid ${process.pid})`);
    const signal = await stopSignal();
    log(`${signal}: finishing the current jobs`);
    await worker.stop();
    return ExitCode.ok;
  },
};
