/**
 * Times a group of contenders (one task on one problem) with tinybench, interleaved: the group runs
 * in several rounds, each a fresh Bench whose tasks are added in a new seeded shuffle, so that
 * machine drift (a noisy neighbour, frequency changes) spreads over all contenders instead of
 * landing on whichever happened to run last. The samples of all rounds are pooled per contender.
 *
 * Every contender's iterations last about as long (`iterationTime`, 1 ms by default): before
 * timing, each body runs its whole block twice (the warm-up), the second pass is timed in pieces,
 * and one iteration is then the largest power-of-two fraction of the block that fits the target. Equal
 * iteration lengths matter on a shared machine: a 7 ms iteration is preempted far more often than
 * a 0.5 ms one, which would penalise the slower contenders and inflate every ratio. A refit is one
 * indivisible unit.
 *
 * Figures are per event: events/s = events per iteration / median iteration time. The median, not
 * the mean, because the machine is shared and the occasional GC pause or preemption should not
 * move the figure.
 */
import { Bench } from "tinybench";
import type { TimedBody } from "./contenders.js";
import type { BenchRandom } from "./random.js";

/** How long and how often a group is timed. */
export interface TimingSettings {
  /** Timed ms per contender and round. */
  readonly roundTime: number;
  /** Rounds. */
  readonly rounds: number;
  /** Minimum timed iterations per contender and round. */
  readonly minIterations: number;
  /** Target duration of one iteration in ms; 0 = the whole block per iteration, no calibration. */
  readonly iterationTime: number;
}

/** The timing of one contender. */
export interface Timing {
  /** Events per timed iteration. */
  readonly eventsPerIteration: number;
  /** Timed iterations over all rounds. */
  readonly iterations: number;
  /** Median iteration time in ms. */
  readonly medianMs: number;
  /** Mean iteration time in ms. */
  readonly meanMs: number;
  /** Events per second, from the median iteration time. */
  readonly opsPerSecond: number;
  /** Nanoseconds per event, from the median iteration time. */
  readonly nsPerOp: number;
  /** Events per second of the fastest iteration: less sensitive to a loaded machine, optimistic. */
  readonly bestOpsPerSecond: number;
  /** Relative spread: (p75 − p25) / median of the iteration times, in percent. */
  readonly spreadPercent: number;
  /** The state probe after timing (finite if the state is sane). */
  readonly probe: number;
}

/** A timing, or why there is none. */
export type TimingOutcome =
  | { readonly ok: true; readonly timing: Timing }
  | { readonly ok: false; readonly error: string };

/** Where iteration checksums go, so the optimiser cannot drop the work. */
let sink = 0;

/** The checksum sink (read by main so that it is observably used). */
export function checksumSink(): number {
  return sink;
}

/**
 * Units per iteration for `body`: the whole block, halved until one iteration is expected to take
 * at most `targetMs` (never below one unit). Runs the block twice: a warm-up pass, then a pass cut
 * into up to 8 timed pieces, of which the fastest gives the cost per unit (a piece that was
 * preempted or slowed by a neighbour would otherwise shrink the iterations for no reason). A
 * one-unit block (a refit) gets just the warm-up pass.
 */
export function calibrateChunk(body: TimedBody, targetMs: number): number {
  if (targetMs <= 0) return body.units;
  sink += body.run(0, body.units);
  if (body.units === 1) return 1;
  const pieces = Math.min(8, body.units);
  let perUnit = Infinity;
  for (let p = 0; p < pieces; p++) {
    const from = Math.floor((p * body.units) / pieces);
    const to = Math.floor(((p + 1) * body.units) / pieces);
    const started = performance.now();
    sink += body.run(from, to);
    perUnit = Math.min(perUnit, (performance.now() - started) / (to - from));
  }
  let chunk = body.units;
  while (chunk > 1 && chunk * perUnit > targetMs) chunk = Math.ceil(chunk / 2);
  return chunk;
}

function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

/** Times every body of `bodies` (keyed by contender id), interleaved; see the file comment. */
export function measureGroup(
  bodies: ReadonlyMap<string, TimedBody>,
  settings: TimingSettings,
  random: BenchRandom,
): Map<string, TimingOutcome> {
  const samples = new Map<string, number[]>([...bodies.keys()].map((id) => [id, []]));
  const errors = new Map<string, string>();
  const chunks = new Map<string, number>();
  const cursors = new Map<string, number>();
  for (const [id, body] of bodies) {
    try {
      chunks.set(id, calibrateChunk(body, settings.iterationTime));
      cursors.set(id, 0);
    } catch (cause) {
      errors.set(id, cause instanceof Error ? (cause.stack ?? cause.message) : String(cause));
    }
  }
  for (let round = 0; round < settings.rounds; round++) {
    const bench = new Bench({
      time: settings.roundTime,
      iterations: settings.minIterations,
      // The calibration passes (calibrateChunk) are the warm-up; tinybench's would repeat them.
      warmup: false,
      retainSamples: true,
      throws: false,
    });
    for (const id of random.shuffle([...bodies.keys()])) {
      if (errors.has(id)) continue;
      // A contender whose iterations are long (a slow refit takes seconds) has spent its whole
      // budget after a round or two; two samples are enough for it, and the run stays short.
      const taken = samples.get(id)!;
      if (taken.length >= 2 && taken.reduce((sum, t) => sum + t, 0) >= settings.roundTime * settings.rounds) continue;
      const body = bodies.get(id)!;
      const chunk = chunks.get(id)!;
      // Consecutive iterations walk through the block, each over exactly `chunk` units.
      let cursor = cursors.get(id)!;
      bench.add(id, () => {
        if (cursor + chunk > body.units) cursor = 0;
        sink += body.run(cursor, cursor + chunk);
        cursor += chunk;
        cursors.set(id, cursor);
      });
    }
    for (const task of bench.runSync()) {
      const result = task.result;
      if (result.state === "completed") {
        samples.get(task.name)!.push(...(result.latency.samples ?? []));
      } else if (result.state === "errored") {
        errors.set(task.name, result.error.stack ?? String(result.error));
      } else {
        errors.set(task.name, `task ended in state ${result.state}`);
      }
    }
  }
  const outcomes = new Map<string, TimingOutcome>();
  for (const [id, body] of bodies) {
    const error = errors.get(id);
    const times = samples.get(id)!;
    if (error !== undefined) {
      outcomes.set(id, { ok: false, error });
      continue;
    }
    if (times.length === 0) {
      outcomes.set(id, { ok: false, error: "no samples were recorded" });
      continue;
    }
    const sorted = [...times].sort((a, b) => a - b);
    const eventsPerIteration = chunks.get(id)! * body.eventsPerUnit;
    const medianMs = quantile(sorted, 0.5);
    const meanMs = sorted.reduce((sum, t) => sum + t, 0) / sorted.length;
    let probe: number;
    try {
      probe = body.probe();
    } catch (cause) {
      outcomes.set(id, { ok: false, error: `probe failed: ${String(cause)}` });
      continue;
    }
    outcomes.set(id, {
      ok: true,
      timing: {
        eventsPerIteration,
        iterations: sorted.length,
        medianMs,
        meanMs,
        opsPerSecond: eventsPerIteration / (medianMs / 1000),
        nsPerOp: (medianMs * 1e6) / eventsPerIteration,
        bestOpsPerSecond: eventsPerIteration / (sorted[0]! / 1000),
        spreadPercent: (100 * (quantile(sorted, 0.75) - quantile(sorted, 0.25))) / medianMs,
        probe,
      },
    });
  }
  return outcomes;
}
