/**
 * `linucb gate --seed S --n N [--json]`: the convergence gate. Generates the synthetic world of a
 * seed, refits the engine on n outcomes of its log, prints the convergence report against the
 * planted optimum, and exits 0 when the learned policy matches it in enough covered cells, 1 when
 * not. Argument parsing and printing only; the work is runConvergenceGate (src/synthetic/gate.ts).
 */
import { parseArgs } from "node:util";
import {
  DEFAULT_MATCH_THRESHOLD,
  DEFAULT_MIN_ROWS,
  DEFAULT_SEED,
  MAX_OUTCOME_COUNT,
  formatConvergenceReport,
  runConvergenceGate,
  warmupEngineOptions,
} from "../../synthetic/index.js";
import { integerOption, numberOption } from "../arguments.js";
import { ExitCode, UsageError, type Command, type CommandIO } from "../command.js";

const help = `Usage: linucb gate [--seed S] [--n N] [--min-rows R] [--threshold T] [--lambda L] [--json]

The convergence gate. Generates the synthetic cold-start world of a seed and n outcomes of its
(deliberately suboptimal) logging policy, refits LinUCB on them, and compares the learned greedy
model of every covered cell with the planted optimum. Synthetic results are pipeline QA, never
evidence about real traffic.

Options:
  --seed S        world and outcome seed, 0..4294967295 (default: ${DEFAULT_SEED})
  --n N           outcomes to generate, 1..${MAX_OUTCOME_COUNT} (default: 4000)
  --min-rows R    rows a cell needs to be covered (default: ${DEFAULT_MIN_ROWS})
  --threshold T   share of covered cells that must match, 0..1 (default: ${DEFAULT_MATCH_THRESHOLD})
  --lambda L      per-cell ridge toward the pooled prior (default: ${warmupEngineOptions.lambda})
  --json          print the report as JSON instead of a table
  -h, --help      show this help

Exit codes: 0 the gate passed, 1 it failed, 2 usage error.`;

/** The `gate` command. */
export const command: Command = {
  summary: "Refit on a synthetic world and check convergence to its planted optimum",
  help,
  async run(argv: readonly string[], io: CommandIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        seed: { type: "string" },
        n: { type: "string" },
        "min-rows": { type: "string" },
        threshold: { type: "string" },
        lambda: { type: "string" },
        json: { type: "boolean", default: false },
      },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const seed = integerOption(values.seed, "--seed", DEFAULT_SEED, 0xffffffff);
    const n = integerOption(values.n, "--n", 4000, MAX_OUTCOME_COUNT, 1);
    const minRows = integerOption(values["min-rows"], "--min-rows", DEFAULT_MIN_ROWS, 1_000_000, 1);
    const threshold = numberOption(values.threshold, "--threshold", DEFAULT_MATCH_THRESHOLD, 0, 1);
    const lambda = numberOption(values.lambda, "--lambda", warmupEngineOptions.lambda, Number.MIN_VALUE, 1e12);

    const started = performance.now();
    const { report } = await runConvergenceGate({ seed, n, minRows, threshold, engine: { lambda } });
    const seconds = (performance.now() - started) / 1000;
    if (values.json) {
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      io.stdout.write(`${formatConvergenceReport(report)}\n`);
    }
    io.stderr.write(
      `gate ${report.pass ? "PASSED" : "FAILED"}: ${(report.matchShare * 100).toFixed(1)}% of covered cells match the planted optimum ` +
        `(threshold ${(threshold * 100).toFixed(0)}%), seed ${seed}, n ${n}, ${seconds.toFixed(2)} s\n`,
    );
    return report.pass ? ExitCode.ok : ExitCode.failed;
  },
};
