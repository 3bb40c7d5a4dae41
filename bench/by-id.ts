/**
 * Per-event calls by id against the same calls by index (issue 12): `update(cell, arm, …)` against
 * `updateAt`, `select(cell, context, into)` against `selectAt`, `scores(cell, context, out)` against
 * `scoresAt`, on one engine in one process (d = 16, 60 cells, K = 8, `statistics: false` as a
 * serving engine sets; the workload of bench/workload.ts, seed 1). Each figure is CPU time per
 * call (`process.cpuUsage`, so a crowded machine slows both paths alike instead of whichever ran
 * while another job woke), over a pass of the whole event block; rounds run the pair in ABBA
 * order, and the reported ratio is the median over rounds of (by-index time / by-id time), i.e.
 * the by-id rate as a share of the by-index rate. Target (issue 12): ≥ 0.87, within 15%.
 *
 *   npm run build:ts && node --experimental-wasm-relaxed-simd dist/bench/by-id.js [--rounds N] [--passes N]
 *
 * Ids in the block are separate string objects from the ones the cells were created with (as ids
 * parsed from requests would be), so no lookup is helped by pointer identity.
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { createLinUCB, type LinUCB, type SelectionTarget } from "../src/index.js";
import { alpha, armCount, cellIds, generateEvents, lambda, type EventBlock } from "./workload.js";

const d = 16;
const cells = 60;
const events = 4096;

/** One timed path: runs the whole block once and returns a checksum. */
type Pass = (engine: LinUCB, block: EventBlock) => number;

function updateById(engine: LinUCB, block: EventBlock): number {
  const { cellIds: ids, armIds: arms, contextViews, rewards } = block;
  for (let e = 0; e < block.length; e++) engine.update(ids[e]!, arms[e]!, contextViews[e]!, rewards[e]!);
  return block.length;
}

function updateByIndex(engine: LinUCB, block: EventBlock): number {
  const { cellIndices, armIndices, contextViews, rewards } = block;
  for (let e = 0; e < block.length; e++)
    engine.updateAt(cellIndices[e]!, armIndices[e]!, contextViews[e]!, rewards[e]!);
  return block.length;
}

const target: SelectionTarget = { arm: "", armIndex: 0, propensity: 1 };

function selectById(engine: LinUCB, block: EventBlock): number {
  const { cellIds: ids, contextViews } = block;
  let checksum = 0;
  for (let e = 0; e < block.length; e++) checksum += engine.select(ids[e]!, contextViews[e]!, target).armIndex;
  return checksum;
}

function selectByIndex(engine: LinUCB, block: EventBlock): number {
  const { cellIndices, contextViews } = block;
  let checksum = 0;
  for (let e = 0; e < block.length; e++)
    checksum += engine.selectAt(cellIndices[e]!, contextViews[e]!, target).armIndex;
  return checksum;
}

const out = new Float64Array(armCount);

function scoresById(engine: LinUCB, block: EventBlock): number {
  const { cellIds: ids, contextViews } = block;
  let checksum = 0;
  for (let e = 0; e < block.length; e++) checksum += engine.scores(ids[e]!, contextViews[e]!, out)[0]!;
  return checksum;
}

function scoresByIndex(engine: LinUCB, block: EventBlock): number {
  const { cellIndices, contextViews } = block;
  let checksum = 0;
  for (let e = 0; e < block.length; e++) checksum += engine.scoresAt(cellIndices[e]!, contextViews[e]!, out)[0]!;
  return checksum;
}

interface Pair {
  readonly name: string;
  readonly byId: Pass;
  readonly byIndex: Pass;
}

const pairs: readonly Pair[] = [
  { name: "update(cell, arm) vs updateAt", byId: updateById, byIndex: updateByIndex },
  { name: "select(cell, into) vs selectAt", byId: selectById, byIndex: selectByIndex },
  { name: "scores(cell, out) vs scoresAt", byId: scoresById, byIndex: scoresByIndex },
];

let sink = 0;

/** CPU nanoseconds per call of `passes` passes of `pass` over the block. */
function cpuPerCall(pass: Pass, engine: LinUCB, block: EventBlock, passes: number): number {
  const start = process.cpuUsage();
  for (let p = 0; p < passes; p++) sink += pass(engine, block);
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / (passes * block.length);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rounds: { type: "string", default: "15" }, passes: { type: "string", default: "25" } },
  });
  const rounds = Number(values.rounds);
  const passes = Number(values.passes);
  const engine = await createLinUCB({
    dimension: d,
    arms: Array.from({ length: armCount }, (_, a) => `arm-${a}`),
    alpha,
    lambda,
    statistics: false,
    cells: cellIds(cells),
  });
  const block = generateEvents({ d, cells }, events, 1);
  engine.updateMany({
    cells: block.cellIndices,
    arms: block.armIndices,
    contexts: block.contexts,
    rewards: block.rewards,
  });
  // Warm-up: every path compiled by the optimising tier before anything is timed.
  for (const pair of pairs) for (let i = 0; i < 20; i++) sink += pair.byId(engine, block) + pair.byIndex(engine, block);
  console.log(`by id vs by index: d = ${d}, ${cells} cells, K = ${armCount}, build ${engine.build}, ${rounds} rounds`);
  console.log(
    `  × ${passes} passes of ${events} events; CPU ns per call, median [min] over rounds; load ${loadAverage()}`,
  );
  for (const pair of pairs) {
    const byId: number[] = [];
    const byIndex: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // ABBA: neither path always runs first, so a drift in the machine's load cancels.
      const first = r % 2 === 0;
      const a = first ? cpuPerCall(pair.byId, engine, block, passes) : 0;
      const index = cpuPerCall(pair.byIndex, engine, block, passes);
      const id = first ? a : cpuPerCall(pair.byId, engine, block, passes);
      byId.push(id);
      byIndex.push(index);
      ratios.push(index / id);
    }
    const ratio = median(ratios);
    console.log(
      `  ${pair.name.padEnd(32)} by id ${median(byId).toFixed(0)} [${Math.min(...byId).toFixed(0)}] ns, ` +
        `by index ${median(byIndex).toFixed(0)} [${Math.min(...byIndex).toFixed(0)}] ns: ` +
        `by id at ${ratio.toFixed(2)}× (${ratio >= 0.87 ? "ok" : "MISS"}: target ≥ 0.87×)`,
    );
  }
  for (const [name, pass] of allocationProbes) {
    console.log(`  ${name.padEnd(32)} allocates ${bytesPerCall(pass, engine, block).toFixed(1)} B per call`);
  }
  console.log(`  (load after: ${loadAverage()}; checksum ${sink % 1000})`);
}

function selectAllocating(engine: LinUCB, block: EventBlock): number {
  const { cellIds: ids, contextViews } = block;
  let checksum = 0;
  for (let e = 0; e < block.length; e++) checksum += engine.select(ids[e]!, contextViews[e]!).armIndex;
  return checksum;
}

/** The select paths whose allocation is reported: into a reused target, and the documented one. */
const allocationProbes: readonly (readonly [string, Pass])[] = [
  ["select(cell, into)", selectById],
  ["selectAt(index, into)", selectByIndex],
  ["select(cell) (returns scores)", selectAllocating],
];

/**
 * Heap bytes a path allocates per call: the growth of `heapUsed` over a pass of 256 calls, less
 * that of an empty pass (reading `heapUsed` allocates too), the least of 40 passes. A pass during
 * which the young generation was collected shows less or negative growth and is skipped; at a few
 * hundred bytes per call, 256 calls rarely meet a collection, so the least is what was allocated.
 */
function bytesPerCall(pass: Pass, engine: LinUCB, block: EventBlock): number {
  const calls = 256;
  const part: EventBlock = { ...block, length: calls };
  const growth = (run: () => void): number => {
    let least = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 40; i++) {
      const before = process.memoryUsage().heapUsed;
      run();
      const grown = process.memoryUsage().heapUsed - before;
      if (grown >= 0) least = Math.min(least, grown);
    }
    return least;
  };
  const empty = growth(() => (sink += 0));
  return Math.max(0, growth(() => (sink += pass(engine, part))) - empty) / calls;
}

/** The 1-, 5- and 15-minute load averages. */
function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
}

await main();
