/**
 * What reverting a migration would destroy, measured before it is done, so that `migrate down`
 * refuses to drop stored data unless forced (and then says what it dropped).
 *
 * How: the migration's `down` is run once inside a savepoint, the catalog compared before and
 * after (tables and columns that disappear), and the savepoint rolled back; then the rows of the
 * vanished tables, the non-null values of the vanished columns, and the references that surviving
 * tables hold into vanished tables are counted. This needs no per-migration bookkeeping (001–005
 * are released and never edited) and measures exactly what this `down` does on this database.
 *
 * The references matter beyond the count: migration 005's `down` drops policy_versions and the
 * foreign key training_runs.policy_version_id → policy_versions, but leaves the column's values.
 * Its `up` then re-adds the key and fails (SQLSTATE 23503) on ids that no longer exist: the schema
 * was bricked. {@link clearDanglingReferences} sets such references to null before a forced down.
 */
import type { Queryable } from "./db.js";

/** One kind of data a down would lose. */
export interface DataLoss {
  /** `table` (every row), `column` (its non-null values) or `reference` (values set to null). */
  readonly kind: "table" | "column" | "reference";
  readonly table: string;
  /** The column, for `column` and `reference`. */
  readonly column?: string;
  /** For `reference`: the table referred to. */
  readonly references?: string;
  /** Rows (table) or non-null values (column, reference) lost. */
  readonly count: number;
}

interface ColumnRow {
  table_name: string;
  column_name: string;
}

interface ForeignKeyRow {
  table_name: string;
  column_name: string;
  nullable: boolean;
  referenced: string;
}

/** The bookkeeping table is the migrator's: never counted as data. */
const BOOKKEEPING = "schema_migrations";

/** Tables (and their columns) of the current schema. */
async function columnsOf(q: Queryable): Promise<Map<string, Set<string>>> {
  const { rows } = await q.query<ColumnRow>(
    `SELECT c.relname AS table_name, a.attname AS column_name
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname <> '${BOOKKEEPING}'`,
  );
  const tables = new Map<string, Set<string>>();
  for (const row of rows) {
    const columns = tables.get(row.table_name) ?? new Set<string>();
    columns.add(row.column_name);
    tables.set(row.table_name, columns);
  }
  return tables;
}

/** Single-column foreign keys of the current schema. */
async function foreignKeysOf(q: Queryable): Promise<ForeignKeyRow[]> {
  const { rows } = await q.query<ForeignKeyRow>(
    `SELECT src.relname AS table_name, a.attname AS column_name, NOT a.attnotnull AS nullable, dst.relname AS referenced
       FROM pg_constraint k
       JOIN pg_class src ON src.oid = k.conrelid
       JOIN pg_class dst ON dst.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = src.relnamespace
       JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
      WHERE k.contype = 'f' AND n.nspname = current_schema() AND cardinality(k.conkey) = 1`,
  );
  return rows;
}

/** Quotes an identifier read from the catalog. */
function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

async function countOf(q: Queryable, sql: string): Promise<number> {
  const { rows } = await q.query<{ n: number }>(sql);
  return Number(rows[0]?.n ?? 0);
}

/**
 * The data `down` would destroy, measured by running it in a savepoint that is rolled back (so the
 * caller's transaction is left as it was). Only non-zero losses are returned. A `down` that fails
 * is left to fail for real afterwards: the probe then reports nothing.
 */
export async function probeDataLoss(tx: Queryable, down: string): Promise<DataLoss[]> {
  // Counted in a stable order (kind, table, column), whatever the catalog's order.
  const before = await columnsOf(tx);
  const foreignKeys = await foreignKeysOf(tx);
  let after: Map<string, Set<string>>;
  await tx.exec("SAVEPOINT linucb_probe_down");
  try {
    await tx.exec(down);
    after = await columnsOf(tx);
  } catch {
    return [];
  } finally {
    await tx.exec("ROLLBACK TO SAVEPOINT linucb_probe_down");
  }
  const losses: DataLoss[] = [];
  for (const [table, columns] of before) {
    const kept = after.get(table);
    if (kept === undefined) {
      losses.push({
        kind: "table",
        table,
        count: await countOf(tx, `SELECT count(*)::int8 AS n FROM ${quoted(table)}`),
      });
      continue;
    }
    for (const column of columns) {
      if (kept.has(column)) continue;
      const count = await countOf(tx, `SELECT count(${quoted(column)})::int8 AS n FROM ${quoted(table)}`);
      losses.push({ kind: "column", table, column, count });
    }
  }
  for (const key of foreignKeys) {
    if (!after.has(key.table_name) || after.has(key.referenced)) continue;
    const count = await countOf(
      tx,
      `SELECT count(${quoted(key.column_name)})::int8 AS n FROM ${quoted(key.table_name)}`,
    );
    losses.push({
      kind: "reference",
      table: key.table_name,
      column: key.column_name,
      references: key.referenced,
      count,
    });
  }
  const order = { table: 0, column: 1, reference: 2 };
  return losses
    .filter((loss) => loss.count > 0)
    .sort(
      (a, b) =>
        order[a.kind] - order[b.kind] ||
        a.table.localeCompare(b.table) ||
        (a.column ?? "").localeCompare(b.column ?? ""),
    );
}

/**
 * Sets to null the references that surviving tables hold into tables the down drops (see the module
 * comment), so that the migration's `up` can add its foreign keys back.
 */
export async function clearDanglingReferences(tx: Queryable, losses: readonly DataLoss[]): Promise<void> {
  for (const loss of losses) {
    if (loss.kind !== "reference" || loss.column === undefined) continue;
    await tx.exec(
      `UPDATE ${quoted(loss.table)} SET ${quoted(loss.column)} = NULL WHERE ${quoted(loss.column)} IS NOT NULL`,
    );
  }
}

/** "policy_versions: 3 rows, training_runs.policy_version_id: 3 references to policy_versions". */
export function describeDataLoss(losses: readonly DataLoss[]): string {
  return losses
    .map((loss) => {
      const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;
      if (loss.kind === "table") return `${loss.table}: ${plural(loss.count, "row")}`;
      if (loss.kind === "column") return `${loss.table}.${loss.column}: ${plural(loss.count, "value")}`;
      return `${loss.table}.${loss.column}: ${plural(loss.count, "reference")} to ${loss.references} (set to null)`;
    })
    .join(", ");
}
