/**
 * The command-line side of sharded refits: `linucb cadence --workers / --queue` and `linucb worker`
 * refuse what cannot work before doing anything (exit 2, naming the option and the value), and the
 * reader options validate their numbers.
 */
import { expect, it } from "vitest";
import { queueTrainingReader } from "../../src/scale/queue-training.js";
import { threadTrainingReader } from "../../src/scale/sharded-training.js";
import { runCli as linucb } from "../cli-run.js";

const URL = "postgres://postgres@127.0.0.1:1/none";

it("linucb cadence refuses --workers and --queue where they do not apply, and bad values", async () => {
  const warmup = await linucb(["cadence", "--mode", "warmup", "--workers", "2", "--no-report"]);
  expect(warmup.code).toBe(2);
  expect(warmup.stderr).toMatch(/--workers and --queue apply to --mode prod only/);
  const stray = await linucb(["cadence", "--mode", "prod", "--queue-timeout", "5", "--no-report"], {
    DATABASE_URL: URL,
  });
  expect(stray.code).toBe(2);
  expect(stray.stderr).toMatch(/--queue-timeout and --shard-expire apply with --queue only/);
  const zero = await linucb(["cadence", "--mode", "prod", "--workers", "0", "--no-report"], { DATABASE_URL: URL });
  expect(zero.code).toBe(2);
  expect(zero.stderr).toMatch(/`--workers` must be an integer in \[1, 4096\]; received "0"/);
  const embedded = await linucb(["cadence", "--mode", "prod", "--queue", "--data-dir", "/tmp/x", "--no-report"]);
  expect(embedded.code).toBe(2);
  expect(embedded.stderr).toMatch(/--queue needs PostgreSQL/);
});

it("linucb worker needs PostgreSQL and a 5-field cron expression", async () => {
  const none = await linucb(["worker"]);
  expect(none.code).toBe(2);
  expect(none.stderr).toMatch(/a worker needs PostgreSQL: give --database-url URL or set DATABASE_URL/);
  const cron = await linucb(["worker", "--database-url", URL, "--schedule", "daily"]);
  expect(cron.code).toBe(2);
  expect(cron.stderr).toMatch(/--schedule must be a 5-field cron expression; received "daily"/);
  const help = await linucb(["worker", "--help"]);
  expect(help.stdout).toMatch(/linucb worker --database-url URL/);
});

it("the readers refuse a worker count or timeout that is not positive", () => {
  expect(() => threadTrainingReader(0, URL)).toThrow(/workers must be a positive integer; received 0/);
  expect(() => queueTrainingReader({ databaseUrl: URL, shards: 2, timeoutSeconds: 0 })).toThrow(
    /timeoutSeconds must be a finite number > 0; received 0/,
  );
  expect(() => queueTrainingReader({ databaseUrl: URL, shards: 2, timeoutSeconds: Number.POSITIVE_INFINITY })).toThrow(
    /timeoutSeconds must be a finite number > 0; received Infinity/,
  );
  expect(() => threadTrainingReader(1.5, URL)).toThrow(/workers must be a positive integer; received 1.5/);
});
