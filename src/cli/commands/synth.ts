/**
 * `linucb synth --seed S --n N --out DIR`: generates a synthetic cold-start log and its answer key
 * into DIR (outcomes.jsonl, planted_optimum.json). Argument parsing and printing only; everything
 * else comes from src/synthetic.
 */
import {
  ANSWER_KEY_FILE,
  WARMUP_GATE,
  DEFAULT_SEED,
  MAX_OUTCOME_COUNT,
  OUTCOMES_FILE,
  generateColumns,
  generateWorld,
  plantedOptimum,
  writeSyntheticDataset,
} from "../../synthetic/index.js";
import { assertWritableFolder, integerOption, parseOptions } from "../arguments.js";
import { ExitCode, UsageError, type Command, type CommandIO } from "../command.js";

const help = `Usage: linucb synth --out DIR [--seed S] [--n N] [--json]

Generates the synthetic cold-start world of a seed (24 agents, 8 models, 60 cells, a planted
optimum) and n logged outcomes drawn by its deliberately suboptimal logging policy, and writes:
  DIR/${OUTCOMES_FILE}        one outcome per line (id, created_at, agent_id, cell, model, features,
                              propensity, completed, hallucinated, refused, reward, provenance)
  DIR/${ANSWER_KEY_FILE}  the answer key: per cell the optimal model, its expected reward,
                              the runner-up and the gap; the optimum's and the logging policy's value
Synthetic data is pipeline QA, never evidence about real traffic.

Options:
  --out DIR     folder to write into, created if missing; files are replaced (required)
  --seed S      seed of the world and of the outcome draws, 0..4294967295 (default: ${DEFAULT_SEED})
  --n N         number of outcomes, 0..${MAX_OUTCOME_COUNT} (default: ${WARMUP_GATE.n}, what the gate is calibrated at)
  --json        print the summary as JSON
  -h, --help    show this help

Exit codes: 0 written, 1 the files could not be written, 2 usage error.`;

/** The `synth` command. */
export const command: Command = {
  summary: "Generate a synthetic cold-start log (JSONL) and its planted answer key",
  help,
  async run(argv: readonly string[], io: CommandIO): Promise<number> {
    const values = parseOptions(
      argv,
      {
        out: { type: "string" },
        seed: { type: "string" },
        n: { type: "string" },
        json: { type: "boolean", default: false },
      },
      " (the folder goes after --out)",
    );
    if (values.out === undefined || values.out.trim() === "") throw new UsageError("`--out DIR` is required");
    const seed = integerOption(values.seed, "--seed", DEFAULT_SEED, 0xffffffff);
    const n = integerOption(values.n, "--n", WARMUP_GATE.n, MAX_OUTCOME_COUNT);
    assertWritableFolder(values.out, "--out");

    const world = generateWorld({ seed });
    const columns = generateColumns(world, { n, seed });
    const written = await writeSyntheticDataset(values.out, world, columns);
    const key = plantedOptimum(world);
    let completed = 0;
    for (let i = 0; i < columns.count; i++) completed += columns.completed[i];
    const summary = {
      seed,
      rows: written.rows,
      outcomes: written.outcomesPath,
      answerKey: written.answerKeyPath,
      outcomeBytes: written.outcomeBytes,
      completionRate: columns.count > 0 ? completed / columns.count : null,
      policyValue: key.policyValue,
      gaps: { min: key.gaps.min, median: key.gaps.median, max: key.gaps.max },
      loggingPrefersNonOptimal: key.loggingPrefersNonOptimal,
      cells: key.cells.length,
    };
    if (values.json) {
      io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    } else {
      io.stdout.write(
        `${[
          `wrote ${summary.rows} outcomes to ${summary.outcomes} (${summary.outcomeBytes} bytes)`,
          `wrote the answer key to ${summary.answerKey}`,
          `seed ${seed}: completion ${summary.completionRate === null ? "—" : summary.completionRate.toFixed(3)}, ` +
            `policy value optimum ${key.policyValue.optimum.toFixed(4)} ` +
            `vs logging ${key.policyValue.logging.toFixed(4)}, ` +
            `gaps ${key.gaps.min.toFixed(3)}–${key.gaps.max.toFixed(3)} (median ${key.gaps.median.toFixed(3)}), ` +
            `logging prefers a non-optimal model in ${key.loggingPrefersNonOptimal}/${key.cells.length} cells`,
        ].join("\n")}\n`,
      );
    }
    return ExitCode.ok;
  },
};
