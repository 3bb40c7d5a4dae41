/**
 * A textual description of the public schema — columns (in logical order), constraints and indexes
 * — for comparing two states of a database. Logical column order is the rank among live columns:
 * raw attnums keep counting after a column is dropped and re-added.
 */
import type { Queryable } from "../../src/store/db.js";

export async function describeSchema(q: Queryable): Promise<string[]> {
  const result = await q.query<{ line: string }>(`
    SELECT line FROM (
      SELECT format('column %s.%s #%s %s %s default %s', c.relname, a.attname,
                    row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
                    format_type(a.atttypid, a.atttypmod),
                    CASE WHEN a.attnotnull THEN 'not null' ELSE 'null' END,
                    coalesce(pg_get_expr(d.adbin, d.adrelid), '-')) ||
             CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END AS line
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid AND c.relkind = 'r'
      JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attnum > 0 AND NOT a.attisdropped
      UNION ALL
      SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace
      UNION ALL
      SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
    ) AS schema
    ORDER BY line`);
  return result.rows.map((row) => row.line);
}
