/**
 * Counts the x86 instructions one kernel event costs, and where they go: the measurement behind
 * "What limits d = 16" in bench/README.md. Needs valgrind (`apt-get install valgrind`); not run by CI.
 *
 *   npm run build && node dist/bench/kernel-instructions.js --task update --build relaxed [--listing]
 *
 * It runs a raw kernel loop (no JavaScript API around the calls) twice under
 * `valgrind --tool=callgrind --dump-instr=yes`, with V8 printing the machine code it generated
 * (`--print-wasm-code`, available in release Node builds) in the same process, so that every
 * counted address maps to a printed instruction. The difference between a long and a short run,
 * divided by the extra events, is the cost per event without start-up; the counts inside the
 * kernel function give the same figure without the loop that drives it. `--no-liftoff` makes V8
 * compile the kernel with TurboFan at once, as a long-running process ends up doing.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Kernel, kernelBytes, type ConcreteBuild } from "../src/engine/kernel.js";

const scriptPath = fileURLToPath(import.meta.url);

/** What one event is, per task, and the kernel export that does it. */
export const kernelTasks = {
  update: { kernelFunction: "updateBatch", what: "one Sherman–Morrison step, batched" },
  "update-one": { kernelFunction: "updateOne", what: "one Sherman–Morrison step, one call per event" },
  select: { kernelFunction: "scoreCellBatch", what: "one context scored against the K arms of a cell, batched" },
  "select-one": {
    kernelFunction: "scoreCell",
    what: "one context scored against the K arms of a cell, one call per event",
  },
} as const;
/** A task name of `kernelTasks`. */
export type KernelTask = keyof typeof kernelTasks;

function readUleb(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  let p = at;
  for (;;) {
    const byte = bytes[p++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, p];
    shift += 7;
  }
}

/**
 * The function index (imports first, as V8 numbers `wasm-function[N]`) of the function exported
 * as `name`, read from the module's import and export sections; −1 when there is no such export.
 */
export function exportedFunctionIndex(bytes: Uint8Array, name: string): number {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new RangeError("`bytes` must be a WebAssembly module (\\0asm header)");
  }
  const decoder = new TextDecoder();
  let p = 8;
  while (p < bytes.length) {
    const id = bytes[p]!;
    const [size, body] = readUleb(bytes, p + 1);
    if (id === 7) {
      let [count, q] = readUleb(bytes, body);
      for (; count > 0; count--) {
        const [length, at] = readUleb(bytes, q);
        const exportName = decoder.decode(bytes.subarray(at, at + length));
        const kind = bytes[at + length]!;
        const [index, next] = readUleb(bytes, at + length + 1);
        if (kind === 0 && exportName === name) return index;
        q = next;
      }
      return -1;
    }
    p = body + size;
  }
  return -1;
}

/**
 * Self cost (instructions executed) per code address from a callgrind output file written with
 * `--dump-instr=yes`: absolute (0x…) and relative (+n, −n, *) positions, and the inclusive cost
 * line after each `calls=` line skipped, since it belongs to the callee.
 */
export function callgrindCostsByAddress(text: string): Map<number, number> {
  const costs = new Map<number, number>();
  let address = 0;
  let skipNext = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("calls=")) {
      skipNext = true;
      continue;
    }
    const match = /^(0x[0-9a-f]+|[+-]\d+|\*)\s+\S+\s+(\d+)/.exec(line);
    if (match === null) continue;
    const position = match[1]!;
    if (position.startsWith("0x")) address = Number.parseInt(position, 16);
    else if (position !== "*") address += Number(position);
    if (skipNext) {
      skipNext = false;
      continue;
    }
    costs.set(address, (costs.get(address) ?? 0) + Number(match[2]));
  }
  return costs;
}

/** One machine instruction of a `--print-wasm-code` listing. */
export interface ListedInstruction {
  readonly address: number;
  readonly text: string;
}

/** The instructions V8 printed for `wasm-function[index]` (the last compilation printed wins). */
export function listedInstructions(listing: string, functionIndex: number): ListedInstruction[] {
  let current: ListedInstruction[] | null = null;
  let found: ListedInstruction[] = [];
  for (const line of listing.split("\n")) {
    if (line.startsWith("name: ")) {
      current = line.trim() === `name: wasm-function[${functionIndex}]` ? [] : null;
      if (current !== null) found = current;
      continue;
    }
    const match = current === null ? null : /^0x([0-9a-f]+)\s+\S+\s+\S+\s+(.*)$/.exec(line);
    if (match !== null) current!.push({ address: Number.parseInt(match[1]!, 16), text: match[2]!.trim() });
  }
  return found;
}

interface Options {
  task: KernelTask;
  build: ConcreteBuild;
  d: number;
  listing: boolean;
}

const events = 1024;
const cells = 60;
const arms = 8;

/** The raw kernel loop, run under valgrind: `reps` passes over `events` events. */
async function runTask(task: KernelTask, build: ConcreteBuild, d: number, reps: number): Promise<void> {
  const kernel = await Kernel.create(build, {
    dimension: d,
    arms,
    stageRows: events,
    statistics: false,
    alpha: 1,
    lambda: 1,
    discount: 1,
  });
  kernel.ensureModels(cells * arms);
  kernel.initModels(0, cells * arms);
  let seed = 5;
  const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
  const contexts = kernel.contextsView;
  const rewards = kernel.rewardsView;
  const models = kernel.modelsView;
  for (let i = 0; i < events * d; i++) contexts[i] = random() * 0.5;
  for (let i = 0; i < events; i++) {
    rewards[i] = random();
    models[i] = Math.floor((random() + 0.5) * cells * arms);
  }
  for (let r = 0; r < reps; r++) {
    if (task === "update") kernel.updateBatch(events, false);
    else if (task === "select") kernel.scoreCellBatch(3, events);
    else if (task === "update-one")
      for (let e = 0; e < events; e++) kernel.updateStaged(models[e]!, rewards[e]!, false, e);
    else for (let e = 0; e < events; e++) kernel.scoreStaged((e * 7) % cells, e);
  }
}

interface Profile {
  readonly total: number;
  readonly costs: Map<number, number>;
  readonly listing: string;
}

function profile(options: Options, reps: number, dir: string): Profile {
  const out = path.join(dir, `callgrind.${reps}`);
  const child = spawnSync(
    "valgrind",
    [
      "--tool=callgrind",
      "--dump-instr=yes",
      `--callgrind-out-file=${out}`,
      process.execPath,
      "--experimental-wasm-relaxed-simd",
      "--no-liftoff",
      "--print-wasm-code",
      scriptPath,
      "--run",
      options.task,
      options.build,
      String(options.d),
      String(reps),
    ],
    { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
  );
  if (child.error !== undefined)
    throw new Error(`could not run valgrind (${child.error.message}); install it: apt-get install valgrind`);
  const collected = /Collected : (\d+)/.exec(child.stderr);
  if (child.status !== 0 || collected === null)
    throw new Error(`valgrind run failed (status ${child.status}):\n${child.stderr.slice(-2000)}`);
  return {
    total: Number(collected[1]),
    costs: callgrindCostsByAddress(readFileSync(out, "utf8")),
    listing: child.stdout,
  };
}

function parse(argv: readonly string[]): Options {
  const options: Options = { task: "update", build: "relaxed", d: 16, listing: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === "--listing") options.listing = true;
    else if (flag === "--task" && value !== undefined && value in kernelTasks)
      (options.task = value as KernelTask), i++;
    else if (flag === "--build" && (value === "relaxed" || value === "simd" || value === "scalar"))
      (options.build = value), i++;
    else if (flag === "--d" && value !== undefined && Number.isInteger(Number(value)) && Number(value) >= 1)
      (options.d = Number(value)), i++;
    else {
      throw new RangeError(
        `unknown or bad argument ${JSON.stringify(flag)}${value === undefined ? "" : ` ${JSON.stringify(value)}`}; ` +
          `usage: --task ${Object.keys(kernelTasks).join("|")} --build relaxed|simd|scalar --d N --listing`,
      );
    }
  }
  return options;
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === "--run") {
    await runTask(argv[1] as KernelTask, argv[2] as ConcreteBuild, Number(argv[3]), Number(argv[4]));
    return 0;
  }
  const options = parse(argv);
  const { kernelFunction, what } = kernelTasks[options.task];
  const index = exportedFunctionIndex(kernelBytes(options.build), kernelFunction);
  const dir = mkdtempSync(path.join(os.tmpdir(), "linucb-instructions-"));
  try {
    const [short, long] = [20, 120].map((reps) => profile(options, reps, dir)) as [Profile, Profile];
    const extraEvents = 100 * events;
    const instructions = listedInstructions(long.listing, index);
    const inKernel = instructions.reduce((sum, instruction) => sum + (long.costs.get(instruction.address) ?? 0), 0);
    process.stdout.write(
      `${options.task} (${what}), ${options.build} build, d = ${options.d}, ${cells} cells × ${arms} arms:\n` +
        `  ${((long.total - short.total) / extraEvents).toFixed(0)} x86 instructions per event in the whole process\n` +
        `  ${(inKernel / (120 * events)).toFixed(0)} inside ${kernelFunction} (wasm-function[${index}], ${instructions.length} instructions long)\n`,
    );
    if (options.listing) {
      const lines = instructions
        .map((instruction) => ({
          perEvent: (long.costs.get(instruction.address) ?? 0) / (120 * events),
          text: instruction.text,
        }))
        .filter((line) => line.perEvent >= 0.5)
        .map((line) => `${line.perEvent.toFixed(1).padStart(7)}  ${line.text}\n`);
      process.stdout.write(
        `  executed instructions of ${kernelFunction}, with how often each runs per event:\n${lines.join("")}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return 0;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === scriptPath) {
  main(process.argv.slice(2)).then(
    (status) => {
      process.exitCode = status;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
