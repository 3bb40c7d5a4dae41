/**
 * The cadence's evaluation step at scale (issue 14 item 2): a held-out slice of 200,000 rows, the
 * candidate and the incumbent evaluated with every estimator and compared by the paired bootstrap,
 * 1,000 resamples — what `compareOnHeldOut` does after the engine has scored the rows. Target: ≤ 2 s.
 *
 *   npm run build:ts && node dist/bench/eval-scale.js [--rows 200000] [--resamples 1000] [--repeats 3] [--json PATH]
 *
 * The slice is drawn from a bench/gate-world.ts world (40 cells, K = 4 arms, ε = 0.1 logging,
 * Bernoulli rewards; the candidate differs from the incumbent, the logger's greedy policy, on 25% of
 * cells; q̂ a constant 0.5), seed 7. Reported per configuration: wall and CPU seconds (median of the
 * repeats) and the answers, so runs can be compared:
 * - `pair`: evaluatePolicyPair — one reduction to resampling groups' sums, one resampling pass;
 * - `three calls`: evaluateOffPolicy twice and comparePolicies, each drawing its own resamples (the
 *   cadence's evaluation before issue 14; with an older build via `--module`, the row bootstrap);
 * - `groups G`: the pair at other maximum group counts, to show the cost growing with G, not n.
 *
 * `--module PATH` imports the evaluation layer from another build (e.g. the main branch's
 * dist/src/evaluation/index.js) and measures only what that build has: the before figure.
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import type { LoggedEvents, OffPolicyEvaluation, PolicyComparison } from "../src/evaluation/index.js";
import * as current from "../src/evaluation/index.js";
import { drawLoggedAction, drawWorld, loggingProbabilities } from "./gate-world.js";

type Evaluation = typeof current;

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "200000" },
    resamples: { type: "string", default: "1000" },
    repeats: { type: "string", default: "3" },
    json: { type: "string" },
    module: { type: "string" },
  },
});
const rows = Number(values.rows);
const resamples = Number(values.resamples);
const repeats = Number(values.repeats);

/** A held-out slice of the world: events, both policies' choices, q̂. */
function drawSlice(evaluation: Evaluation, n: number, seed: number) {
  const scenario = { exploration: { epsilon: 0.1 }, events: n, delta: 0.01 } as const;
  const world = drawWorld(scenario, seed);
  const k = world.arms;
  const random = evaluation.createSeededRandom(seed + 1);
  const probabilities = Array.from({ length: world.contexts }, (_, x) =>
    loggingProbabilities(world.scores.subarray(x * k, x * k + k), scenario.exploration),
  );
  const actions = new Int32Array(n);
  const rewards = new Float64Array(n);
  const propensities = new Float64Array(n);
  const candidate = new Int32Array(n);
  const incumbent = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const x = random.nextBelow(world.contexts);
    const p = probabilities[x]!;
    const a = drawLoggedAction(p, random.nextFloat());
    actions[i] = a;
    propensities[i] = p[a]!;
    rewards[i] = random.nextFloat() < world.meanReward[x * k + a]! ? 1 : 0;
    candidate[i] = world.candidate[x]!;
    incumbent[i] = world.incumbent[x]!;
  }
  const events = evaluation.createLoggedEvents({ actions, rewards, propensities, actionCount: k });
  return { events, candidate, incumbent, rewardModel: new Float64Array(n * k).fill(0.5) };
}

interface Answers {
  readonly candidate: OffPolicyEvaluation;
  readonly incumbent: OffPolicyEvaluation;
  readonly comparison: PolicyComparison;
}

/** Wall and CPU seconds of `run` (median over the repeats), with its last answers. */
function measure(run: () => Answers, times: number) {
  const walls: number[] = [];
  const cpu: number[] = [];
  let answers: Answers | undefined;
  for (let r = 0; r < times; r++) {
    const start = performance.now();
    const before = process.cpuUsage();
    answers = run();
    const used = process.cpuUsage(before);
    walls.push((performance.now() - start) / 1000);
    cpu.push((used.user + used.system) / 1e6);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const { paired } = answers!.comparison;
  return {
    wallSeconds: median(walls),
    cpuSeconds: median(cpu),
    repeats: times,
    answers: {
      difference: paired.difference,
      lowerBound: paired.lowerBound,
      standardError: paired.standardError,
      groups: (paired as { groups?: number }).groups ?? rows,
      candidateSnips: answers!.candidate.snips.interval,
      incumbentSnips: answers!.incumbent.snips.interval,
    },
  };
}

function threeCalls(evaluation: Evaluation, events: LoggedEvents, slice: ReturnType<typeof drawSlice>, extra = {}) {
  const options = { level: 0.95, resamples, seed: 42, rewardModel: slice.rewardModel, ...extra };
  return {
    candidate: evaluation.evaluateOffPolicy(events, slice.candidate, options),
    incumbent: evaluation.evaluateOffPolicy(events, slice.incumbent, options),
    comparison: evaluation.comparePolicies(events, slice.candidate, slice.incumbent, {
      estimator: "snips",
      rewardModel: slice.rewardModel,
      alpha: 0.025,
      resamples,
      seed: 42,
      ...extra,
    }),
  };
}

const evaluation: Evaluation = values.module === undefined ? current : ((await import(values.module)) as Evaluation);
const slice = drawSlice(evaluation, rows, 7);
const results: Record<string, unknown> = {
  machine: { cpu: cpus()[0]?.model ?? "unknown", cpus: cpus().length, node: process.version },
  loadAverageBefore: loadavg(),
  date: new Date().toISOString(),
  module: values.module ?? "this build",
  rows,
  resamples,
};
const log = (line: string) => process.stdout.write(`${line}\n`);
const figures = (name: string, m: ReturnType<typeof measure>) =>
  log(
    `${name}: ${m.wallSeconds.toFixed(3)} s wall, ${m.cpuSeconds.toFixed(3)} s CPU (median of ${m.repeats}); ` +
      `Δ̂ ${m.answers.difference.toFixed(5)}, bound ${m.answers.lowerBound.toFixed(5)}, G ${m.answers.groups}`,
  );

if (typeof evaluation.evaluatePolicyPair === "function") {
  const pair = (groups?: number) => () => {
    const both = evaluation.evaluatePolicyPair(slice.events, slice.candidate, slice.incumbent, {
      level: 0.95,
      resamples,
      seed: 42,
      rewardModel: slice.rewardModel,
      estimator: "snips",
      ...(groups === undefined ? {} : { groups }),
    });
    return { candidate: both.candidate, incumbent: both.incumbent, comparison: both.comparison };
  };
  const main = measure(pair(), repeats);
  figures(`pair (one pass, default groups) at ${rows} rows × ${resamples} resamples`, main);
  results.pair = { ...main, targetSeconds: 2, pass: main.wallSeconds <= 2 };
  const three = measure(() => threeCalls(evaluation, slice.events, slice), 1);
  figures("three calls (each its own resampling)", three);
  results.threeCalls = three;
  const byGroups: Record<string, unknown> = {};
  for (const groups of [1024, 16384]) {
    const m = measure(pair(groups), 1);
    figures(`pair with groups = ${groups}`, m);
    byGroups[groups] = m;
  }
  results.byGroups = byGroups;
} else {
  const three = measure(() => threeCalls(evaluation, slice.events, slice), 1);
  figures("three calls (row bootstrap)", three);
  results.threeCalls = three;
}
results.loadAverageAfter = loadavg();
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
