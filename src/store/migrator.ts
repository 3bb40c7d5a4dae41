/**
 * A small migration runner: the versions applied are rows of `schema_migrations`; `up` applies the
 * missing ones in order, `down` reverts the newest ones in reverse, each migration in its own
 * transaction together with its bookkeeping row, so a failing migration leaves the schema exactly
 * at the previous version. Concurrent runners (two processes starting at once) are serialised by a
 * transaction-scoped advisory lock, and each re-reads the applied versions under that lock.
 *
 * Why not node-pg-migrate: it reaches PGlite only through PGlite's pg.Pool adapter (slower, and a
 * second connection path to keep working), needs a loader option so that `NNN.down.sql` is not run as
 * an "up", and reads migrations from files that `tsc` does not copy into dist/ (ours are TS string
 * constants). This page of code over the one {@link Db} interface runs identically on both back ends.
 */
import { createHash } from "node:crypto";
import type { Db, Queryable } from "./db.js";
import { StoreError, describeValue } from "./errors.js";
import { clearDanglingReferences, describeDataLoss, probeDataLoss, type DataLoss } from "./down-data-loss.js";
import type { Migration } from "./migrations/index.js";
import { migrations as allMigrations } from "./migrations/index.js";

/** One known migration and whether (and when) it is applied. */
export interface MigrationState {
  readonly version: number;
  readonly name: string;
  /** When it was applied, or null if it is not. */
  readonly appliedAt: Date | null;
  /** False if the applied `up` differs from the one in this code (it was edited after release). */
  readonly unchanged: boolean;
}

/** The schema's state: the known migrations, plus any applied that this code does not know. */
export interface MigrationStatus {
  /** Highest applied version (0: none). */
  readonly current: number;
  /** Highest version this code knows. */
  readonly latest: number;
  readonly migrations: readonly MigrationState[];
  /** Applied versions this code does not know (the database was migrated by a newer release). */
  readonly unknown: readonly { readonly version: number; readonly name: string }[];
}

/** Options of {@link migrateUp} and {@link migrateDown}. */
export interface MigrateOptions {
  /**
   * Target version. `up`: apply up to and including it (default: the latest). `down`: revert until
   * it is the newest applied (default: one below the current version; 0 reverts everything).
   */
  readonly to?: number;
  /** The migration list (tests use shorter or broken ones). @default the package's migrations */
  readonly migrations?: readonly Migration[];
}

/** Options of {@link migrateDown}. */
export interface MigrateDownOptions extends MigrateOptions {
  /**
   * Revert even migrations whose `down` drops stored data (rows, column values, references). Without
   * it such a down throws StoreError `DATA_LOSS` saying what would be lost, and changes nothing.
   * @default false
   */
  readonly force?: boolean;
  /** Told, for each migration reverted with `force`, what it dropped. */
  readonly onDataLoss?: (migration: Migration, losses: readonly DataLoss[]) => void;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
  applied_at: Date;
}

const CREATE_BOOKKEEPING = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version     integer PRIMARY KEY,
  name        text NOT NULL,
  -- SHA-256 of the migration's up SQL when it was applied, to detect later edits.
  checksum    text NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
)`;

/** Serialises migration runners; transaction-scoped, so a crashed runner never holds it. */
const LOCK = "SELECT pg_advisory_xact_lock(hashtext('linucb.schema_migrations'))";

function checksumOf(migration: Migration): string {
  return createHash("sha256").update(migration.up).digest("hex");
}

function validateList(list: readonly Migration[]): void {
  list.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new RangeError(
        `migrations must be numbered 1, 2, 3, … in order; entry ${index} has version ` +
          `${describeValue(migration.version)}`,
      );
    }
  });
}

function validateTarget(to: number | undefined, latest: number): void {
  if (to !== undefined && (!Number.isInteger(to) || to < 0 || to > latest)) {
    throw new RangeError(`to must be an integer version between 0 and ${latest}; received ${describeValue(to)}`);
  }
}

async function readApplied(q: Queryable): Promise<AppliedRow[]> {
  const exists = await q.query<{ present: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS present");
  if (!exists.rows[0]?.present) return [];
  const result = await q.query<AppliedRow>(
    "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version",
  );
  return result.rows;
}

/** The state of every migration, without changing anything. */
export async function migrationStatus(
  db: Db,
  options: Pick<MigrateOptions, "migrations"> = {},
): Promise<MigrationStatus> {
  const list = options.migrations ?? allMigrations;
  validateList(list);
  const applied = await readApplied(db);
  const byVersion = new Map(applied.map((row) => [row.version, row]));
  return {
    current: applied.reduce((highest, row) => Math.max(highest, row.version), 0),
    latest: list.length,
    migrations: list.map((migration) => {
      const row = byVersion.get(migration.version);
      return {
        version: migration.version,
        name: migration.name,
        appliedAt: row?.applied_at ?? null,
        unchanged: row === undefined || row.checksum === checksumOf(migration),
      };
    }),
    unknown: applied
      .filter((row) => row.version > list.length)
      .map((row) => ({ version: row.version, name: row.name })),
  };
}

/** Applies the missing migrations up to `to` (default: all), in order. Returns those applied. */
export async function migrateUp(db: Db, options: MigrateOptions = {}): Promise<Migration[]> {
  const list = options.migrations ?? allMigrations;
  validateList(list);
  validateTarget(options.to, list.length);
  const target = options.to ?? list.length;
  const done: Migration[] = [];
  for (;;) {
    const next = await db.transaction(async (tx) => {
      await tx.query(LOCK);
      await tx.exec(CREATE_BOOKKEEPING);
      const applied = await readApplied(tx);
      const unknown = applied.filter((row) => row.version > list.length);
      if (unknown.length > 0) {
        throw new StoreError(
          "SCHEMA",
          `the database at ${db.location} has migrations this version of linucb does not know ` +
            `(${unknown.map((row) => `${row.version} ${row.name}`).join(", ")}); upgrade linucb`,
        );
      }
      const appliedVersions = new Set(applied.map((row) => row.version));
      const migration = list.find(
        (candidate) => candidate.version <= target && !appliedVersions.has(candidate.version),
      );
      if (migration === undefined) return undefined;
      try {
        await tx.exec(migration.up);
      } catch (error) {
        throw new StoreError(
          "SCHEMA",
          `migration ${migration.version} (${migration.name}) failed and was rolled back: ${(error as Error).message}`,
          { cause: error },
        );
      }
      await tx.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [
        migration.version,
        migration.name,
        checksumOf(migration),
      ]);
      return migration;
    });
    if (next === undefined) return done;
    done.push(next);
  }
}

/**
 * Reverts applied migrations, newest first, until `to` is the newest applied (default: revert one).
 * Returns those reverted. A `down` that would drop stored data is refused (StoreError `DATA_LOSS`,
 * naming what and how much, nothing changed) unless `force` is set; forced, the references other
 * tables hold into the dropped tables are set to null first, so that `up` always works again.
 */
export async function migrateDown(db: Db, options: MigrateDownOptions = {}): Promise<Migration[]> {
  const list = options.migrations ?? allMigrations;
  validateList(list);
  validateTarget(options.to, list.length);
  const start = (await migrationStatus(db, { migrations: list })).current;
  const target = options.to ?? Math.max(0, start - 1);
  if (options.force !== true) {
    // Every step first, in one rolled-back rehearsal: a refusal then changes nothing at all (not
    // even the steps above the one that would drop data).
    const planned = await dataLossOfReverting(db, list, target);
    if (planned.length > 0) {
      const what = planned.map(
        ({ migration, losses }) =>
          `migration ${migration.version} (${migration.name}) drops ${describeDataLoss(losses)}`,
      );
      throw new StoreError(
        "DATA_LOSS",
        `reverting would drop stored data: ${what.join("; ")}. Nothing was changed; back the data up and revert ` +
          `with force (linucb migrate down --force) if that is intended`,
      );
    }
  }
  const done: Migration[] = [];
  for (;;) {
    const step = await db.transaction(async (tx) => {
      await tx.query(LOCK);
      const applied = await readApplied(tx);
      const newest = applied.at(-1);
      if (newest === undefined || newest.version <= target) return undefined;
      const migration = list[newest.version - 1];
      if (migration === undefined) {
        throw new StoreError(
          "SCHEMA",
          `cannot revert migration ${newest.version} (${newest.name}): this version of linucb does not know it; ` +
            `use the release that applied it`,
        );
      }
      // Measured again under the lock: rows may have arrived since the rehearsal.
      const losses = await probeDataLoss(tx, migration.down);
      if (losses.length > 0 && options.force !== true) {
        const what = `migration ${migration.version} (${migration.name})`;
        throw new StoreError(
          "DATA_LOSS",
          `reverting ${what} would drop stored data: ${describeDataLoss(losses)}; it was not reverted`,
        );
      }
      try {
        await clearDanglingReferences(tx, losses);
        await tx.exec(migration.down);
      } catch (error) {
        throw new StoreError(
          "SCHEMA",
          `reverting migration ${migration.version} (${migration.name}) failed and was rolled back: ` +
            `${(error as Error).message}`,
          { cause: error },
        );
      }
      await tx.query("DELETE FROM schema_migrations WHERE version = $1", [migration.version]);
      return { migration, losses };
    });
    if (step === undefined) return done;
    if (step.losses.length > 0) options.onDataLoss?.(step.migration, step.losses);
    done.push(step.migration);
  }
}

/** What reverting down to `target` would drop, step by step, rehearsed in a rolled-back transaction. */
async function dataLossOfReverting(
  db: Db,
  list: readonly Migration[],
  target: number,
): Promise<{ migration: Migration; losses: DataLoss[] }[]> {
  return db.transaction(async (tx) => {
    await tx.query(LOCK);
    const pending = (await readApplied(tx)).filter((row) => row.version > target).reverse();
    const found: { migration: Migration; losses: DataLoss[] }[] = [];
    await tx.exec("SAVEPOINT linucb_rehearse_down");
    try {
      for (const row of pending) {
        const migration = list[row.version - 1];
        if (migration === undefined) break; // the real run reports it
        const losses = await probeDataLoss(tx, migration.down);
        if (losses.length > 0) found.push({ migration, losses });
        await clearDanglingReferences(tx, losses);
        await tx.exec(migration.down);
      }
    } catch {
      // A down that fails is reported by the real run, which stops there.
    } finally {
      await tx.exec("ROLLBACK TO SAVEPOINT linucb_rehearse_down");
    }
    return found;
  });
}

/**
 * Brings the schema to the latest version: what every command that needs the schema calls first.
 * Idempotent and cheap when nothing is missing (one transaction that finds nothing to do).
 */
export async function ensureSchema(db: Db): Promise<void> {
  await migrateUp(db);
}
