/**
 * The gate's verdict restated in words for the "why not promoted" box: which condition failed, what
 * the figures mean, and what would change the outcome. Works from the gate's own figures; any extra
 * reasons the gate gives (a list of strings) are passed through as they are.
 */
import type { CadenceResult } from "../cadence/index.js";
import { fixed, percent } from "./svg.js";

/** The production gate's figures, when the gate carries them. */
interface ProdFigures {
  readonly estimator: string;
  readonly candidateLower: number;
  readonly candidateValue: number;
  readonly incumbentValue: number;
  readonly effectiveSampleSize: number;
  readonly minEffectiveSampleSize: number;
}

function prodFigures(gate: object): ProdFigures | null {
  const g = gate as Partial<ProdFigures>;
  return typeof g.estimator === "string" && typeof g.candidateLower === "number" && typeof g.incumbentValue === "number" ? (g as ProdFigures) : null;
}

/** Extra reasons a gate may list (strings only). */
function listedReasons(gate: object): string[] {
  const reasons = (gate as { reasons?: unknown }).reasons;
  return Array.isArray(reasons) ? reasons.filter((r): r is string => typeof r === "string") : [];
}

function prodSentences(result: CadenceResult, f: ProdFigures): string[] {
  const name = f.estimator.toUpperCase();
  const incumbent = result.evaluation.incumbent.kind === "active" ? `the active policy (version ${result.evaluation.incumbent.policyVersionId})` : "the uniform policy";
  const level = Math.round((result.evaluation.candidate.snips.interval.level ?? 0.95) * 100);
  const out: string[] = [];
  if (!(f.effectiveSampleSize >= f.minEffectiveSampleSize)) {
    out.push(
      `Too little evidence: the candidate's ${name} estimate rests on ${fixed(f.effectiveSampleSize, 1)} effective requests, and the gate asks for at least ${f.minEffectiveSampleSize}. ` +
        "The held-out log rarely routed requests the way the candidate would, so its value cannot be measured well yet; more logged traffic (with exploration) adds evidence.",
    );
  }
  if (!(f.candidateLower > f.incumbentValue)) {
    const worse = f.candidateValue <= f.incumbentValue;
    out.push(
      worse
        ? `Not better: the candidate's ${name} estimate ${fixed(f.candidateValue, 4)} is not above the ${fixed(f.incumbentValue, 4)} of ${incumbent}.`
        : `Not clearly better: the candidate's ${name} estimate ${fixed(f.candidateValue, 4)} is above the ${fixed(f.incumbentValue, 4)} of ${incumbent}, ` +
            `but the low end of its ${level}% interval, ${fixed(f.candidateLower, 4)}, is not — the gap could be noise. The gate promotes only when even the low end beats the incumbent.`,
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
    const c = result.convergence;
    const sentences =
      c === null
        ? []
        : [
            `Only ${c.matches} of ${c.coveredCells} covered cells (${percent(c.matchShare)}) choose the planted optimum; the warm-up needs ${percent(c.threshold)}. ` +
              "The refit cannot find an answer planted in the data: check the features, the rewards and the engine options before trusting a production run.",
          ];
    return [...sentences, ...listedReasons(gate)];
  }
  if (gate.passed) return ["The gate passed but nothing was promoted."];
  const figures = prodFigures(gate);
  const sentences = figures === null ? [] : prodSentences(result, figures);
  const listed = listedReasons(gate).filter((r) => !sentences.includes(r));
  return [...sentences, ...listed, ...(sentences.length + listed.length === 0 ? [gate.reason] : [])];
}
