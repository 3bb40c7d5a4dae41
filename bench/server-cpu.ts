/**
 * The CPU time a workload costs a PostgreSQL server running on this machine, for benchmarks that
 * want the database's share next to the client's (`process.cpuUsage`). Linux only (/proc); NaN
 * elsewhere, or when the server is on another machine.
 *
 * Only the backends of one database are counted (the benchmark's scratch database), so other
 * databases of a shared server do not leak in. A backend's CPU vanishes from /proc when it exits
 * (worker threads close their connections at the end of a read), so the meter samples the
 * postmaster's children every {@link SAMPLE_MS} ms and keeps each backend's last reading: what a
 * backend spends between its last sample and its exit (at most one interval) is missed, so the
 * figure errs low.
 */
import { readFileSync } from "node:fs";
import type { Db } from "../src/store/db.js";

/** Clock ticks per second of /proc's times (USER_HZ: 100 on every Linux build in use). */
const TICKS_PER_SECOND = 100;
/** How often the backends are sampled while the meter runs. */
const SAMPLE_MS = 20;

/** The fields of /proc/PID/stat after the command name (fields 3…), or undefined if gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds (user + system: fields 14 and 15 of /proc/PID/stat) a process has used so far; NaN
 * when it is gone, or off Linux.
 */
export function processCpuSeconds(pid: number): number {
  const fields = statFields(pid);
  return fields === undefined ? Number.NaN : (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Measures the CPU seconds of one database's backends between `start()` and `stop()`. */
export interface ServerCpuMeter {
  start(): void;
  /** CPU seconds the database's backends used since `start()` (NaN when the server is not local). */
  stop(): number;
}

/**
 * A meter of the backends of `databaseName` on the server `db` is connected to (its postmaster is
 * found as the parent of this connection's backend).
 */
export async function serverCpuMeter(db: Db, databaseName: string): Promise<ServerCpuMeter> {
  const backend = await db.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  const postmaster = Number(statFields(Number(backend.rows[0]?.pid))?.[1]);
  if (!Number.isInteger(postmaster) || statFields(postmaster) === undefined) {
    return { start: () => undefined, stop: () => Number.NaN };
  }
  // A backend's process title names its database ("postgres: user database host(port) state")
  // once its connection is set up — before that it is the postmaster's command line — so only a
  // match is remembered.
  const ofDatabase = new Set<number>();
  const belongs = (pid: number): boolean => {
    if (ofDatabase.has(pid)) return true;
    const words = (readText(`/proc/${pid}/cmdline`) ?? "").replaceAll("\0", " ").split(/\s+/);
    if (!words.includes(databaseName)) return false;
    ofDatabase.add(pid);
    return true;
  };
  let baseline = new Map<number, number>();
  let latest = new Map<number, number>();
  let timer: NodeJS.Timeout | undefined;
  const sample = (): void => {
    const children = readText(`/proc/${postmaster}/task/${postmaster}/children`) ?? "";
    for (const word of children.split(" ")) {
      const pid = Number(word);
      if (word === "" || !belongs(pid)) continue;
      const seconds = processCpuSeconds(pid);
      if (Number.isNaN(seconds)) continue;
      // A backend first seen after the start was born during the run: all of its time counts.
      if (!baseline.has(pid)) baseline.set(pid, timer === undefined ? seconds : 0);
      latest.set(pid, seconds);
    }
  };
  return {
    start() {
      baseline = new Map();
      latest = new Map();
      sample();
      timer = setInterval(sample, SAMPLE_MS);
    },
    stop() {
      sample();
      clearInterval(timer);
      timer = undefined;
      let total = 0;
      for (const [pid, seconds] of latest) total += seconds - (baseline.get(pid) ?? 0);
      return total;
    },
  };
}
