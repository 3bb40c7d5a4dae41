/**
 * Named advisory locks, to serialise cadences: two refits of the same cadence must not run at once
 * (they would both write a policy version from the same corpus and race to activate it).
 *
 * Session-level `pg_try_advisory_lock` on a reserved connection: if the process dies, the server
 * ends the session and the lock goes with it — no stale lock to clean up. PGlite has one session
 * per process, where advisory locks are re-entrant, so a registry of held names per database handle
 * makes a second acquisition in the same process fail too; across processes the data-folder lock
 * already keeps PGlite to one process.
 */
import type { Db, ReservedConnection } from "./db.js";
import { StoreError, describeValue } from "./errors.js";

/** A held advisory lock. */
export interface AdvisoryLock {
  /** The lock's name. */
  readonly name: string;
  /** Releases the lock and its connection. Idempotent. */
  release(): Promise<void>;
}

/** Names held through each database handle by this process. */
const heldNames = new WeakMap<Db, Set<string>>();

/** Takes the lock `name` if free; resolves to null if someone (here or elsewhere) holds it. */
export async function tryAcquireAdvisoryLock(db: Db, name: string): Promise<AdvisoryLock | null> {
  if (typeof name !== "string" || name === "")
    throw new TypeError(`name must be a non-empty string; received ${describeValue(name)}`);
  const held = heldNames.get(db) ?? new Set<string>();
  heldNames.set(db, held);
  if (held.has(name)) return null;
  held.add(name);
  let connection: ReservedConnection | undefined;
  try {
    connection = await db.reserve();
    const result = await connection.query<{ acquired: boolean }>(
      "SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS acquired",
      [`linucb:${name}`],
    );
    if (result.rows[0]?.acquired !== true) {
      held.delete(name);
      connection.release();
      return null;
    }
  } catch (error) {
    held.delete(name);
    connection?.release();
    throw error;
  }
  const owned = connection;
  let released = false;
  return {
    name,
    async release(): Promise<void> {
      if (released) return;
      released = true;
      try {
        if (!db.closed) await owned.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [`linucb:${name}`]);
      } catch (error) {
        // A lost connection took its session, and with it the lock: nothing left to release.
        if (!(error instanceof StoreError && error.code === "CONNECTION")) throw error;
      } finally {
        held.delete(name);
        owned.release();
      }
    },
  };
}

/**
 * Runs `fn` holding the lock `name`; throws StoreError `LOCKED` at once if it is held elsewhere
 * (a cadence that finds another one running should stop, not queue).
 */
export async function withAdvisoryLock<T>(db: Db, name: string, fn: () => Promise<T>): Promise<T> {
  const lock = await tryAcquireAdvisoryLock(db, name);
  if (lock === null)
    throw new StoreError(
      "LOCKED",
      `the lock ${JSON.stringify(name)} is held by another run (${db.location}); try again when it has finished`,
    );
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
