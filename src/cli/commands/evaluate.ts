/**
 * `linucb evaluate FILE`: off-policy estimates of a simple target policy (uniform, or one fixed
 * action) from a CSV or JSONL log with propensities. Argument parsing and printing only; the
 * numbers come from src/evaluation.
 */
import { parseArgs } from "node:util";
import {
  estimateParts,
  evaluateOffPolicy,
  fixedActionPolicy,
  formatEstimateNumber,
  readLoggedEvents,
  uniformPolicy,
  type EventFileOptions,
  type LoggedEvents,
  type OffPolicyEstimate,
  type OffPolicyEvaluation,
  type PolicyFunction,
} from "../../evaluation/index.js";
import { resolveEstimateOptions } from "../../evaluation/estimate.js";
import { ExitCode, UsageError, type Command, type CommandIO } from "../command.js";

const help = `Usage: linucb evaluate FILE --policy POLICY [options]

Estimates the expected reward of a target policy from logged events with propensities
(replay, IPS, SNIPS, and with --model also DR and DM), each with a seeded bootstrap interval
and the effective sample size of the importance weights.

FILE is .csv, .jsonl or .ndjson, optionally gzipped (.gz). Each event needs the logged action,
its reward and the logging probability of that action.

Options:
  --policy POLICY           uniform | action:ACTION (always take ACTION, an index or, with
                            --action-ids, an id)                                     (required)
  --action-count K          number of actions, when actions are indices 0..K-1
                            (default: the largest index in the file + 1)
  --action-ids A,B,...      action ids by index, when actions are ids
  --action-field NAME       column/field of the action        (default: action)
  --reward-field NAME       column/field of the reward        (default: reward)
  --propensity-field NAME   column/field of the propensity    (default: propensity)
  --context-fields A,B,...  context columns/fields (only read, not used by these policies)
  --format csv|jsonl        file format (default: from the file name)
  --model action-mean       DM/DR reward model: each action's mean reward in the file
                            (in-sample, so DR's interval leaves out the model's fitting noise)
  --level L                 confidence level of the intervals (default: 0.95)
  --resamples N             bootstrap resamples (default: 1000)
  --seed S                  seed of the bootstrap and of replay's sampling (default: 0)
  --clip W                  clip importance weights at W (default: off)
  --json                    print the estimates as JSON
  -h, --help                show this help

Exit codes: 0 estimates printed, 1 the file could not be read or evaluated, 2 usage error.`;

/** The `evaluate` command. */
export const command: Command = {
  summary: "Off-policy estimates (replay, IPS, SNIPS, DR) of a target policy from a CSV/JSONL log",
  help,
  async run(argv: readonly string[], io: CommandIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        policy: { type: "string" },
        "action-count": { type: "string" },
        "action-ids": { type: "string" },
        "action-field": { type: "string" },
        "reward-field": { type: "string" },
        "propensity-field": { type: "string" },
        "context-fields": { type: "string" },
        format: { type: "string" },
        model: { type: "string" },
        level: { type: "string" },
        resamples: { type: "string" },
        seed: { type: "string" },
        clip: { type: "string" },
        json: { type: "boolean", default: false },
      },
    });
    if (positionals.length !== 1) {
      throw new UsageError(
        `expected exactly one FILE; received ` +
          `${positionals.length === 0 ? "none" : positionals.map((p) => JSON.stringify(p)).join(", ")}`,
      );
    }
    const [file] = positionals;
    if (values.policy === undefined) throw new UsageError("`--policy` is required (uniform or action:ACTION)");
    if (values.policy !== "uniform" && !POLICY_ACTION.test(values.policy)) {
      throw new UsageError(`\`--policy\` must be uniform or action:ACTION; received ${JSON.stringify(values.policy)}`);
    }
    if (values.format !== undefined && values.format !== "csv" && values.format !== "jsonl") {
      throw new UsageError(`\`--format\` must be csv or jsonl; received ${JSON.stringify(values.format)}`);
    }
    if (values.model !== undefined && values.model !== "action-mean") {
      throw new UsageError(`\`--model\` must be action-mean; received ${JSON.stringify(values.model)}`);
    }
    const fileOptions: EventFileOptions = {
      format: values.format as EventFileOptions["format"],
      actionField: values["action-field"],
      rewardField: values["reward-field"],
      propensityField: values["propensity-field"],
      contextFields: values["context-fields"]?.split(","),
      actionIds: values["action-ids"]?.split(","),
      actionCount: values["action-count"] === undefined ? undefined : number(values["action-count"], "--action-count"),
    };
    const estimateOptions = {
      level: values.level === undefined ? undefined : number(values.level, "--level"),
      resamples: values.resamples === undefined ? undefined : number(values.resamples, "--resamples"),
      seed: values.seed === undefined ? undefined : number(values.seed, "--seed"),
      clip: values.clip === undefined ? undefined : number(values.clip, "--clip"),
    };
    try {
      resolveEstimateOptions(estimateOptions);
    } catch (error) {
      // The message names the option as the library spells it (`seed`); say it as the CLI does.
      throw new UsageError((error as Error).message.replace(/^`(\w+)`/, "`--$1`"));
    }

    let events: LoggedEvents;
    let evaluation: OffPolicyEvaluation;
    try {
      events = await readLoggedEvents(file, fileOptions);
      const policy = parsePolicy(values.policy, events);
      io.stderr.write(`read ${events.length} events with ${events.actionCount} actions from ${file}\n`);
      evaluation = evaluateOffPolicy(events, policy, {
        ...estimateOptions,
        rewardModel: values.model === "action-mean" ? actionMeanModel(events) : undefined,
      });
    } catch (error) {
      if (error instanceof UsageError) throw error;
      io.stderr.write(`linucb evaluate: ${error instanceof Error ? error.message : String(error)}\n`);
      return ExitCode.failed;
    }
    const estimates = [evaluation.replay, evaluation.ips, evaluation.snips, evaluation.dr, evaluation.dm].filter(
      (estimate): estimate is OffPolicyEstimate => estimate !== undefined,
    );
    if (values.json) {
      const result = { file, events: events.length, actions: events.actionCount, policy: values.policy, ...evaluation };
      io.stdout.write(`${JSON.stringify(result, jsonNumbers, 2)}\n`);
    } else {
      io.stdout.write(`${table(estimates)}\n`);
      for (const estimate of estimates)
        for (const warning of estimate.warnings) io.stderr.write(`${estimate.estimator}: ${warning}\n`);
    }
    return ExitCode.ok;
  },
};

function number(text: string, option: string): number {
  const value = Number(text);
  if (text.trim() === "" || Number.isNaN(value))
    throw new UsageError(`\`${option}\` must be a number; received ${JSON.stringify(text)}`);
  return value;
}

/** `action:ACTION`: the fixed-action policy. */
const POLICY_ACTION = /^action:(.+)$/;

function parsePolicy(text: string, events: LoggedEvents): PolicyFunction {
  if (text === "uniform") return uniformPolicy(events.actionCount);
  const match = POLICY_ACTION.exec(text)!;
  const action =
    events.actionIds !== undefined
      ? events.actionIds.indexOf(match[1])
      : /^\d+$/.test(match[1])
        ? Number(match[1])
        : -1;
  if (action < 0 || action >= events.actionCount) {
    const known =
      events.actionIds !== undefined
        ? `one of ${events.actionIds.join(", ")}`
        : `an index in [0, ${events.actionCount - 1}]`;
    throw new UsageError(`\`--policy\` action must be ${known}; received ${JSON.stringify(match[1])}`);
  }
  return fixedActionPolicy(action, events.actionCount);
}

/** q̂(x, a) = the mean reward of action a over the file (0 for actions never logged). */
function actionMeanModel(events: LoggedEvents): Float64Array {
  const k = events.actionCount;
  const sums = new Float64Array(k);
  const counts = new Float64Array(k);
  for (let i = 0; i < events.length; i++) {
    sums[events.actions[i]] += events.rewards[i];
    counts[events.actions[i]]++;
  }
  const means = sums.map((sum, a) => (counts[a] === 0 ? 0 : sum / counts[a]));
  const model = new Float64Array(events.length * k);
  for (let i = 0; i < events.length; i++) model.set(means, i * k);
  return model;
}

function table(estimates: readonly OffPolicyEstimate[]): string {
  const rows = [["estimator", "value", `${estimateParts(estimates[0]).level} interval`, "ESS", "max weight"]];
  for (const e of estimates) {
    const parts = estimateParts(e);
    rows.push([
      e.estimator,
      parts.value,
      parts.interval,
      parts.effectiveSampleSize,
      formatEstimateNumber(e.weights.max),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows
    .map((row) =>
      row
        .map((cell, c) => cell.padEnd(widths[c]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** JSON has no Infinity or NaN: write them as strings rather than as null. */
function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === "number" && !Number.isFinite(value) ? String(value) : value;
}
