import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import ts from "typescript";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { acquireDataDirLock, lockPathOf, type DataDirLock } from "../../src/store/data-dir-lock.js";
import { StoreError } from "../../src/store/errors.js";

let root: string;
const held: DataDirLock[] = [];
const children: ChildProcess[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "linucb-lock-test-"));
});
afterEach(() => {
  for (const lock of held.splice(0)) lock.release();
  for (const child of children.splice(0)) child.kill("SIGKILL");
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

let counter = 0;
function folder(): string {
  return join(root, `db-${counter++}`);
}

function acquire(dataDir: string, onWarning: (message: string) => void = () => undefined): DataDirLock {
  const lock = acquireDataDirLock(dataDir, onWarning);
  held.push(lock);
  return lock;
}

function writeLock(dataDir: string, owner: Record<string, unknown>): void {
  writeFileSync(
    lockPathOf(dataDir),
    JSON.stringify({ hostname: hostname(), since: "2024-01-01T00:00:00.000Z", token: "t", ...owner }),
  );
}

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

/**
 * The lock module compiled to plain JavaScript, so a child `node` process (which cannot run
 * TypeScript on Node 20) can take a lock with the real code. Only node: builtins are imported.
 */
function compiledLockModule(): string {
  const out = join(root, "compiled");
  const entry = join(out, "store", "data-dir-lock.js");
  if (existsSync(entry)) return entry;
  // The files the lock module imports, at their paths under src/ (relative imports then resolve).
  for (const path of ["store/data-dir-lock", "store/errors", "shared/describe-value"]) {
    const source = readFileSync(new URL(`../../src/${path}.ts`, import.meta.url), "utf8");
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    mkdirSync(dirname(join(out, path)), { recursive: true });
    writeFileSync(join(out, `${path}.js`), outputText);
  }
  writeFileSync(join(out, "package.json"), '{ "type": "module" }');
  return entry;
}

/** Starts a child that takes the lock of `dataDir` and then does `then` ('exit' or 'wait'). */
function childHoldingLock(dataDir: string, then: "exit" | "wait"): Promise<{ child: ChildProcess; locked: boolean }> {
  const script = `
    import { acquireDataDirLock } from ${JSON.stringify(compiledLockModule())};
    acquireDataDirLock(${JSON.stringify(dataDir)}, () => {});
    process.stdout.write("locked\\n");
    ${then === "wait" ? "setInterval(() => {}, 1000);" : "process.exit(0);"}
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (data: Buffer) => {
      output += data.toString();
      if (output.includes("locked")) resolve({ child, locked: true });
    });
    child.on("error", reject);
    child.on("exit", () => resolve({ child, locked: output.includes("locked") }));
  });
}

/**
 * Lightweight openers for the race test: each child only takes locks (the real module, no PGlite).
 * On every input line `{ dataDir, at }` it waits until the time `at` (so that all start together),
 * tries the lock, keeps it if it got it, and answers `{ dataDir, result }`.
 */
function lockRacer(): { child: ChildProcess; attempt: (dataDir: string, at: number) => Promise<string> } {
  const script = `
    import { acquireDataDirLock } from ${JSON.stringify(compiledLockModule())};
    import { createInterface } from "node:readline";
    const held = [];
    const pause = new Int32Array(new SharedArrayBuffer(4));
    createInterface({ input: process.stdin }).on("line", (line) => {
      const { dataDir, at } = JSON.parse(line);
      if (at - Date.now() > 2) Atomics.wait(pause, 0, 0, at - Date.now() - 2);
      while (Date.now() < at) {}
      let result;
      try {
        held.push(acquireDataDirLock(dataDir, () => {}));
        result = "locked";
      } catch (error) {
        result = error.code === "LOCKED" ? "refused" : "failed: " + error.message;
      }
      process.stdout.write(JSON.stringify({ dataDir, result }) + "\\n");
    });
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["pipe", "pipe", "inherit"] });
  children.push(child);
  const waiting = new Map<string, (result: string) => void>();
  let buffered = "";
  child.stdout?.on("data", (data: Buffer) => {
    buffered += data.toString();
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const { dataDir, result } = JSON.parse(buffered.slice(0, newline)) as { dataDir: string; result: string };
      buffered = buffered.slice(newline + 1);
      waiting.get(dataDir)?.(result);
    }
  });
  return {
    child,
    attempt: (dataDir, at) =>
      new Promise((resolve) => {
        waiting.set(dataDir, resolve);
        child.stdin?.write(`${JSON.stringify({ dataDir, at })}\n`);
      }),
  };
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.on("exit", () => resolve());
  });
}

describe("data-folder lock", () => {
  it("is a file beside the folder that names this process, removed on release", () => {
    const dataDir = folder();
    const lock = acquire(dataDir);
    expect(lock.path).toBe(`${dataDir}.lock`);
    const owner = JSON.parse(readFileSync(lock.path, "utf8")) as { pid: number; hostname: string };
    expect(owner).toMatchObject({ pid: process.pid, hostname: hostname() });
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
    lock.release(); // idempotent
    acquire(dataDir); // and free again
  });

  it("refuses a second opener in the same process with a clear message", () => {
    const dataDir = folder();
    acquire(dataDir);
    expect(() => acquire(dataDir)).toThrow(StoreError);
    expect(() => acquire(dataDir)).toThrow(
      new RegExp(`the database folder ${dataDir} is already open in this process`),
    );
  });

  it("refuses an opener while another live process holds the folder, naming the process and the file", async () => {
    const dataDir = folder();
    const { child, locked } = await childHoldingLock(dataDir, "wait");
    expect(locked).toBe(true);
    const error = (() => {
      try {
        acquire(dataDir);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: "LOCKED" });
    expect((error as Error).message).toContain(`is in use by process ${child.pid}`);
    expect((error as Error).message).toContain(`delete ${dataDir}.lock`);
    child.kill("SIGKILL");
    await exited(child);
  });

  it("is released when the holding process exits without closing", async () => {
    const dataDir = folder();
    const { child, locked } = await childHoldingLock(dataDir, "exit");
    expect(locked).toBe(true);
    await exited(child);
    expect(existsSync(lockPathOf(dataDir))).toBe(false);
    acquire(dataDir);
  });

  it("takes over the lock of a killed process, with a message", async () => {
    const dataDir = folder();
    const { child } = await childHoldingLock(dataDir, "wait");
    child.kill("SIGKILL"); // no exit handler runs: the lockfile stays behind
    await exited(child);
    expect(existsSync(lockPathOf(dataDir))).toBe(true);
    const warnings: string[] = [];
    acquire(dataDir, (message) => warnings.push(message));
    expect(warnings).toEqual([
      expect.stringMatching(
        new RegExp(`taking over the lock of ${dataDir} from process ${child.pid}, which no longer runs`),
      ),
    ]);
    expect(JSON.parse(readFileSync(lockPathOf(dataDir), "utf8"))).toMatchObject({ pid: process.pid });
  });

  it("takes over a stale lock of a dead pid written by hand", () => {
    const dataDir = folder();
    const pid = deadPid();
    writeLock(dataDir, { pid });
    const warnings: string[] = [];
    acquire(dataDir, (message) => warnings.push(message));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`from process ${pid}`);
  });

  it("clears a takeover guard left by a process killed mid-takeover, then takes the stale lock over", () => {
    const dataDir = folder();
    const pid = deadPid();
    writeLock(dataDir, { pid, token: "stale" });
    const guard = { pid, hostname: hostname(), since: "2024-01-01T00:00:00.000Z", token: "guard" };
    writeFileSync(`${lockPathOf(dataDir)}.takeover`, JSON.stringify(guard));
    const warnings: string[] = [];
    acquire(dataDir, (message) => warnings.push(message));
    expect(warnings).toEqual([expect.stringContaining(`from process ${pid}, which no longer runs`)]);
    expect(JSON.parse(readFileSync(lockPathOf(dataDir), "utf8"))).toMatchObject({ pid: process.pid });
    expect(existsSync(`${lockPathOf(dataDir)}.takeover`)).toBe(false);
  });

  it("refuses a lock held from another host, and an unreadable lockfile", () => {
    const fromElsewhere = folder();
    writeLock(fromElsewhere, { pid: deadPid(), hostname: "another-host" });
    expect(() => acquire(fromElsewhere)).toThrow(
      /in use by process \d+ on host another-host .*; if that process is gone, delete/,
    );

    const garbled = folder();
    writeFileSync(lockPathOf(garbled), "not json");
    expect(() => acquire(garbled)).toThrow(
      /which cannot be read; if no other linucb process uses the folder, delete that file/,
    );
  });

  it("never deletes a successor's lock when an old handle is released late", () => {
    const dataDir = folder();
    const first = acquire(dataDir);
    // Simulate a takeover: somebody else's lock replaces ours on disk.
    writeLock(dataDir, { pid: process.pid + 1_000_000, token: "successor" });
    first.release();
    expect(JSON.parse(readFileSync(lockPathOf(dataDir), "utf8"))).toMatchObject({ token: "successor" });
  });

  it("lets exactly one of 4 simultaneous openers take over a stale lock, in each of 200 rounds", async () => {
    const racers = Array.from({ length: 4 }, () => lockRacer());
    const pid = deadPid();
    const outcomes: string[][] = [];
    for (let round = 0; round < 200; round++) {
      const dataDir = folder();
      writeLock(dataDir, { pid, token: `stale-${round}` });
      const at = Date.now() + 15;
      const results = await Promise.all(racers.map((racer) => racer.attempt(dataDir, at)));
      outcomes.push(results);
      const owner = JSON.parse(readFileSync(lockPathOf(dataDir), "utf8")) as { pid: number };
      const winners = racers.filter((_, i) => results[i] === "locked");
      if (winners.length !== 1 || owner.pid !== winners[0]!.child.pid) break;
    }
    // Every round: one "locked", three "refused" (the winner is alive), and the file names the winner.
    const bad = outcomes
      .map((results, round) => ({ round, results }))
      .filter(({ results }) => results.filter((r) => r === "locked").length !== 1);
    expect(bad).toEqual([]);
    expect(outcomes).toHaveLength(200);
    for (const results of outcomes) expect([...results].sort()).toEqual(["locked", "refused", "refused", "refused"]);
  }, 120_000);
});
