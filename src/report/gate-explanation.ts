/**
 * The gate's verdict restated in words for the "why not promoted" box: which condition failed, what
 * the figures mean, and what would change the outcome. Works from the gate's own figures, read by
 * shape so that both production gates are explained:
 *
 * - the paired, support-aware gate (a lower bound on Δ = V(candidate) − V(incumbent) against a
 *   margin, after support checks on each policy's importance weights);
 * - the earlier gate (the candidate's lower bound against the incumbent's estimate, and a minimum
 *   effective sample size), still found in older runs.
 *
 * Anything else the gate lists (a `reasons` array of strings) is passed through as it is.
 */
import type { CadenceResult } from "../cadence/index.js";
import type { ConvergenceReport } from "../synthetic/index.js";
import type { SupportDiagnostics } from "../evaluation/index.js";
import { fixed, percent } from "./svg.js";

/** One policy's support diagnostics (paired gate): the figures the explanation reads. */
type Support = Pick<
  SupportDiagnostics,
  | "meanWeight"
  | "meanWeightStandardError"
  | "meanWeightZ"
  | "zeroWeightShare"
  | "expectedZeroWeightShare"
  | "zeroWeightExcessZ"
  | "effectiveSampleSize"
>;

/** The paired gate's figures. */
interface PairedFigures {
  readonly estimator: string;
  readonly alpha: number;
  readonly margin: number;
  readonly difference: number;
  readonly lowerBound: number;
  readonly candidateValue: number;
  readonly incumbentValue: number;
  readonly minEffectiveSampleSize: number;
  readonly support: {
    readonly critical: number;
    readonly logging: { readonly events: number; readonly deterministicShare: number };
    readonly informative: {
      readonly events: number;
      readonly candidateEffectiveSampleSize: number;
      readonly incumbentEffectiveSampleSize: number;
    };
    readonly minInformativeEffectiveSampleSize: number;
    readonly candidate: Support;
    readonly incumbent: Support;
  } | null;
}

/** The earlier gate's figures. */
interface LowerBoundFigures {
  readonly estimator: string;
  readonly candidateLower: number;
  readonly candidateValue: number;
  readonly incumbentValue: number;
  readonly effectiveSampleSize: number;
  readonly minEffectiveSampleSize: number;
}

function pairedFigures(gate: object): PairedFigures | null {
  const g = gate as Partial<PairedFigures>;
  return typeof g.estimator === "string" && "lowerBound" in g && "margin" in g && "support" in g
    ? (g as PairedFigures)
    : null;
}

function lowerBoundFigures(gate: object): LowerBoundFigures | null {
  const g = gate as Partial<LowerBoundFigures>;
  return typeof g.estimator === "string" && typeof g.candidateLower === "number" && typeof g.incumbentValue === "number"
    ? (g as LowerBoundFigures)
    : null;
}

/** Extra reasons a gate may list (strings only). */
function listedReasons(gate: object): string[] {
  const reasons = (gate as { reasons?: unknown }).reasons;
  return Array.isArray(reasons) ? reasons.filter((r): r is string => typeof r === "string") : [];
}

/** JSON turns NaN and ±Infinity into null: read those back as NaN. */
function n(x: number | null | undefined): number {
  return typeof x === "number" ? x : Number.NaN;
}

function incumbentName(result: CadenceResult): string {
  const i = result.evaluation?.incumbent;
  if (i === undefined) return "the incumbent";
  return i.kind === "active" ? `the active policy (version ${i.policyVersionId})` : "the uniform policy";
}

function supportSentences(who: string, s: Support, critical: number, minEss: number): string[] {
  const out: string[] = [];
  if (Math.abs(n(s.meanWeightZ)) > critical) {
    out.push(
      `The log barely covers ${who}'s choices: its mean importance weight is ${fixed(s.meanWeight, 3)} ` +
        `(±${fixed(s.meanWeightStandardError, 3)}), where a log that covers a policy gives 1. It routes requests to ` +
        `models the logging policy (almost) never chose for them, so no weighted estimate of its value can be trusted.`,
    );
  }
  if (s.zeroWeightExcessZ !== null && n(s.zeroWeightExcessZ) > critical) {
    out.push(
      `${capitalise(who)} disagrees with the logged model on ${percent(s.zeroWeightShare)} of requests, where the ` +
        `logging policy's own propensities allow only ${percent(n(s.expectedZeroWeightShare))}: the log cannot have ` +
        `produced that, so the propensities or the policy's arms do not match the log.`,
    );
  }
  if (!(n(s.effectiveSampleSize) >= minEss)) {
    out.push(
      `Too little evidence about ${who}: the log holds the equivalent of ${fixed(s.effectiveSampleSize, 1)} ` +
        `requests routed its way; the gate asks for ${minEss}.`,
    );
  }
  return out;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function pairedSentences(result: CadenceResult, f: PairedFigures): string[] {
  const name = f.estimator.toUpperCase();
  const out: string[] = [];
  const s = f.support;
  if (s !== null) {
    if (s.logging.deterministicShare === 1) {
      out.push(
        `The log cannot judge a new policy: all ${s.logging.events} held-out requests were routed ` +
          `deterministically (propensity 1), so it only shows what the serving policy did. Serve with randomised ` +
          `exploration (epsilon or softmax) to make the next policy evaluable.`,
      );
    }
    out.push(...supportSentences("the candidate", s.candidate, s.critical, f.minEffectiveSampleSize));
    out.push(...supportSentences(incumbentName(result), s.incumbent, s.critical, f.minEffectiveSampleSize));
    const least = Math.min(
      n(s.informative.candidateEffectiveSampleSize),
      n(s.informative.incumbentEffectiveSampleSize),
    );
    if (s.informative.events > 0 && !(least >= s.minInformativeEffectiveSampleSize)) {
      out.push(
        `Too little evidence about the difference: the two policies route ${s.informative.events} held-out ` +
          `requests differently, worth ${fixed(s.informative.candidateEffectiveSampleSize, 1)} (candidate) and ` +
          `${fixed(s.informative.incumbentEffectiveSampleSize, 1)} (incumbent) effective requests; the gate asks for ` +
          `${s.minInformativeEffectiveSampleSize}. More traffic in the cells where they disagree adds evidence.`,
      );
    }
  }
  if (out.length === 0 && Number.isFinite(n(f.lowerBound)) && !(f.lowerBound > f.margin)) {
    const level = percent(1 - f.alpha, 1);
    const gain = `${f.difference >= 0 ? "+" : ""}${fixed(f.difference, 4)}`;
    out.push(
      f.difference > f.margin
        ? `Not clearly better: the candidate's estimated gain over ${incumbentName(result)} is ${gain} (${name} ` +
            `${fixed(f.candidateValue, 4)} against ${fixed(f.incumbentValue, 4)}), but the ${level} lower bound on ` +
            `that gain is ${fixed(f.lowerBound, 4)}, not above the margin ${f.margin}: the gain could be noise.`
        : `Not better: the candidate's estimated gain over ${incumbentName(result)} is ${gain} (${name} ` +
            `${fixed(f.candidateValue, 4)} against ${fixed(f.incumbentValue, 4)}), not above the margin ${f.margin}.`,
    );
  }
  return out;
}

function lowerBoundSentences(result: CadenceResult, f: LowerBoundFigures): string[] {
  const name = f.estimator.toUpperCase();
  const incumbent = incumbentName(result);
  const level = Math.round((result.evaluation?.candidate.snips.interval.level ?? 0.95) * 100);
  const out: string[] = [];
  if (!(f.effectiveSampleSize >= f.minEffectiveSampleSize)) {
    out.push(
      `Too little evidence: the candidate's ${name} estimate rests on ${fixed(f.effectiveSampleSize, 1)} effective ` +
        `requests, and the gate asks for at least ${f.minEffectiveSampleSize}. The held-out log rarely routed ` +
        `requests the way the candidate would, so its value cannot be measured well yet; more logged traffic (with ` +
        `exploration) adds evidence.`,
    );
  }
  if (!(f.candidateLower > f.incumbentValue)) {
    out.push(
      f.candidateValue <= f.incumbentValue
        ? `Not better: the candidate's ${name} estimate ${fixed(f.candidateValue, 4)} is not above the ` +
            `${fixed(f.incumbentValue, 4)} of ${incumbent}.`
        : `Not clearly better: the candidate's ${name} estimate ${fixed(f.candidateValue, 4)} is above the ` +
            `${fixed(f.incumbentValue, 4)} of ${incumbent}, but the low end of its ${level}% interval, ` +
            `${fixed(f.candidateLower, 4)}, is not — the gap could be noise. The gate promotes only when even the ` +
            `low end beats the incumbent.`,
    );
  }
  return out;
}

/** Why a warm-up failed: each of the convergence report's conditions that does not hold. */
function warmupSentences(c: ConvergenceReport): string[] {
  const out: string[] = [];
  if (c.coveredCells < c.minCoveredCells) {
    out.push(
      `Too few cells to grade: ${c.coveredCells} are covered (≥ ${c.minRows} rows, ≥ ${c.minRowsPerModel} of every ` +
        `model), the gate needs ${c.minCoveredCells}. Load more rows (--n) so that every model is tried in most cells.`,
    );
  }
  if (!c.completeness.complete) {
    out.push(
      `The fit is incomplete: the engine holds ${c.completeness.fittedRows} of the ${c.completeness.loggedRows} ` +
        `logged rows, and ${c.completeness.mismatches} (cell, model) counts differ from the log — the pipeline ` +
        `loses, duplicates or misfiles rows, whatever it learned.`,
    );
  }
  if (c.matchShare < c.threshold) {
    out.push(
      `Only ${c.matches} of ${c.coveredCells} covered cells (${percent(c.matchShare)}) choose the planted optimum; ` +
        `the warm-up needs ${percent(c.threshold)}. The refit cannot find an answer planted in the data: check the ` +
        `features, the rewards and the engine options before trusting a production run.`,
    );
  }
  return out;
}

/**
 * Sentences explaining why the run promoted nothing; empty when it promoted (or, for a warm-up,
 * when its gate passed: a warm-up never promotes by design).
 */
export function whyNotPromoted(result: CadenceResult): string[] {
  if (result.promoted) return [];
  const gate = result.gate;
  if (result.mode === "warmup") {
    if (gate.passed) return [];
    const sentences = [...warmupSentences(result.convergence), ...listedReasons(gate)];
    return sentences.length > 0 ? sentences : [gate.reason];
  }
  if (gate.passed) return ["The gate passed but nothing was promoted."];
  const paired = pairedFigures(gate);
  const older = paired === null ? lowerBoundFigures(gate) : null;
  const sentences =
    paired !== null ? pairedSentences(result, paired) : older !== null ? lowerBoundSentences(result, older) : [];
  const listed = listedReasons(gate).filter((r) => !sentences.includes(r));
  return [...sentences, ...listed, ...(sentences.length + listed.length === 0 ? [gate.reason] : [])];
}
