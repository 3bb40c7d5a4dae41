/**
 * Production code never imports src/synthetic (README "Architecture"): the static import graph of
 * the prod cadence — the skeleton, the prod mode, the judge, the options, the production engine
 * defaults — reaches no file under src/synthetic. Type-only imports are erased at compile time and
 * dynamic imports load on demand (the warm-up mode), so neither counts. And the constants the
 * cadence restates instead of importing stay equal to the synthetic world's.
 */
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { CADENCE_DEFAULTS, MAX_WARMUP_OUTCOMES } from "../../src/cadence/index.js";
import { DEFAULT_REWARD_FUNCTION as OUTCOME_REWARD, rewardOf as outcomeRewardOf } from "../../src/outcomes/reward.js";
import {
  DEFAULT_MATCH_THRESHOLD,
  DEFAULT_MIN_ROWS,
  DEFAULT_REWARD_FUNCTION,
  DEFAULT_SEED,
  MAX_OUTCOME_COUNT,
  rewardOf,
} from "../../src/synthetic/index.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Relative files a module imports at run time (static `import … from` / `export … from`, not `import type`). */
function runtimeImports(file: string): string[] {
  const source = readFileSync(file, "utf8");
  const found: string[] = [];
  const statement = /^(import|export)\s+(type\s+)?[^;]*?from\s+"(\.[^"]+)";/gms;
  for (const match of source.matchAll(statement)) {
    if (match[2] !== undefined) continue;
    found.push(resolve(dirname(file), (match[3] as string).replace(/\.js$/, ".ts")));
  }
  return found;
}

/** Every file reachable from `entry` through run-time imports. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    queue.push(...runtimeImports(file));
  }
  return seen;
}

it("the prod cadence's import graph reaches nothing under src/synthetic", () => {
  const entries = ["run-cadence.ts", "modes/prod.ts", "judge.ts", "options.ts", "prod-defaults.ts"];
  for (const entry of entries.map((f) => join(root, "src/cadence", f))) {
    const files = [...reachable(entry)].map((f) => relative(root, f));
    expect(files.length).toBeGreaterThan(0);
    expect(
      files.filter((f) => f.startsWith("src/synthetic/")),
      relative(root, entry),
    ).toEqual([]);
  }
  // The walker does see synthetic imports where they are: the warm-up mode.
  const warmup = [...reachable(join(root, "src/cadence/modes/warmup.ts"))].map((f) => relative(root, f));
  expect(warmup).toContain("src/synthetic/index.ts");
});

it("the constants the cadence restates equal the synthetic world's", () => {
  expect(CADENCE_DEFAULTS.seed).toBe(DEFAULT_SEED);
  expect(CADENCE_DEFAULTS.minRows).toBe(DEFAULT_MIN_ROWS);
  expect(CADENCE_DEFAULTS.threshold).toBe(DEFAULT_MATCH_THRESHOLD);
  expect(MAX_WARMUP_OUTCOMES).toBe(MAX_OUTCOME_COUNT);
  // One reward function: the synthetic world plants the one production judges with.
  expect(DEFAULT_REWARD_FUNCTION).toBe(OUTCOME_REWARD);
  expect(rewardOf).toBe(outcomeRewardOf);
});

it("the cadence never imports src/scale: sharded readers are plugged in through its readTraining option", () => {
  for (const entry of ["run-cadence.ts", "modes/prod.ts", "options.ts", "index.ts"]) {
    const files = [...reachable(join(root, "src/cadence", entry))].map((f) => relative(root, f));
    expect(
      files.filter((f) => f.startsWith("src/scale/")),
      entry,
    ).toEqual([]);
  }
  // The walker sees them where they are: the CLI's cadence command plugs them in.
  const cli = [...reachable(join(root, "src/cli/commands/cadence.ts"))].map((f) => relative(root, f));
  expect(cli).toContain("src/scale/sharded-training.ts");
});
