// `linucb evaluate`: the CLI over the evaluation functions, run in-process through main().
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli-run.js";
import { evaluateOffPolicy, readLoggedEvents, uniformPolicy } from "../../src/evaluation/index.js";

const bts = fileURLToPath(new URL("../fixtures/obd/bts-men.csv.gz", import.meta.url));
const obdColumns = [
  "--action-field",
  "item_id",
  "--reward-field",
  "click",
  "--propensity-field",
  "propensity_score",
  "--action-count",
  "34",
];

/** `linucb evaluate ...argv`. */
const run = (argv: string[]) => runCli(["evaluate", ...argv]);

describe("linucb evaluate", () => {
  it("prints the same estimates as the library, as JSON", async () => {
    const { code, stdout, stderr } = await run([
      bts,
      "--policy",
      "uniform",
      ...obdColumns,
      "--model",
      "action-mean",
      "--resamples",
      "200",
      "--seed",
      "3",
      "--json",
    ]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/read 10000 events with 34 actions/);
    const printed = JSON.parse(stdout);
    const events = await readLoggedEvents(bts, {
      actionField: "item_id",
      rewardField: "click",
      propensityField: "propensity_score",
      actionCount: 34,
    });
    const library = evaluateOffPolicy(events, uniformPolicy(34), { resamples: 200, seed: 3 });
    expect(printed.ips.value).toBe(library.ips.value);
    expect(printed.snips.interval.upper).toBe(library.snips.interval.upper);
    expect(printed.replay.uniformLogging).toBe(false);
    expect(printed.dr.estimator).toBe("dr");
    expect(printed.ips.weights.clip).toBe("Infinity");
  });

  it("prints a table on stdout and the warnings on stderr", async () => {
    const { code, stdout, stderr } = await run([bts, "--policy", "action:13", ...obdColumns, "--resamples", "50"]);
    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toMatch(/^estimator\s+value\s+95% interval\s+ESS\s+max weight$/);
    expect(stdout).toMatch(/^replay\s/m);
    expect(stdout).toMatch(/^snips\s/m);
    expect(stdout).not.toMatch(/^dr\s/m);
    expect(stderr).toMatch(/replay: replay is unbiased only under uniform logging/);
  });

  it.each([
    [["--policy", "uniform"], /expected exactly one FILE; received none/],
    [[bts], /`--policy` is required/],
    [[bts, "--policy", "best"], /`--policy` must be uniform or action:ACTION; received "best"/],
    [[bts, "--policy", "action:40", ...obdColumns], /`--policy` action must be an index in \[0, 33\]; received "40"/],
    [[bts, "--policy", "uniform", "--seed=-1"], /`--seed` must be an integer.*received -1/],
    [[bts, "--policy", "uniform", "--level", "high"], /`--level` must be a number; received "high"/],
    [[bts, "--policy", "uniform", "--model", "linucb"], /`--model` must be action-mean; received "linucb"/],
    [[bts, "--policy", "uniform", "--bogus"], /Unknown option '--bogus'/],
  ])("exit 2 for %j", async (argv, message) => {
    const { code, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it("exit 1 with the file and line for a bad file", async () => {
    // Without the OBD column names the header lacks "action".
    const { code, stderr } = await run([bts, "--policy", "uniform"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/bts-men\.csv\.gz line 1: the header has no column "action"/);
  });
});
