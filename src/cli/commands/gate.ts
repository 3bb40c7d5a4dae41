/**
 * `linucb gate`: the convergence gate, in three forms.
 * - `--seed S`: generates the synthetic world of a seed, refits on its log, grades against the
 *   planted optimum with the calibrated rule; exit 0 when it passes, 1 when not.
 * - `--outcomes FILE --key FILE`: the same grading for a given corpus (the format `linucb synth`
 *   writes) and its answer key — corrupt a corpus and watch the gate fail.
 * - `--seeds A..B`: the calibration — the correct pipeline and every broken variant on each seed,
 *   summarised per variant (pass rate, mean and 5th percentile of the match share).
 * Argument parsing and printing only; the work is in src/synthetic (gate.ts, grade-corpus.ts,
 * calibration.ts).
 */
import {
  DEFAULT_MIN_ROWS,
  DEFAULT_SEED,
  MAX_OUTCOME_COUNT,
  WARMUP_GATE,
  formatConvergenceReport,
  runConvergenceGate,
  type ConvergenceReport,
  type GateOptions,
  type GateVerdict,
} from "../../synthetic/index.js";
import {
  PIPELINE_VARIANTS,
  calibrateGate,
  type PipelineVariant,
  type VariantSummary,
} from "../../synthetic/calibration.js";
import { gradeCorpus } from "../../synthetic/grade-corpus.js";
import { integerOption, numberOption, parseOptions } from "../arguments.js";
import { ExitCode, UsageError, type Command, type CommandIO } from "../command.js";

const help = `Usage: linucb gate [--seed S] [--n N] [options] [--json]
       linucb gate --outcomes FILE --key FILE [options] [--json]
       linucb gate --seeds A..B [--variants V,…] [options] [--json]

The convergence gate. Generates the synthetic cold-start world of a seed and n outcomes of its
(deliberately suboptimal) logging policy (or reads a given corpus), refits LinUCB on them, and
compares the learned greedy model of every covered cell with the planted optimum. It passes when
the engine fitted every row, enough cells are covered, the relative regret of the learned cell
choices and the structure error (within-cell coefficients not recovered) are small, enough of the
deviating cells (whose optimum only a per-cell learner finds) match, and the match share is above
its floor. The rule was chosen on seeds 1–100 and measured on 3001–3200 (README
"Warm-up gate"). Synthetic results are pipeline QA, never evidence about real traffic.

Options:
  --seed S                 world and outcome seed, 0..4294967295 (default: ${DEFAULT_SEED})
  --n N                    outcomes to generate, 1..${MAX_OUTCOME_COUNT} (default: ${WARMUP_GATE.n})
  --outcomes FILE          grade this outcomes file (JSONL as \`linucb synth\` writes) …
  --key FILE               … against this answer key (planted_optimum.json)
  --seeds A..B             calibration: every pipeline variant on seeds A..B
  --variants V,…           calibration variants (default: all: ${PIPELINE_VARIANTS.join(", ")})
  --threshold T            share of covered cells that must match, 0..1 (default: ${WARMUP_GATE.threshold})
  --max-regret X           largest relative regret of the learned choices (default: ${WARMUP_GATE.maxRegret})
  --max-structure-error X  largest structure error (default: ${WARMUP_GATE.maxStructureError})
  --min-deviating S        share of covered deviating cells that must match
                           (default: ${WARMUP_GATE.minDeviatingMatchShare})
  --min-rows R             rows a cell needs to be covered (default: ${DEFAULT_MIN_ROWS})
  --min-rows-per-model M   rows of every model a cell needs to be covered (default: ${WARMUP_GATE.minRowsPerModel})
  --min-covered C          covered cells needed (default: ${WARMUP_GATE.minCoveredCells})
  --lambda L               fixed per-cell ridge toward the pooled prior (default: estimated from the data)
  --json                   print JSON instead of a table
  -h, --help               show this help

Exit codes: 0 the gate passed (calibration: always, when it ran), 1 it failed, 2 usage error.`;

function seedRange(text: string): number[] {
  const match = /^(\d+)\.\.(\d+)$/.exec(text.trim());
  const [from, to] = match === null ? [NaN, NaN] : [Number(match[1]), Number(match[2])];
  if (!(from <= to && to <= 0xffffffff && to - from < 100_000)) {
    throw new UsageError(
      `\`--seeds\` must be a range A..B of seeds (A ≤ B, at most 100000 seeds); received ${JSON.stringify(text)}`,
    );
  }
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function variantList(text: string | undefined): readonly PipelineVariant[] {
  if (text === undefined) return PIPELINE_VARIANTS;
  const names = text.split(",").map((v) => v.trim());
  for (const name of names) {
    if (!(PIPELINE_VARIANTS as readonly string[]).includes(name)) {
      const expected = PIPELINE_VARIANTS.join(", ");
      throw new UsageError(
        `\`--variants\` must be a comma-separated list of ${expected}; received ${JSON.stringify(name)}`,
      );
    }
  }
  return names as PipelineVariant[];
}

/** The gate's JSON: the report, with the gate's verdict as `pass` and its reasons. */
function gateJson(report: ConvergenceReport, verdict: GateVerdict): unknown {
  return { ...report, pass: verdict.pass, reasons: verdict.reasons };
}

function calibrationTable(summaries: readonly VariantSummary[]): string {
  const header =
    "variant             pass rate  statistics only  mean share  p5 share  mean regret  p95 regret  mean structure" +
    "  deviating mean  deviating p5";
  const lines = summaries.map((s) =>
    [
      s.variant.padEnd(18),
      `${(100 * s.passRate).toFixed(1)}%`.padStart(10),
      `${(100 * s.statisticsPassRate).toFixed(1)}%`.padStart(16),
      s.meanMatchShare.toFixed(3).padStart(11),
      s.p5MatchShare.toFixed(3).padStart(9),
      s.meanRegret.toFixed(4).padStart(12),
      s.p95Regret.toFixed(4).padStart(11),
      s.meanStructureError.toFixed(3).padStart(15),
      s.meanDeviatingMatchShare.toFixed(3).padStart(15),
      s.p5DeviatingMatchShare.toFixed(3).padStart(13),
    ].join(" "),
  );
  return [header, "-".repeat(header.length), ...lines].join("\n");
}

function verdictLine(verdict: GateVerdict, what: string, seconds: number, threshold: number): string {
  return (
    `gate ${verdict.pass ? "PASSED" : "FAILED"}: ${(verdict.matchShare * 100).toFixed(1)}% of covered cells match ` +
    `the planted optimum (threshold ${(threshold * 100).toFixed(0)}%; the plan's target 70%), relative regret ` +
    `${verdict.relativeRegret.toFixed(4)}, structure error ${verdict.structureError.toFixed(3)}` +
    (verdict.reasons.length > 0 ? ` — ${verdict.reasons.join("; ")}` : "") +
    `, ${what}, ${seconds.toFixed(2)} s\n`
  );
}

/** The `gate` command. */
export const command: Command = {
  summary: "Refit on a synthetic world (or a given corpus) and check convergence to its planted optimum",
  help,
  async run(argv: readonly string[], io: CommandIO): Promise<number> {
    const values = parseOptions(argv, {
      seed: { type: "string" },
      seeds: { type: "string" },
      variants: { type: "string" },
      outcomes: { type: "string" },
      key: { type: "string" },
      n: { type: "string" },

      "min-rows": { type: "string" },
      "min-rows-per-model": { type: "string" },
      "min-covered": { type: "string" },
      threshold: { type: "string" },
      "max-regret": { type: "string" },
      "max-structure-error": { type: "string" },
      "min-deviating": { type: "string" },
      lambda: { type: "string" },
      json: { type: "boolean", default: false },
    });
    if ((values.outcomes === undefined) !== (values.key === undefined))
      throw new UsageError("`--outcomes` and `--key` go together");
    const modes = [values.outcomes !== undefined, values.seeds !== undefined, values.seed !== undefined].filter(
      Boolean,
    ).length;
    if (modes > 1) throw new UsageError("choose one of `--seed`, `--seeds` and `--outcomes`/`--key`");
    const lambda =
      values.lambda === undefined ? undefined : numberOption(values.lambda, "--lambda", 1, Number.MIN_VALUE, 1e12);
    const options: GateOptions = {
      n: integerOption(values.n, "--n", WARMUP_GATE.n, MAX_OUTCOME_COUNT, 1),
      minRows: integerOption(values["min-rows"], "--min-rows", DEFAULT_MIN_ROWS, 1_000_000, 1),
      minRowsPerModel: integerOption(
        values["min-rows-per-model"],
        "--min-rows-per-model",
        WARMUP_GATE.minRowsPerModel,
        1_000_000,
        0,
      ),
      minCoveredCells: integerOption(values["min-covered"], "--min-covered", WARMUP_GATE.minCoveredCells, 1_000_000, 1),
      threshold: numberOption(values.threshold, "--threshold", WARMUP_GATE.threshold, 0, 1),
      maxRegret: numberOption(values["max-regret"], "--max-regret", WARMUP_GATE.maxRegret, 0, 10),
      maxStructureError: numberOption(
        values["max-structure-error"],
        "--max-structure-error",
        WARMUP_GATE.maxStructureError,
        0,
        1e6,
      ),
      minDeviatingMatchShare: numberOption(
        values["min-deviating"],
        "--min-deviating",
        WARMUP_GATE.minDeviatingMatchShare,
        0,
        1,
      ),
      ...(lambda === undefined ? {} : { engine: { lambda, pooling: { ridge: 1, shrinkage: lambda } } }),
    };
    const started = performance.now();
    const seconds = (): number => (performance.now() - started) / 1000;

    if (values.seeds !== undefined) {
      const seeds = seedRange(values.seeds);
      const summaries = await calibrateGate({ ...options, seeds, variants: variantList(values.variants) });
      const json = { seeds: [seeds[0], seeds.at(-1)], rule: options, variants: summaries };
      io.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${calibrationTable(summaries)}\n`);
      io.stderr.write(
        `gate calibration: ${summaries.length} variants × ${seeds.length} seeds (${values.seeds}) in ` +
          `${seconds().toFixed(1)} s\n`,
      );
      return ExitCode.ok;
    }

    if (values.outcomes !== undefined) {
      let graded: Awaited<ReturnType<typeof gradeCorpus>>;
      try {
        graded = await gradeCorpus(values.outcomes, values.key!, options);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const { report, verdict } = graded;
      io.stdout.write(
        values.json
          ? `${JSON.stringify(gateJson(report, verdict), null, 2)}\n`
          : `${formatConvergenceReport(report)}\n`,
      );
      io.stderr.write(
        verdictLine(
          verdict,
          `${values.outcomes} (${report.completeness.loggedRows} rows)`,
          seconds(),
          options.threshold!,
        ),
      );
      return verdict.pass ? ExitCode.ok : ExitCode.failed;
    }

    const seed = integerOption(values.seed, "--seed", DEFAULT_SEED, 0xffffffff);
    const { report, verdict } = await runConvergenceGate({ ...options, seed });
    io.stdout.write(
      values.json ? `${JSON.stringify(gateJson(report, verdict), null, 2)}\n` : `${formatConvergenceReport(report)}\n`,
    );
    io.stderr.write(verdictLine(verdict, `seed ${seed}, n ${options.n}`, seconds(), options.threshold!));
    return verdict.pass ? ExitCode.ok : ExitCode.failed;
  },
};
