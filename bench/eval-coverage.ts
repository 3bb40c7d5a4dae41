/**
 * Coverage of the estimators' bootstrap intervals once events share resampling groups
 * (src/evaluation/resampling-groups.ts): seeded logs of known worlds, the share of 95% intervals
 * that contain each estimator's target, per held-out size and maximum group count.
 *
 *   npm run build:ts && nice node dist/bench/eval-coverage.js [--runs 400] [--seed 400000] [--streamed] [--json PATH]
 *
 * Worlds are bench/gate-world.ts's (40 cells, K = 4 arms, Bernoulli rewards, ε = 0.1 logging by the
 * incumbent's greedy arm); the target policy is the candidate (differs on 25% of cells). Targets:
 * V(candidate) for IPS, SNIPS and DR (q̂ = the true means plus a fixed per-(cell, arm) error, so DR
 * has a residual to correct); E[q̂(x, π(x))] for DM (its interval ignores the model's bias by design);
 * for replay, the kept events' expected reward Σₓ p(π(x)|x) μ(x, π(x)) / Σₓ p(π(x)|x) (replay is
 * unbiased only under uniform logging; its interval is about its own limit). Run r uses world seed
 * `seed + r` and log seed `seed + 50000 + r`; tuning used --seed 7000 --runs 100, the report
 * --seed 400000.
 *
 * `--streamed`: the logs are evaluated as the cadence evaluates its held-out slice — in chunks of
 * 10,000 rows into a PolicyPairAccumulator told only an upper bound (1.25 n) on their number, so the
 * groups are dealt by the keyed permutation of [0, 1.25 n) and are of unequal sizes — instead of
 * evaluateOffPolicy over the rows whole.
 */
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { createLoggedEvents, createSeededRandom, evaluateOffPolicy } from "../src/evaluation/index.js";
import {
  drawLoggedAction,
  drawWorld,
  loggingProbabilities,
  STREAMED_BOUND,
  streamedPairEvaluation,
} from "./gate-world.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "400" },
    seed: { type: "string", default: "400000" },
    resamples: { type: "string", default: "1000" },
    streamed: { type: "boolean", default: false },
    json: { type: "string" },
  },
});
const runs = Number(values.runs);
const baseSeed = Number(values.seed);
const resamples = Number(values.resamples);
const ESTIMATORS = ["ips", "snips", "dr", "dm", "replay"] as const;

type Covers = Record<(typeof ESTIMATORS)[number], boolean>;

/** Rows per chunk of `--streamed`. */
const STREAMED_CHUNK = 10_000;

/**
 * One run: draws a world and a log, evaluates the candidate with each maximum group count on the
 * same log, returns which intervals cover.
 */
function coverOnce(events: number, groupCounts: readonly number[], run: number): Covers[] {
  const scenario = { exploration: { epsilon: 0.1 }, events, delta: 0.01 } as const;
  const world = drawWorld(scenario, baseSeed + run);
  const k = world.arms;
  const c = world.contexts;
  const probabilities = Array.from({ length: c }, (_, x) =>
    loggingProbabilities(world.scores.subarray(x * k, x * k + k), scenario.exploration),
  );
  const modelError = createSeededRandom(baseSeed + 90_000 + run);
  const model = Float64Array.from(world.meanReward, (m) => m + 0.1 * (modelError.nextFloat() - 0.5));
  const random = createSeededRandom(baseSeed + 50_000 + run);
  const actions = new Int32Array(events);
  const rewards = new Float64Array(events);
  const propensities = new Float64Array(events);
  const policy = new Int32Array(events);
  const rewardModel = new Float64Array(events * k);
  for (let i = 0; i < events; i++) {
    const x = random.nextBelow(c);
    const p = probabilities[x]!;
    const a = drawLoggedAction(p, random.nextFloat());
    actions[i] = a;
    propensities[i] = p[a]!;
    rewards[i] = random.nextFloat() < world.meanReward[x * k + a]! ? 1 : 0;
    policy[i] = world.candidate[x]!;
    rewardModel.set(model.subarray(x * k, x * k + k), i * k);
  }
  let value = 0;
  let dm = 0;
  let keptTop = 0;
  let keptBottom = 0;
  for (let x = 0; x < c; x++) {
    const a = world.candidate[x]!;
    value += world.meanReward[x * k + a]! / c;
    dm += model[x * k + a]! / c;
    keptTop += probabilities[x]![a]! * world.meanReward[x * k + a]!;
    keptBottom += probabilities[x]![a]!;
  }
  const targets = { ips: value, snips: value, dr: value, dm, replay: keptTop / keptBottom };
  const log = createLoggedEvents({ actions, rewards, propensities, actionCount: k });
  return groupCounts.map((groups) => {
    const result = values.streamed
      ? streamedPairEvaluation(log, policy, policy, STREAMED_CHUNK, { resamples, seed: run, groups }, rewardModel)
          .candidate
      : evaluateOffPolicy(log, policy, { rewardModel, resamples, seed: run, groups });
    const covers = {} as Covers;
    for (const name of ESTIMATORS) {
      const { lower, upper } = result[name]!.interval;
      covers[name] = lower <= targets[name] && targets[name] <= upper;
    }
    return covers;
  });
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const started = Date.now();
const results: Record<string, unknown> = {
  machine: { cpu: cpus()[0]?.model ?? "unknown", cpus: cpus().length, node: process.version },
  loadAverageBefore: loadavg(),
  date: new Date().toISOString(),
  runs,
  resamples,
  seeds: { worlds: `${baseSeed}–${baseSeed + runs - 1}`, logs: `${baseSeed + 50_000}–${baseSeed + 50_000 + runs - 1}` },
  level: 0.95,
  streamed: values.streamed ? { chunkRows: STREAMED_CHUNK, expectedEventsPerEvent: STREAMED_BOUND } : null,
};
// Per held-out size, the maximum group counts evaluated on the same logs; G ≥ n is the row bootstrap.
const cases: [number, number[]][] = [
  [4_000, [4096]],
  [50_000, [50_000, 4096, 256]], // the row bootstrap, ≈ 12 events per group (the default), ≈ 195 (a stress)
];
const out: Record<string, unknown> = {};
for (const [events, groupCounts] of cases) {
  const covered = groupCounts.map(
    () => Object.fromEntries(ESTIMATORS.map((name) => [name, 0])) as Record<string, number>,
  );
  for (let r = 0; r < runs; r++) {
    coverOnce(events, groupCounts, r).forEach((covers, g) => {
      for (const name of ESTIMATORS) if (covers[name]) covered[g]![name]!++;
    });
  }
  groupCounts.forEach((groups, g) => {
    const rates = Object.fromEntries(ESTIMATORS.map((name) => [name, covered[g]![name]! / runs]));
    const used = Math.min(events, groups);
    out[`n${events}_g${used}`] = { events, groups: used, covered: covered[g], rates };
    const shown = ESTIMATORS.map((name) => `${name} ${(100 * rates[name]!).toFixed(1)}%`).join(", ");
    log(`n = ${events}, G = ${used}: coverage of 95% intervals over ${runs} runs — ${shown}`);
  });
}
results.cases = out;
results.binomialSdAt95 = Math.sqrt((0.95 * 0.05) / runs);
results.loadAverageAfter = loadavg();
results.seconds = (Date.now() - started) / 1000;
if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
log(`done in ${results.seconds} s`);
