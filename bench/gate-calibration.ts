/**
 * Calibration of the promotion gate (README "Promotion gate"): seeded simulations at the evaluation
 * level (bench/gate-world.ts), the gate exactly as the cadence runs it.
 *
 *   npm run build:ts && nice node dist/bench/gate-calibration.js [--quick] [--groups G] [--streamed]
 *     [--json bench/gate-calibration-results.json]
 *
 * The bootstrap resamples groups' sums (src/evaluation/resampling-groups.ts): with the default
 * maximum of 4,096 groups, every event is its own group up to 4,000 held-out rows (the row
 * bootstrap) and events share groups at 8,000 and 16,000; `--groups G` sets the maximum, e.g. 512 to
 * make every case a grouped one. `--streamed` evaluates as the cadence does: the held-out rows in
 * chunks of 1,000 into a PolicyPairAccumulator told only an upper bound (1.25 n) on their number
 * (bench/gate-world.ts), instead of comparePolicies over the rows whole.
 *
 * Parts (seeds in the output; tuning seeds 1000–1999 / 5000–5999 were used to choose the bound's
 * flavour and the informative-evidence minimum, and are never used here):
 * 1. deterministic logs (every propensity 1), a candidate clearly worse where it disagrees: promotions;
 * 2. Δ = 0 exactly (a different but equally good candidate): the bound's one-sided error rate per
 *    flavour (studentized, percentile, basic), by held-out size;
 * 3. slightly worse candidates (−0.005 ≤ Δ < 0), ≥ 600 pairs per size: false promotions;
 * 4. clearly better candidates (Δ = 0.04): promotions, by held-out size;
 * 5. exploration settings: effective sample size per row of a different greedy policy, the paired
 *    standard error, and the held-out rows (and corpus rows, at 20% held out) a promotion needs.
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import type { Exploration } from "../src/engine/types.js";
import { DEFAULT_MAX_GROUPS, inverseNormal } from "../src/evaluation/index.js";
import { drawWorld, runGate, STREAMED_BOUND, type GateScenario } from "./gate-world.js";

// Strict, so that a mistyped flag (or --help) stops here instead of starting a full run that
// overwrites the committed results.
const { values: flags } = parseArgs({
  strict: true,
  options: {
    quick: { type: "boolean", default: false },
    json: { type: "string", default: "bench/gate-calibration-results.json" },
    groups: { type: "string" },
    streamed: { type: "boolean", default: false },
  },
});
const quick = flags.quick;
const jsonPath = flags.json;
/** The most resampling groups (undefined: the library's default). */
const GROUPS = flags.groups === undefined ? undefined : Number(flags.groups);
/** Rows per chunk when the held-out rows are streamed as the cadence streams them (undefined: whole). */
const STREAMED_CHUNK = flags.streamed ? 1000 : undefined;
/** Report seeds: worlds from 100000, logs from 200000 (never used for tuning). */
const WORLD_SEED = 100_000;
const LOG_SEED = 200_000;
const ALPHA = 0.025;
const DEFAULT_EXPLORATION: Exploration = { epsilon: 0.1 };

function binomialError(rate: number, runs: number): number {
  return Math.sqrt((rate * (1 - rate)) / runs);
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Runs `runs` seeded worlds+logs of a scenario (Δ drawn per run when `delta` is a function). */
function simulate(
  base: Omit<GateScenario, "delta">,
  delta: (i: number) => number,
  runs: number,
  offset: number,
  resamples = 1000,
) {
  let promoted = 0;
  let refused = 0;
  let supportRefusals = 0;
  const boundAbove = { studentized: 0, percentile: 0, basic: 0 };
  const reasons = new Map<string, number>();
  let plantedMin = Infinity;
  let plantedMax = -Infinity;
  let seSum = 0;
  for (let i = 0; i < runs; i++) {
    const scenario = { ...base, delta: delta(i) };
    const world = drawWorld(scenario, WORLD_SEED + offset + i);
    plantedMin = Math.min(plantedMin, world.delta);
    plantedMax = Math.max(plantedMax, world.delta);
    const decision = runGate(world, scenario, LOG_SEED + offset + i, {
      resamples,
      ...(GROUPS === undefined ? {} : { groups: GROUPS }),
      ...(STREAMED_CHUNK === undefined ? {} : { streamedChunk: STREAMED_CHUNK }),
    });
    if (decision.passed) promoted++;
    const problems = decision.support?.problems ?? [];
    if (problems.length > 0) refused++;
    if (problems.some((p) => p.includes("support"))) supportRefusals++;
    for (const p of problems) {
      const kind = p.split(":")[0]!;
      reasons.set(kind, (reasons.get(kind) ?? 0) + 1);
    }
    for (const m of ["studentized", "percentile", "basic"] as const) if (decision.bounds[m] > 0) boundAbove[m]++;
    seSum += decision.standardError;
  }
  return {
    runs,
    seeds: {
      worlds: `${WORLD_SEED + offset}–${WORLD_SEED + offset + runs - 1}`,
      logs: `${LOG_SEED + offset}–${LOG_SEED + offset + runs - 1}`,
    },
    plantedDelta: [plantedMin, plantedMax],
    promoted,
    promotedRate: promoted / runs,
    refused,
    supportRefusals,
    refusalReasons: Object.fromEntries(reasons),
    boundAboveZero: boundAbove,
    meanStandardError: seSum / runs,
  };
}

const started = Date.now();
const results: Record<string, unknown> = {
  machine: { cpu: cpus()[0]?.model ?? "unknown", cpus: cpus().length, node: process.version },
  date: new Date().toISOString(),
  alpha: ALPHA,
  quick,
  groups: GROUPS ?? DEFAULT_MAX_GROUPS,
  streamed: STREAMED_CHUNK === undefined ? null : { chunkRows: STREAMED_CHUNK, expectedEventsPerEvent: STREAMED_BOUND },
};

// 1. Deterministic logs.
{
  const runs = quick ? 40 : 250;
  const out: Record<string, unknown> = {};
  for (const events of [800, 4000]) {
    const r = simulate({ exploration: "ucb", events }, () => -0.128, runs, 0);
    out[`n${events}`] = r;
    log(
      `deterministic logs, Δ = −0.128, n = ${events}: promoted ${r.promoted}/${r.runs}, refused naming support ${r.supportRefusals}`,
    );
  }
  results.deterministic = out;
}

// 2. Δ = 0: the bound flavours' one-sided error.
{
  const runs = quick ? 60 : 400;
  const out: Record<string, unknown> = {};
  for (const events of quick ? [4000] : [1000, 4000, 16000]) {
    const r = simulate({ exploration: DEFAULT_EXPLORATION, events }, () => 0, runs, 10_000 + events);
    out[`n${events}`] = r;
    const share = (x: number): string => `${((100 * x) / runs).toFixed(1)}%`;
    log(
      `Δ = 0, ε = 0.1, n = ${events}: bound > 0 — studentized ${share(r.boundAboveZero.studentized)}, ` +
        `percentile ${share(r.boundAboveZero.percentile)}, ` +
        `basic ${share(r.boundAboveZero.basic)}; promoted by the gate ${share(r.promoted)} (refused ${r.refused})`,
    );
  }
  results.equal = out;
}

// 3. Slightly worse candidates.
{
  const runs = quick ? 100 : 600;
  const out: Record<string, unknown> = {};
  for (const events of quick ? [4000] : [2000, 8000]) {
    const r = simulate(
      { exploration: DEFAULT_EXPLORATION, events },
      (i) => -0.005 + 0.005 * ((i + 0.5) / runs),
      runs,
      20_000 + events,
    );
    const limit = ALPHA + 2 * binomialError(ALPHA, runs);
    out[`n${events}`] = { ...r, limit, pass: r.promotedRate <= limit };
    const rate = `${r.promoted}/${runs} = ${(100 * r.promotedRate).toFixed(2)}%`;
    log(
      `slightly worse (−0.005 ≤ Δ < 0), ε = 0.1, n = ${events}: promoted ${rate} (limit ${(100 * limit).toFixed(2)}%)`,
    );
  }
  results.slightlyWorse = out;
}

// 4. Clearly better candidates.
{
  const runs = quick ? 40 : 200;
  const out: Record<string, unknown> = {};
  for (const events of quick ? [8000] : [2000, 4000, 8000, 16000]) {
    const r = simulate({ exploration: DEFAULT_EXPLORATION, events }, () => 0.04, runs, 30_000 + events);
    out[`n${events}`] = r;
    const rate = `${r.promoted}/${runs} = ${(100 * r.promotedRate).toFixed(1)}%`;
    log(`clearly better (Δ = 0.04), ε = 0.1, n = ${events} held out (${events * 5} rows): promoted ${rate}`);
  }
  results.clearlyBetter = out;
}

// 5. Exploration settings: ESS per row and rows needed.
{
  const settings: [string, Exploration][] = [
    ["epsilon 0.05", { epsilon: 0.05 }],
    ["epsilon 0.1", { epsilon: 0.1 }],
    ["epsilon 0.2", { epsilon: 0.2 }],
    ["softmax 0.05", { softmax: 0.05 }],
    ["softmax 0.1", { softmax: 0.1 }],
  ];
  const runs = quick ? 10 : 40;
  const events = 8000;
  const z = -inverseNormal(ALPHA) - inverseNormal(0.1);
  const out: Record<string, unknown> = {};
  for (const [name, exploration] of settings) {
    let essPerRow = 0;
    let informativePerRow = 0;
    let seRootN = 0;
    let fullEssPerRow = 0;
    for (let i = 0; i < runs; i++) {
      const scenario = { exploration, events, delta: 0.04 };
      const world = drawWorld(scenario, WORLD_SEED + 40_000 + i);
      const d = runGate(world, scenario, LOG_SEED + 40_000 + i, { resamples: 200 });
      essPerRow += d.support!.candidate.effectiveSampleSize / events;
      informativePerRow += d.informative.candidateEffectiveSampleSize / events;
      seRootN += d.standardError * Math.sqrt(events);
      // A greedy policy that differs from the logger's everywhere.
      const other = { ...scenario, disagreement: 1 };
      const full = runGate(drawWorld(other, WORLD_SEED + 50_000 + i), other, LOG_SEED + 50_000 + i, { resamples: 50 });
      fullEssPerRow += full.support!.candidate.effectiveSampleSize / events;
    }
    essPerRow /= runs;
    informativePerRow /= runs;
    seRootN /= runs;
    fullEssPerRow /= runs;
    const forPower = Math.ceil(((seRootN * z) / 0.04) ** 2);
    const forEvidence = Math.ceil(20 / informativePerRow);
    const heldOut = Math.max(forPower, forEvidence);
    out[name] = {
      exploration,
      runs,
      events,
      essPerRowDisagreeEverywhere: fullEssPerRow,
      essPerRowDisagreeQuarter: essPerRow,
      informativeEssPerRow: informativePerRow,
      standardErrorTimesRootN: seRootN,
      heldOutRowsForPower90AtDelta004: forPower,
      heldOutRowsForInformativeMinimum: forEvidence,
      heldOutRowsNeeded: heldOut,
      corpusRowsNeeded: heldOut * 5,
    };
    log(
      `${name}: ESS/row ${fullEssPerRow.toFixed(4)} (differs everywhere, 1/${(1 / fullEssPerRow).toFixed(0)}), ` +
        `${essPerRow.toFixed(3)} (differs on 25%); SE·√n ${seRootN.toFixed(2)}; ` +
        `held-out rows for 90% power at Δ = 0.04: ${forPower}, for the informative minimum: ${forEvidence}; corpus ≈ ${heldOut * 5}`,
    );
  }
  results.exploration = out;
}

results.seconds = (Date.now() - started) / 1000;
writeFileSync(jsonPath!, `${JSON.stringify(results, null, 2)}\n`);
log(`done in ${results.seconds} s; results in ${jsonPath}`);
