/**
 * A lockfile next to a PGlite data folder, so that two openers never share one folder. PGlite takes
 * no lock of its own, and two processes writing one folder lose rows (docs/store-notes.md).
 *
 * The lock is the file `<dataDir>.lock` (beside the folder, not in it: PGlite's initdb wants the
 * folder to itself), holding the owner's pid, host name and a random token. It is created
 * atomically (written to a temporary file, then hard-linked to its name, which fails if the name
 * exists), released on close and when the process exits normally. A process killed by a signal
 * leaves its lockfile behind: the next opener on the same host sees that the pid is gone, says so,
 * and takes the lock over — one opener at a time, through a takeover guard, so that a takeover
 * never removes a lock another opener has just created (see takeOverStaleLock). A lock from
 * another host, or from a live pid, is refused with a message
 * naming the owner and the file to delete if that owner is really gone.
 */
import { randomBytes } from "node:crypto";
import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { StoreError } from "./errors.js";

/** What a lockfile holds. */
export interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
  /** ISO time the lock was taken. */
  readonly since: string;
  /** Distinguishes two locks of the same pid, so a release never deletes a successor's lock. */
  readonly token: string;
}

/** A held lock; release it exactly when the folder is closed. */
export interface DataDirLock {
  /** Absolute path of the lockfile. */
  readonly path: string;
  /** Deletes the lockfile if it is still ours. Idempotent. */
  release(): void;
}

/** Locks still held by this process, released by one `exit` listener (not one per lock). */
const heldLocks = new Set<HeldLock>();
let exitListenerInstalled = false;

class HeldLock implements DataDirLock {
  constructor(
    readonly path: string,
    private readonly token: string,
  ) {}

  release(): void {
    if (!heldLocks.delete(this)) return;
    try {
      // Only delete the file if it is still ours (it may have been taken over after all).
      if (readOwner(this.path)?.token === this.token) unlinkSync(this.path);
    } catch {
      // Already gone: nothing to release.
    }
  }
}

/** The lockfile path of a data folder. */
export function lockPathOf(dataDir: string): string {
  return `${resolve(dataDir)}.lock`;
}

/**
 * Takes the lock of `dataDir` or throws StoreError `LOCKED` naming the owner. A lock left by a dead
 * process on this host is taken over, and `onWarning` is told.
 */
export function acquireDataDirLock(dataDir: string, onWarning: (message: string) => void): DataDirLock {
  const path = lockPathOf(dataDir);
  const owner: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    since: new Date().toISOString(),
    token: randomBytes(12).toString("hex"),
  };
  // Several rounds: the file can vanish between our failed create and our read (its owner closed),
  // and a concurrent takeover of the same stale lock makes us wait for its outcome.
  for (let round = 0; round < 40; round++) {
    if (tryCreate(path, owner)) {
      const lock = new HeldLock(path, owner.token);
      heldLocks.add(lock);
      installExitListener();
      return lock;
    }
    const current = readOwner(path);
    if (current === undefined) continue; // released in between: try again
    if (current === null) {
      throw new StoreError(
        "LOCKED",
        `the database folder ${resolve(dataDir)} is locked by ${path}, which cannot be read; if no other linucb ` +
          `process uses the folder, delete that file`,
      );
    }
    if (current.hostname !== owner.hostname) {
      throw new StoreError(
        "LOCKED",
        `the database folder ${resolve(dataDir)} is in use by process ${current.pid} on host ${current.hostname} ` +
          `(since ${current.since}); if that process is gone, delete ${path}`,
      );
    }
    if (current.pid === process.pid) {
      throw new StoreError(
        "LOCKED",
        `the database folder ${resolve(dataDir)} is already open in this process (since ${current.since}); close ` +
          `the other handle first, or share it`,
      );
    }
    if (isAlive(current.pid)) {
      throw new StoreError(
        "LOCKED",
        `the database folder ${resolve(dataDir)} is in use by process ${current.pid} (since ${current.since}); ` +
          `close that process first, or, if it is not a linucb process any more, delete ${path}`,
      );
    }
    const takeover = takeOverStaleLock(path, current, owner);
    if (takeover === "removed") {
      onWarning(
        `taking over the lock of ${resolve(dataDir)} from process ${current.pid}, which no longer runs (locked ` +
          `since ${current.since}; it did not close the database)`,
      );
    } else if (takeover === "busy") {
      // Another opener is taking the same stale lock over right now: give it a moment.
      sleepMs(1 + round);
    }
  }
  throw new StoreError("LOCKED", `could not take the lock ${path}: other openers kept taking it`);
}

/**
 * Removes the stale lock `stale` from `path`, unless something else is there by now. Never removes a
 * lock that another opener has just created: deleting by name after reading the owner would (two
 * openers read the same stale owner; the first deletes it and creates its own lock; the second then
 * deletes that fresh lock and creates its own — two openers).
 *
 * Takeovers are serialised by a second lockfile, `<lock>.takeover`, created exclusively like the lock.
 * While a takeover guard is held, the lock can only change by being removed by the guard holder: a
 * new lock cannot be created over it (the name exists), and the stale owner is dead. So the guard
 * holder re-reads the lock and removes it only if it still holds the same stale token. Even that
 * removal is a rename to a name of our own followed by a check (a rename is atomic: exactly one
 * process gets the file), and a file that turns out not to be the stale one is put back.
 *
 * Returns "removed" when we removed the stale lock, "changed" when it was no longer there (another
 * opener took it over first), "busy" when another opener holds the guard (the caller waits, retries).
 */
function takeOverStaleLock(path: string, stale: LockOwner, owner: LockOwner): "removed" | "changed" | "busy" {
  const guardPath = `${path}.takeover`;
  if (!tryCreate(guardPath, owner)) {
    clearDeadGuard(guardPath);
    return "busy";
  }
  try {
    if (readOwner(path)?.token !== stale.token) return "changed"; // compete for the lock again
    return removeIfStill(path, stale.token, owner.token) ? "removed" : "changed";
  } finally {
    removeIfStill(guardPath, owner.token, owner.token);
  }
}

/** Removes `path` if it holds `token` (renamed aside first, checked, put back if it is not); true if removed. */
function removeIfStill(path: string, token: string, ownToken: string): boolean {
  const aside = `${path}.${ownToken}.${randomBytes(4).toString("hex")}.removing`;
  try {
    renameSync(path, aside);
  } catch {
    return false; // gone already
  }
  if (readOwner(aside)?.token === token) {
    unlinkSync(aside);
    return true;
  }
  // Not the file we meant to remove: put it back (link fails if the name was taken meanwhile,
  // which only a broken guard allows; then the newer file stays and the moved one is dropped).
  try {
    linkSync(aside, path);
  } catch {
    // see above
  }
  unlinkSync(aside);
  return false;
}

/**
 * A guard left by a process killed in the middle of a takeover (a window of microseconds) would
 * block every later takeover: one whose pid no longer runs is removed (by token, as above).
 */
function clearDeadGuard(guardPath: string): void {
  const guard = readOwner(guardPath);
  if (guard === undefined || guard === null) return;
  if (guard.hostname === hostname() && guard.pid !== process.pid && !isAlive(guard.pid)) {
    removeIfStill(guardPath, guard.token, randomBytes(12).toString("hex"));
  }
}

/** Blocks the thread for `ms` milliseconds (the lock is taken synchronously, once per open). */
function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Creates the lockfile with `owner` in it, atomically; false if it already exists. */
function tryCreate(path: string, owner: LockOwner): boolean {
  // Write a private temporary file completely, then link it to the lock name: the lock never
  // exists half-written, and link() fails with EEXIST if somebody holds it.
  const temporary = `${path}.${owner.pid}.${owner.token}.tmp`;
  const fd = openSync(temporary, "wx", 0o644);
  try {
    writeSync(fd, `${JSON.stringify(owner)}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new StoreError("LOCKED", `cannot create the lockfile ${path}: ${(error as Error).message}`, { cause: error });
  } finally {
    unlinkSync(temporary);
  }
}

/** The lock's owner; undefined if there is no lockfile; null if it cannot be parsed. */
function readOwner(path: string): LockOwner | null | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return null;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockOwner>;
    if (typeof parsed.pid === "number" && typeof parsed.hostname === "string" && typeof parsed.token === "string") {
      return { pid: parsed.pid, hostname: parsed.hostname, token: parsed.token, since: String(parsed.since) };
    }
  } catch {
    // fall through
  }
  return null;
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function installExitListener(): void {
  if (exitListenerInstalled) return;
  exitListenerInstalled = true;
  // 'exit' listeners must be synchronous: release() only uses sync fs calls.
  process.on("exit", () => {
    for (const lock of [...heldLocks]) lock.release();
  });
}
