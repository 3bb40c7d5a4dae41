/**
 * Times a group of contenders (one task on one problem) with tinybench, interleaved: the group runs
 * in several rounds, each a fresh Bench whose tasks are added in a new seeded shuffle, so that
 * machine drift (a noisy neighbour, frequency changes) spreads over all contenders instead of
 * landing on whichever happened to run last. The samples of all rounds are pooled per contender.
 *
 * Figures are per event: one sample is one call of a body, which processes a whole block, and
 * events/s = events per block / median sample time. The median, not the mean, because the machine
 * is shared and the occasional GC pause or preemption should not move the figure.
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
  /** Warm-up before the first round (ms and iterations, both minimums). */
  readonly warmupTime: number;
  readonly warmupIterations: number;
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
export type TimingOutcome = { readonly ok: true; readonly timing: Timing } | { readonly ok: false; readonly error: string };

/** Where iteration checksums go, so the optimiser cannot drop the work. */
let sink = 0;

/** The checksum sink (read by main so that it is observably used). */
export function checksumSink(): number {
  return sink;
}

function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (at - low);
}

/** Times every body of `bodies` (keyed by contender id), interleaved; see the file comment. */
export function measureGroup(bodies: ReadonlyMap<string, TimedBody>, settings: TimingSettings, random: BenchRandom): Map<string, TimingOutcome> {
  const samples = new Map<string, number[]>([...bodies.keys()].map((id) => [id, []]));
  const errors = new Map<string, string>();
  for (let round = 0; round < settings.rounds; round++) {
    const bench = new Bench({
      time: settings.roundTime,
      iterations: settings.minIterations,
      warmup: round === 0 && settings.warmupIterations > 0,
      warmupTime: settings.warmupTime,
      warmupIterations: settings.warmupIterations,
      retainSamples: true,
      throws: false,
    });
    for (const id of random.shuffle([...bodies.keys()])) {
      if (errors.has(id)) continue;
      const body = bodies.get(id)!;
      bench.add(id, () => {
        sink += body.iterate();
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
        eventsPerIteration: body.eventsPerIteration,
        iterations: sorted.length,
        medianMs,
        meanMs,
        opsPerSecond: body.eventsPerIteration / (medianMs / 1000),
        nsPerOp: (medianMs * 1e6) / body.eventsPerIteration,
        bestOpsPerSecond: body.eventsPerIteration / (sorted[0]! / 1000),
        spreadPercent: (100 * (quantile(sorted, 0.75) - quantile(sorted, 0.25))) / medianMs,
        probe,
      },
    });
  }
  return outcomes;
}
