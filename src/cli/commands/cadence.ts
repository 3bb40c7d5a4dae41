/**
 * `linucb cadence --mode warmup|prod`: the refit job — judge, refit, replay, gate, and (prod only)
 * promote. Argument parsing, opening the database, printing and the report files only; the work is
 * runCadence (src/cadence), the rendering src/report.
 */
import { existsSync } from "node:fs";
import {
  CADENCE_DEFAULTS,
  CadenceError,
  MAX_WARMUP_OUTCOMES,
  PROD_ENGINE_DEFAULTS,
  outcomeRewardJudge,
  runCadence,
  type CadenceOptions,
  type GateEstimator,
} from "../../cadence/index.js";
import { resolveExploration } from "../../engine/options.js";
import type { Exploration } from "../../engine/types.js";
import { DEFAULT_REWARD_FUNCTION } from "../../outcomes/reward.js";
import {
  DEFAULT_REPORT_DIR,
  formatCadenceReport,
  terminalProgress,
  writeReportFiles,
  type ReportFiles,
} from "../../report/index.js";
import { queueTrainingReader } from "../../scale/queue-training.js";
import { threadTrainingReader } from "../../scale/sharded-training.js";
import { DEFAULT_DATA_DIR, StoreError, openDatabase, type Db } from "../../store/index.js";
import {
  afterTheWork,
  assertWritableFolder,
  databaseOptions,
  integerOption,
  numberOption,
  parseOptions,
} from "../arguments.js";
import { ExitCode, UsageError, type Command, type CommandIO } from "../command.js";

const help =
  `Usage: linucb cadence --mode warmup|prod [options]

The refit job: judge unjudged rows, refit LinUCB on the corpus (streamed in chunks), evaluate the
candidate and the incumbent offline on the newest slice of rows, gate, and promote.

  warmup  corpus routing_outcomes_synthetic: loads the seed's synthetic world (idempotent), refits,
          grades the refit against the planted optimum (the convergence gate) and records a
          training run (cadence synthetic_warmup). Never promotes, never touches the active policy.
  prod    corpus routing_outcomes WHERE source = 'prod' (synthetic and shadow rows are never read):
          the candidate is promoted only if its lower confidence bound beats the active policy's
          estimate (the uniform policy's when none is active) with enough effective sample size.

Options:
  --mode warmup|prod        which cadence (required)
  --database-url URL        PostgreSQL to use (default: $DATABASE_URL)
  --data-dir DIR            embedded database folder, when there is no URL (default: ${DEFAULT_DATA_DIR})
  --json                    print the result as JSON instead of the text report
  --report-dir DIR          where the HTML and JSON report files go (default: ${DEFAULT_REPORT_DIR})
  --no-report               write no report files
  --seed S                  warm-up world seed; bootstrap seed (default: ${CADENCE_DEFAULTS.seed})
  --n N                     warm-up: synthetic outcomes to load, ` +
  `1..${MAX_WARMUP_OUTCOMES} (default: ${CADENCE_DEFAULTS.n})
  --held-out SHARE          newest share of rows held out for evaluation, ` +
  `in (0, 1) (default: ${CADENCE_DEFAULTS.heldOutShare})
  --chunk-size N            rows per corpus chunk (default: ` +
  `${CADENCE_DEFAULTS.warmupChunkSize} warm-up, ${CADENCE_DEFAULTS.prodChunkSize} prod)
  --gate-estimator E        prod gate: snips | dr | ips (default: ${CADENCE_DEFAULTS.gateEstimator})
  --min-ess N               prod gate: minimum effective sample size ` +
  `(default: ${CADENCE_DEFAULTS.minEffectiveSampleSize})
  --gate-margin M           prod gate: promote only when the lower bound on candidate − incumbent
                            is above M (default: ${CADENCE_DEFAULTS.gateMargin})
  --serve-exploration X     prod: exploration a promoted policy is served with: ` +
  `ucb | epsilon:E | softmax:T (default: epsilon:0.1)
  --level L                 confidence level of the intervals (default: ${CADENCE_DEFAULTS.level})
  --resamples N             bootstrap resamples (default: ${CADENCE_DEFAULTS.resamples})
  --min-rows R              warm-up gate: rows a cell needs to be covered (default: ${CADENCE_DEFAULTS.minRows})
  --threshold T             warm-up gate: match share needed, 0..1 (default: ${CADENCE_DEFAULTS.threshold})
  --alpha A                 exploration weight of the refitted policy (default: ${PROD_ENGINE_DEFAULTS.alpha})
  --lambda L                fixed per-cell ridge toward the pooled prior (default: estimated from the data)
  --min-propensity P        rows logged with a propensity below P are rejected, ` +
  `0 < P ≤ 1 (default: ${CADENCE_DEFAULTS.minPropensity})
  --max-feature-magnitude M rows with a feature beyond ±M are rejected, ` +
  `M > 0 (default: ${CADENCE_DEFAULTS.maxFeatureMagnitude})
  --full                    prod: refit from scratch on the whole corpus (default: start from the active
                            policy's stored statistics and read only the rows added since; a full refit
                            happens anyway when they cannot be used, and the result says why)
  --daily-discount G        forgetting: a row weighs G^(age in days) from the newest row, 0 < G ≤ 1
                            (default: ${CADENCE_DEFAULTS.dailyDiscount}, no forgetting); the prior does not fade
  --workers N               prod: read the training slice on N worker threads, split by id range into
                            equal row counts, each with its own connection (PostgreSQL only; the
                            embedded database reads in-process). Same models as one reader, to 1e-12
  --queue                   prod: put the N shards (--workers, default 4) on the job queue instead, for
                            \`linucb worker\` processes on any machine; this run waits, merges and
                            fails (promoting nothing) if a shard fails after its retries or times out
  --queue-timeout S         --queue: fail if the shards are not all done in S seconds (default: 3600)
  --shard-expire S          --queue: a shard running longer is taken for dead and retried (default: 3600)
  --hallucination-penalty H judge: reward lost for a hallucination, ` +
  `0..2 (default: ${DEFAULT_REWARD_FUNCTION.hallucinationPenalty})
  --refusal-penalty R       judge: reward lost for a refusal, 0..2 (default: ${DEFAULT_REWARD_FUNCTION.refusalPenalty})
  -h, --help                show this help

Progress goes to stderr (a bar on a terminal), the report to stdout.
Exit codes (a scheduler can tell a normal day from an outage):
  0  the run succeeded and its gate passed (prod: the candidate was promoted)
  1  the run failed (marked failed with the step and the error; the active policy is unchanged)
  2  usage error (nothing done)
  3  the run succeeded but its gate did not pass (recorded; nothing promoted)
  4  another cadence of this mode holds the lock, or another process holds the embedded
     database (nothing done)`;

/** The exit codes of \`linucb cadence\`, as documented in its help. */
export const CadenceExit = {
  passed: ExitCode.ok,
  failed: ExitCode.failed,
  usage: ExitCode.usage,
  gateNotPassed: 3,
  locked: 4,
} as const;

/**
 * Whether an error means "someone else holds the lock" (nothing was done): the cadence's advisory lock or the data
 * folder's.
 */
function isLocked(error: unknown): boolean {
  const cause = error instanceof CadenceError && error.runId === null ? error.cause : error;
  return cause instanceof StoreError && cause.code === "LOCKED";
}

function gateEstimatorOption(text: string | undefined): GateEstimator | undefined {
  if (text === undefined) return undefined;
  if (text !== "snips" && text !== "dr" && text !== "ips")
    throw new UsageError(`--gate-estimator must be snips, dr or ips; received ${JSON.stringify(text)}`);
  return text;
}

/** `ucb`, `epsilon:E` or `softmax:T` as an engine Exploration (the engine validates the number). */
function explorationOption(text: string | undefined): Exploration | undefined {
  if (text === undefined) return undefined;
  if (text === "ucb") return "ucb";
  const match = /^(epsilon|softmax):(.+)$/.exec(text);
  const value = match === null ? Number.NaN : Number(match[2]);
  if (match === null || !Number.isFinite(value)) {
    throw new UsageError(`--serve-exploration must be ucb, epsilon:E or softmax:T; received ${JSON.stringify(text)}`);
  }
  try {
    return resolveExploration(match[1] === "epsilon" ? { epsilon: value } : { softmax: value }, "--serve-exploration");
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** An optional number in (0, max]. */
function positiveOption(text: string | undefined, name: string, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = numberOption(text, name, 0, 0, max);
  if (!(value > 0)) throw new UsageError(`${name} must be a number in (0, ${max}]; received ${JSON.stringify(text)}`);
  return value;
}

/**
 * `--workers N` (threads) or `--workers N --queue` (queue jobs): the prod refit's training reader,
 * as the options to spread into the cadence's (none without either flag).
 */
function trainingReaderOption(
  values: {
    readonly workers?: string | undefined;
    readonly queue?: boolean | undefined;
    readonly "queue-timeout"?: string | undefined;
    readonly "shard-expire"?: string | undefined;
  },
  databaseUrl: string | undefined,
  io: CommandIO,
): Pick<CadenceOptions, "readTraining"> {
  if (values.workers === undefined && !values.queue) return {};
  const workers = integerOption(values.workers, "--workers", values.queue ? 4 : 1, 4096, 1);
  const onFallback = (reason: string): void => {
    io.stderr.write(`linucb cadence: --workers ${workers}: ${reason}\n`);
  };
  if (!values.queue) return { readTraining: threadTrainingReader(workers, databaseUrl, onFallback) };
  if (databaseUrl === undefined) throw new UsageError("--queue needs PostgreSQL: give --database-url or DATABASE_URL");
  const readTraining = queueTrainingReader({
    databaseUrl,
    shards: workers,
    timeoutSeconds: integerOption(values["queue-timeout"], "--queue-timeout", 3600, 86_400 * 7, 1),
    timings: { expireInSeconds: integerOption(values["shard-expire"], "--shard-expire", 3600, 86_399, 1) },
    onQueueError: (error) => io.stderr.write(`linucb cadence: queue: ${error.message}\n`),
    onFallback,
  });
  return { readTraining };
}

/** The `cadence` command. */
export const command: Command = {
  summary: "Run the refit cadence: judge, refit, evaluate, gate and (prod) promote",
  help,
  async run(argv: readonly string[], io: CommandIO): Promise<number> {
    const values = parseOptions(argv, {
      mode: { type: "string" },
      "database-url": { type: "string" },
      "data-dir": { type: "string" },
      json: { type: "boolean", default: false },
      "report-dir": { type: "string" },
      "no-report": { type: "boolean", default: false },
      seed: { type: "string" },
      n: { type: "string" },
      "held-out": { type: "string" },
      "chunk-size": { type: "string" },
      "gate-estimator": { type: "string" },
      "min-ess": { type: "string" },
      "gate-margin": { type: "string" },
      "serve-exploration": { type: "string" },
      level: { type: "string" },
      resamples: { type: "string" },
      "min-rows": { type: "string" },
      threshold: { type: "string" },
      alpha: { type: "string" },
      lambda: { type: "string" },
      "hallucination-penalty": { type: "string" },
      "refusal-penalty": { type: "string" },
      "min-propensity": { type: "string" },
      "max-feature-magnitude": { type: "string" },
      full: { type: "boolean", default: false },
      "daily-discount": { type: "string" },
      workers: { type: "string" },
      queue: { type: "boolean", default: false },
      "queue-timeout": { type: "string" },
      "shard-expire": { type: "string" },
    });
    const mode = values.mode;
    if (mode !== "warmup" && mode !== "prod") {
      throw new UsageError(
        `--mode must be warmup or prod; received ${mode === undefined ? "none" : JSON.stringify(mode)}`,
      );
    }
    if (values["no-report"] && values["report-dir"] !== undefined)
      throw new UsageError("give --report-dir or --no-report, not both");
    if (mode === "warmup" && (values.workers !== undefined || values.queue))
      throw new UsageError("--workers and --queue apply to --mode prod only");
    if (!values.queue && (values["queue-timeout"] !== undefined || values["shard-expire"] !== undefined))
      throw new UsageError("--queue-timeout and --shard-expire apply with --queue only");
    if (mode === "prod" && values.n !== undefined)
      throw new UsageError(
        `--n applies to --mode warmup only; received --n ${JSON.stringify(values.n)} with --mode prod`,
      );

    const optional = <T>(value: T | undefined, key: string): Record<string, T> =>
      value === undefined ? {} : { [key]: value };
    const alpha = values.alpha === undefined ? undefined : numberOption(values.alpha, "--alpha", 0, 0, 1e12);
    const lambda =
      values.lambda === undefined ? undefined : numberOption(values.lambda, "--lambda", 1, Number.MIN_VALUE, 1e12);
    const hallucinationPenalty = numberOption(
      values["hallucination-penalty"],
      "--hallucination-penalty",
      DEFAULT_REWARD_FUNCTION.hallucinationPenalty,
      0,
      2,
    );
    const refusalPenalty = numberOption(
      values["refusal-penalty"],
      "--refusal-penalty",
      DEFAULT_REWARD_FUNCTION.refusalPenalty,
      0,
      2,
    );
    const heldOut =
      values["held-out"] === undefined ? undefined : numberOption(values["held-out"], "--held-out", 0, 0, 1);
    if (heldOut !== undefined && !(heldOut > 0 && heldOut < 1))
      throw new UsageError(
        `--held-out must be a share strictly between 0 and 1; received ${JSON.stringify(values["held-out"])}`,
      );
    const level = values.level === undefined ? undefined : numberOption(values.level, "--level", 0.95, 0, 1);
    if (level !== undefined && !(level > 0 && level < 1))
      throw new UsageError(`--level must be strictly between 0 and 1; received ${JSON.stringify(values.level)}`);

    const gateMargin =
      values["gate-margin"] === undefined
        ? undefined
        : numberOption(values["gate-margin"], "--gate-margin", 0, -1e12, 1e12);
    const options: CadenceOptions = {
      mode,
      ...optional(values.seed === undefined ? undefined : integerOption(values.seed, "--seed", 0, 0xffffffff), "seed"),
      ...optional(values.n === undefined ? undefined : integerOption(values.n, "--n", 0, MAX_WARMUP_OUTCOMES, 1), "n"),
      ...optional(heldOut, "heldOutShare"),
      ...optional(
        values["chunk-size"] === undefined
          ? undefined
          : integerOption(values["chunk-size"], "--chunk-size", 0, 1_000_000, 1),
        "chunkSize",
      ),
      ...optional(gateEstimatorOption(values["gate-estimator"]), "gateEstimator"),
      ...optional(
        values["min-ess"] === undefined
          ? undefined
          : numberOption(values["min-ess"], "--min-ess", 0, 0, Number.MAX_SAFE_INTEGER),
        "minEffectiveSampleSize",
      ),
      ...optional(level, "level"),
      ...optional(gateMargin, "gateMargin"),
      ...optional(explorationOption(values["serve-exploration"]), "serveExploration"),
      ...optional(
        values.resamples === undefined ? undefined : integerOption(values.resamples, "--resamples", 0, 1_000_000, 1),
        "resamples",
      ),
      ...optional(
        values["min-rows"] === undefined ? undefined : integerOption(values["min-rows"], "--min-rows", 0, 1_000_000, 1),
        "minRows",
      ),
      ...optional(
        values.threshold === undefined ? undefined : numberOption(values.threshold, "--threshold", 0, 0, 1),
        "threshold",
      ),
      ...optional(positiveOption(values["min-propensity"], "--min-propensity", 1), "minPropensity"),
      ...optional(
        positiveOption(values["max-feature-magnitude"], "--max-feature-magnitude", Number.MAX_VALUE),
        "maxFeatureMagnitude",
      ),
      ...optional(positiveOption(values["daily-discount"], "--daily-discount", 1), "dailyDiscount"),
      full: values.full,
      engine: { ...optional(alpha, "alpha"), ...optional(lambda, "lambda") },
      judge: outcomeRewardJudge({ hallucinationPenalty, refusalPenalty }),
      progress: terminalProgress(io.stderr),
    };
    const databaseChoice = databaseOptions(values, io, "cadence");
    const readTraining = trainingReaderOption(values, databaseChoice.databaseUrl, io);
    if (!values["no-report"]) assertWritableFolder(values["report-dir"] ?? DEFAULT_REPORT_DIR, "--report-dir");

    let db: Db | undefined;
    try {
      const opening = performance.now();
      const embedded = databaseChoice.databaseUrl === undefined;
      const where = embedded ? `the embedded database in ${databaseChoice.dataDir}` : "PostgreSQL";
      // Creating a fresh embedded database (initdb in WebAssembly) takes seconds; say so only then.
      const creating = embedded && !existsSync(databaseChoice.dataDir ?? DEFAULT_DATA_DIR);
      const note = creating ? " (a first run creates it, which takes a few seconds)" : "";
      io.stderr.write(`linucb cadence: database opening ${where}${note}…\n`);
      try {
        db = await openDatabase(databaseChoice);
      } catch (error) {
        // A malformed --database-url is a usage error, not a database failure.
        if (error instanceof TypeError) throw new UsageError(error.message);
        throw error;
      }
      io.stderr.write(
        `linucb cadence: database done in ${((performance.now() - opening) / 1000).toFixed(2)} s: ` +
          `${db.backend === "postgres" ? "PostgreSQL at" : "embedded database in"} ${db.location}\n`,
      );

      const result = await runCadence(db, { ...options, ...readTraining });
      let files: ReportFiles | null = null;
      if (!values["no-report"]) {
        const reportDir = values["report-dir"] ?? DEFAULT_REPORT_DIR;
        files = afterTheWork("writing the report files", io, "cadence", () => writeReportFiles(result, reportDir));
      }
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ ...result, reportFiles: files }, null, 2)}\n`);
      } else {
        io.stdout.write(
          `${formatCadenceReport(result, files === null ? [] : [files.html, files.json, files.index])}\n`,
        );
      }
      const promotion =
        mode === "prod"
          ? result.promoted
            ? `, promoted policy version ${result.policyVersionId}`
            : ", not promoted"
          : "";
      io.stderr.write(
        `linucb cadence: ${mode} run ${result.runId} ${result.gate.passed ? "PASSED" : "FAILED"} its ` +
          `gate${promotion}${files === null ? "" : `; report: ${files.html}`}\n`,
      );
      return result.gate.passed ? CadenceExit.passed : CadenceExit.gateNotPassed;
    } catch (error) {
      if (error instanceof CadenceError || error instanceof StoreError) {
        io.stderr.write(`linucb cadence: ${error.message}\n`);
        return isLocked(error) ? CadenceExit.locked : CadenceExit.failed;
      }
      throw error;
    } finally {
      await db?.close();
    }
  },
};
