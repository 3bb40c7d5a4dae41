/**
 * Command-line options of `npm run bench`: the options interface (every field with its default),
 * the defaults resolved once, and the parser. Arguments arrive as `npm run bench -- --quick --json
 * PATH`; unknown arguments are refused with the list of known ones.
 */
import { parseArgs } from "node:util";
import type { BlockSizes } from "./problem.js";

/** Resolved options of one benchmark run. */
export interface BenchOptions {
  /**
   * Run everything briefly (smaller blocks, one short round per measurement, memory probes at
   * d = 16 only): the CI smoke test, ≤ 60 s. @default false
   */
  readonly quick: boolean;
  /** Where the JSON results are written. @default `bench/results/<ISO date and time>.json` */
  readonly json: string;
  /**
   * Substrings of measurement names (`task/dD/cC/contender`, e.g. `update/d16/c60/engine-relaxed/updateMany`);
   * a measurement runs when its name contains any of them. The careful-JS baseline of every
   * selected group always runs, since every ratio needs it. @default [] (everything)
   */
  readonly filter: readonly string[];
  /** Feature dimensions to run. @default [8, 16, 32, 64] */
  readonly dimensions: readonly number[];
  /** Cell counts to run. @default [1, 60] */
  readonly cells: readonly number[];
  /** Run the 10,000-cell memory probes (in child processes). @default true */
  readonly memory: boolean;
  /** After the suite, run every compiled `store-*.js` beside main.js (the Postgres bench). @default false */
  readonly store: boolean;
  /** Rewrite the figures section of bench/README.md from this run. @default false */
  readonly readme: boolean;
  /** Seed of every generated block and of the run order. @default 1 */
  readonly seed: number;
  /** Timed milliseconds per measurement, split evenly across `rounds`. @default 1000 (quick: 25) */
  readonly time: number;
  /** Interleaved rounds per group: each round runs every contender once, in a fresh shuffled order. @default 4 (quick: 1) */
  readonly rounds: number;
  /** Minimum timed iterations per contender and round. @default 1 */
  readonly minIterations: number;
  /**
   * Target duration of one timed iteration, ms: each block is cut into chunks that fit it, after
   * two warm-up passes over the block (see measure.ts). 0 = whole blocks, no warm-up passes.
   * @default 1 (quick: 0)
   */
  readonly iterationTime: number;
  /** Block sizes (events pre-generated per contender). @default full: 4096 / 256 slow, bursts of 256, refit 131072 / 8192 slow rows; quick: 1024 / 64, 256, 16384 / 1024 */
  readonly sizes: BlockSizes;
  /** Print usage and exit. @default false */
  readonly help: boolean;
}

/** Block sizes of a full run. */
export const fullSizes: BlockSizes = {
  events: 4096,
  slowEvents: 256,
  burst: 256,
  refitRows: 131_072,
  slowRefitRows: 8192,
};
/** Block sizes of a quick run. */
export const quickSizes: BlockSizes = {
  events: 1024,
  slowEvents: 64,
  burst: 256,
  refitRows: 16_384,
  slowRefitRows: 1024,
};

/** Dimensions and cell counts of the fixed workload (issue 3). */
export const workloadDimensions: readonly number[] = [8, 16, 32, 64];
export const workloadCells: readonly number[] = [1, 60];

/** The usage text printed by `--help`. */
export const usage = `usage: npm run bench -- [options]
  --quick            run everything briefly (CI smoke test, <= 60 s)
  --json PATH        write the JSON results to PATH (default bench/results/<date>.json)
  --filter TEXT      run only measurements whose name (task/dD/cC/contender) contains TEXT;
                     repeat or separate with commas for several (e.g. --filter update/d16,select/d16)
  --d LIST           dimensions, e.g. --d 16 or --d 16,64 (default 8,16,32,64)
  --cells LIST       cell counts, e.g. --cells 60 (default 1,60)
  --no-memory        skip the 10,000-cell memory probes
  --store            also run the Postgres read-throughput bench (bench/store-*.ts), if present
  --serve            instead, the linucb serve benchmark (bench/serve-load.ts: route and outcome
                     throughput, latency and CPU per request; needs DATABASE_URL; --quick, --requests N,
                     --duration S, --cpu-prof DIR)
  --readme           rewrite the figures section of bench/README.md from this run
  --time MS          timed ms per measurement (default 1000, quick 25)
  --rounds N         interleaved rounds per group (default 4, quick 1)
  --seed N           seed of the workload and of the run order (default 1)
  --help             this text`;

function positiveIntegers(name: string, text: string): number[] {
  const values = text
    .split(",")
    .filter((part) => part.trim() !== "")
    .map((part) => Number(part));
  if (values.length === 0 || values.some((value) => !Number.isInteger(value) || value < 1)) {
    throw new RangeError(
      `\`--${name}\` must be a comma-separated list of positive integers; received ${JSON.stringify(text)}`,
    );
  }
  return values;
}

function nonNegativeNumber(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`\`--${name}\` must be a number ≥ 0; received ${JSON.stringify(text)}`);
  return value;
}

/** The default JSON path for a run started at `now`: bench/results/2025-01-31T12-00-00.json. */
export function defaultJsonPath(now: Date): string {
  return `bench/results/${now.toISOString().slice(0, 19).replaceAll(":", "-")}.json`;
}

/** Parses `argv` (without node and the script) into resolved options. Throws on unknown or bad arguments. */
export function parseOptions(argv: readonly string[], now: Date = new Date()): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: "boolean", default: false },
      json: { type: "string" },
      filter: { type: "string", multiple: true, default: [] },
      d: { type: "string" },
      cells: { type: "string" },
      "no-memory": { type: "boolean", default: false },
      store: { type: "boolean", default: false },
      readme: { type: "boolean", default: false },
      time: { type: "string" },
      rounds: { type: "string" },
      seed: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  const quick = values.quick === true;
  const rounds = values.rounds === undefined ? (quick ? 1 : 4) : positiveIntegers("rounds", values.rounds)[0]!;
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`\`--seed\` must be an integer in [0, 2³² − 1]; received ${JSON.stringify(values.seed)}`);
  }
  return {
    quick,
    json: values.json ?? defaultJsonPath(now),
    filter: (values.filter ?? [])
      .flatMap((text) => text.split(","))
      .map((text) => text.trim())
      .filter((text) => text !== ""),
    dimensions: values.d === undefined ? workloadDimensions : positiveIntegers("d", values.d),
    cells: values.cells === undefined ? workloadCells : positiveIntegers("cells", values.cells),
    memory: values["no-memory"] !== true,
    store: values.store === true,
    readme: values.readme === true,
    seed,
    time: values.time === undefined ? (quick ? 25 : 1000) : nonNegativeNumber("time", values.time),
    rounds,
    minIterations: 1,
    iterationTime: quick ? 0 : 1,
    sizes: quick ? quickSizes : fullSizes,
    help: values.help === true,
  };
}

/** Whether a measurement name passes the filter (an empty filter passes everything). */
export function matchesFilter(name: string, filter: readonly string[]): boolean {
  return filter.length === 0 || filter.some((text) => name.includes(text));
}
