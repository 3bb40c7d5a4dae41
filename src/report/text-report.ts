/**
 * The cadence report as text, for stdout: what was read, how the candidate and the incumbent did
 * on the held-out slice (every estimator, with its interval and effective sample size), the gate's
 * verdict, and for a warm-up the convergence report and its learning curve.
 */
import type { CadenceResult, CorpusSummary, ProdGateDecision } from "../cadence/index.js";
import {
  estimateParts,
  type OffPolicyEstimate,
  type OffPolicyEvaluation,
  type SupportDiagnostics,
} from "../evaluation/index.js";
import { formatConvergenceReport } from "../synthetic/index.js";
import { ESTIMATORS } from "./estimator-notes.js";
import { fixed } from "./svg.js";

function estimateCell(estimate: OffPolicyEstimate | undefined): string {
  if (estimate === undefined) return "—";
  const parts = estimateParts(estimate, { notation: "fixed" });
  return `${parts.value} ${parts.interval} ess ${parts.effectiveSampleSize}`;
}

/** The estimates of both policies, one line per estimator. */
export function formatEstimates(
  candidate: OffPolicyEvaluation,
  incumbent: OffPolicyEvaluation,
  incumbentLabel: string,
): string {
  const rows = ESTIMATORS.map((name) => [
    name.toUpperCase(),
    estimateCell(candidate[name]),
    estimateCell(incumbent[name]),
  ]);
  const widths = [
    9,
    Math.max(9, ...rows.map((r) => r[1]!.length)),
    Math.max(incumbentLabel.length, ...rows.map((r) => r[2]!.length)),
  ];
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [
    line(["estimator", "candidate", incumbentLabel]),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
  ].join("\n");
}

/** The production gate's support diagnostics, one line per policy. */
function formatSupport(support: NonNullable<ProdGateDecision["support"]>): string[] {
  const who = (name: string, d: SupportDiagnostics): string =>
    `support       ${name.padEnd(9)} mean weight ${fixed(d.meanWeight, 4)} ± ${fixed(d.meanWeightStandardError, 4)}, ` +
    `zero weights ${fixed(100 * d.zeroWeightShare, 4)}%` +
    (d.expectedZeroWeightShare === null
      ? ""
      : ` (propensities predict ${fixed(100 * d.expectedZeroWeightShare, 4)}%)`) +
    `, effective sample size ${d.effectiveSampleSize.toFixed(1)}`;
  const { logging, informative } = support;
  return [
    `support       logs      ${logging.events} events, ${fixed(100 * logging.deterministicShare, 4)}% logged with ` +
      `propensity 1, smallest propensity ${fixed(logging.minPropensity, 4)}`,
    who("candidate", support.candidate),
    who("incumbent", support.incumbent),
    `support       evidence  ${informative.events} events where the weights differ; ` +
      `effective sizes ${informative.candidateEffectiveSampleSize.toFixed(1)} / ` +
      `${informative.incumbentEffectiveSampleSize.toFixed(1)} (minimum ${support.minInformativeEffectiveSampleSize})`,
  ];
}

/** The rejected rows: counts by reason, the first ids with their reasons, and the bounds they broke. */
export function formatRejected(corpus: CorpusSummary): string[] {
  if (corpus.rowsRejected === 0) return [];
  const { reward, minPropensity, maxFeatureMagnitude } = corpus.bounds;
  const more = corpus.rowsRejected - corpus.rejectedExamples.length;
  const byReason = Object.entries(corpus.rejectedByReason)
    .map(([kind, count]) => `${kind} ${count}`)
    .join(", ");
  return [
    `rejected      ${corpus.rowsRejected} rows (${byReason}); ` +
      `bounds: reward in ${reward === null ? "any finite" : `[${reward.min}, ${reward.max}]`}, ` +
      `propensity ≥ ${minPropensity}, |feature| ≤ ${maxFeatureMagnitude}`,
    ...corpus.rejectedExamples.map((row) => `  row ${row.id}: ${row.reason}`),
    ...(more > 0 ? [`  … and ${more} more`] : []),
  ];
}

/** How a prod run refitted: from a base version's statistics and the rows after its mark, or whole (and why). */
function formatRefit(refit: CadenceResult["refit"]): string {
  const what =
    refit.kind === "incremental"
      ? `incremental from version ${refit.baseVersionId} (${refit.baseRows} rows up to id ${refit.baseHighWaterId})` +
        ` + ${refit.rowsRead} rows read`
      : `full, ${refit.rowsRead} rows read: ${refit.reason}`;
  const note = refit.basisNotRecorded === null ? "" : `; no basis recorded (${refit.basisNotRecorded})`;
  return `refit         ${what}${note}`;
}

/** The whole report; see the module comment. */
export function formatCadenceReport(result: CadenceResult, files: readonly string[] = []): string {
  const { corpus, evaluation, gate } = result;
  const level = Math.round((evaluation?.candidate.snips.interval.level ?? 0) * 100);
  const incumbent = evaluation?.incumbent;
  const incumbentLabel =
    incumbent?.kind === "active" ? `active policy v${incumbent.policyVersionId}` : "uniform policy";
  const lines = [
    `Cadence ${result.mode}: training run ${result.runId}`,
    "",
    `corpus        ` +
      `${corpus.table}${corpus.sourceFilter === null ? "" : ` WHERE source = '${corpus.sourceFilter}'`}: ` +
      `${corpus.split.total} rows, ${corpus.rowsRead} fitted, ${corpus.rowsRejected} rejected, ${corpus.cells} cells`,
    `split         ${corpus.split.training} training rows, ${corpus.split.heldOut} held out ` +
      `from ${corpus.split.cutoff?.createdAt ?? "—"} (id ${corpus.split.cutoff?.id ?? "—"})`,
    ...formatRejected(corpus),
    ...(result.mode === "prod" ? [formatRefit(result.refit)] : []),
    ...(result.abandonedRuns.length === 0
      ? []
      : [
          `abandoned     runs ${result.abandonedRuns.join(", ")}: left running by a process that died, marked ` +
            `abandoned`,
        ]),
    ...(result.mode === "prod"
      ? []
      : [
          `load          ${result.load.source} seed ${result.load.seed}, n ${result.load.n}: ` +
            `${result.load.inserted} written, ${result.load.skipped} already present`,
        ]),
    `judge         ${result.judge.judged} rows judged by ${result.judge.judge}`,
    "",
    ...(evaluation === null
      ? ["Held-out evaluation: none (no rows newer than the incumbent's training)", ""]
      : [
          `Held-out evaluation: ${evaluation.events} events, logged reward ${fixed(evaluation.loggedValue, 4)} ` +
            `(value [${level}% interval] effective sample size)`,
          "",
          formatEstimates(evaluation.candidate, evaluation.incumbentEstimates, incumbentLabel),
          "",
        ]),
  ];
  if (result.mode === "warmup") {
    lines.push(formatConvergenceReport(result.convergence), "");
    if (result.learningCurve.length > 0) {
      const training = corpus.split.training;
      lines.push(
        "learning curve (rows fitted in time order → covered cells matching the planted optimum; " +
          `up to n = ${training} the training slice only, then the held-out rows added back)`,
      );
      for (const point of result.learningCurve) {
        const share = point.coveredCells === 0 ? "    —" : `${(point.matchShare * 100).toFixed(1).padStart(5)}%`;
        const fitted = point.n <= training ? "" : "   + held-out rows";
        const counts = `${String(point.matches).padStart(3)}/${String(point.coveredCells).padEnd(3)}`;
        lines.push(`  n ${String(point.n).padStart(7)}   ${counts} ${share}${fitted}`);
      }
      lines.push("");
    }
  }
  const { integrity, coverage, shrinkage } = result.learned;
  const estimate = shrinkage.estimate;
  lines.push(
    `shrinkage     ${shrinkage.mode}: per-cell ridge λ = ${shrinkage.strength.toPrecision(4)}` +
      (estimate === null
        ? ""
        : ` (σ² ${estimate.noiseVariance.toFixed(4)}, between-cell τ² ` +
          `${estimate.betweenCellVariance.toExponential(2)}, ${estimate.rows} rows)`),
  );
  lines.push(
    `integrity     ${integrity.ok ? "ok" : "FAILED"}: engine ${integrity.engineRows} rows = SQL ` +
      `${integrity.sqlRows} rows over ${integrity.models} (cell, model) pairs`,
  );
  lines.push(
    // Not the warm-up gate's "coverage" line (training slice, also ≥ minRows per cell): this one
    // counts every row in the models (after an incremental refit, the base's too).
    `corpus        ${coverage.coveredCells} of ${coverage.cells.length} cells hold ≥ ${coverage.minRowsPerModel} ` +
      `rows of every model (all rows fitted)`,
  );
  lines.push(`gate          ${gate.passed ? "PASSED" : "FAILED"}: ${gate.reason}`);
  if (result.mode === "prod" && result.gate.support !== null) lines.push(...formatSupport(result.gate.support));
  lines.push(
    result.mode === "warmup"
      ? "promotion     none: a warm-up never promotes (synthetic results are pipeline QA, not evidence about real " +
          "traffic)"
      : result.promoted
        ? `promotion     policy version ${result.policyVersionId} is now the active policy`
        : "promotion     none: the active policy is unchanged",
  );
  lines.push(`timings       ${result.timings.map((t) => `${t.step} ${t.seconds.toFixed(2)} s`).join(", ")}`);
  for (const file of files) lines.push(`report file   ${file}`);
  return lines.join("\n");
}
