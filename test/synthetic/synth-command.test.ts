import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli as run } from "../cli-run.js";
import {
  generateColumns,
  generateWorld,
  outcomeJsonChunks,
  parseOutcomeJsonLine,
  plantedOptimum,
} from "../../src/synthetic/index.js";

const folders: string[] = [];
async function freshFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "linucb-synth-"));
  folders.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe("linucb synth", () => {
  it("writes outcomes.jsonl and planted_optimum.json for a seed and n", async () => {
    const dir = await freshFolder();
    const out = join(dir, "nested", "run");
    const result = await run(["synth", "--seed", "7", "--n", "1200", "--out", out]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("wrote 1200 outcomes");

    const world = generateWorld({ seed: 7 });
    const jsonl = await readFile(join(out, "outcomes.jsonl"), "utf8");
    expect(jsonl).toBe([...outcomeJsonChunks(world, generateColumns(world, { n: 1200, seed: 7 }))].join(""));
    const lines = jsonl.trimEnd().split("\n");
    expect(lines).toHaveLength(1200);
    expect(parseOutcomeJsonLine(lines[1199]).id).toBe(1200);

    const answerKey = JSON.parse(await readFile(join(out, "planted_optimum.json"), "utf8")) as unknown;
    expect(answerKey).toEqual(JSON.parse(JSON.stringify(plantedOptimum(world))));
  });

  it("defaults to seed 42 and n = 40,000 (the gate's), and prints a JSON summary with --json", async () => {
    const dir = await freshFolder();
    const result = await run(["synth", "--out", dir, "--json"]);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { seed: number; rows: number; completionRate: number; cells: number };
    expect(summary).toMatchObject({ seed: 42, rows: 40_000, cells: 60 });
    expect(Math.abs(summary.completionRate - 0.48)).toBeLessThan(0.04);
    const key = JSON.parse(await readFile(join(dir, "planted_optimum.json"), "utf8")) as { seed: number };
    expect(key.seed).toBe(42);
  });

  it("prints its help with --help and exits 0", async () => {
    const result = await run(["synth", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: linucb synth --out DIR");
    expect(result.stdout).toContain("--seed");
  });

  it("lists synth among the commands", async () => {
    expect((await run(["--help"])).stdout).toMatch(/^\s+synth\s+Generate a synthetic cold-start log/m);
  });

  it.each([
    [["synth"], /--out DIR` is required/],
    [["synth", "--out", "x", "--n", "abc"], /`--n` must be an integer.*"abc"/],
    [["synth", "--out", "x", "--n", "-5"], /--n/],
    [["synth", "--out", "x", "--n", "1e3"], /`--n` must be an integer.*"1e3"/],
    [["synth", "--out", "x", "--seed", "4294967296"], /`--seed` must be an integer in \[0, 4294967295\].*"4294967296"/],
    [["synth", "--out", "x", "--bogus"], /Unknown option '--bogus'/],
    [["synth", "--out", "x", "extra"], /unexpected argument "extra"/],
  ])("rejects %j with a clear message and exit code 2", async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
  });
});
