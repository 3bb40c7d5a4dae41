/**
 * Shared fixtures of the cadence tests: production-like rows drawn from a planted synthetic world
 * and inserted into routing_outcomes with a chosen source, a Db wrapper that fails one chosen
 * statement (failure injection without hooks in the code under test), and small store queries.
 */
import type { Db, Queryable, ReservedConnection } from "../../src/store/db.js";
import { generateOutcomes, generateWorld } from "../../src/synthetic/index.js";

/** The seed of the world that plays production traffic (distinct from the warm-up's 42). */
export const PROD_WORLD_SEED = 7;

/**
 * Inserts `n` outcomes of the seed's world into routing_outcomes with `source`. Rows keep their
 * generated created_at (14 days from 2025-01-01), shifted by `offsetDays`. `model` overrides the
 * model of every row (to mark rows that must never be read); `judged: false` leaves reward null.
 */
export async function insertOutcomes(
  db: Queryable,
  options: {
    n: number;
    seed?: number;
    source: "prod" | "synthetic" | "shadow";
    offsetDays?: number;
    model?: string;
    reward?: number;
    judged?: boolean;
  },
): Promise<void> {
  const world = generateWorld({ seed: options.seed ?? PROD_WORLD_SEED });
  const rows = generateOutcomes(world, { n: options.n, seed: options.seed ?? PROD_WORLD_SEED });
  const shift = (options.offsetDays ?? 0) * 86_400_000;
  const judged = options.judged ?? true;
  for (let start = 0; start < rows.length; start += 2000) {
    const batch = rows.slice(start, start + 2000);
    await db.query(
      `INSERT INTO routing_outcomes (created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused, judge_score, judge_model, reward, source)
       SELECT created_at, agent_id, cell, model, features::float8[], propensity, completed, hallucinated, refused,
              CASE WHEN $10 THEN reward END, CASE WHEN $10 THEN 'fixture' END, CASE WHEN $10 THEN reward END, $11
       FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::bool[], $8::bool[], $9::bool[], $12::float8[])
         AS input(created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused, reward)`,
      [
        batch.map((r) => new Date(r.createdAt.getTime() + shift).toISOString()),
        batch.map((r) => r.agentId),
        batch.map((r) => r.cell),
        batch.map((r) => options.model ?? r.model),
        batch.map((r) => `{${Array.from(r.features).join(",")}}`),
        batch.map((r) => r.propensity),
        batch.map((r) => r.completed),
        batch.map((r) => r.hallucinated),
        batch.map((r) => r.refused),
        judged,
        options.source,
        batch.map((r) => options.reward ?? r.reward),
      ],
    );
  }
}

/** One number from a query (counts, ids). */
export async function scalar(db: Queryable, sql: string, params: unknown[] = []): Promise<number | null> {
  const result = await db.query<{ value: number | null }>(sql, params);
  return result.rows[0]?.value ?? null;
}

/** The active policy version id, or null. */
export function activeVersion(db: Queryable): Promise<number | null> {
  return scalar(db, "SELECT policy_version_id AS value FROM active_policy");
}

/** Empties every table the cadence writes. */
export async function resetTables(db: Db): Promise<void> {
  await db.exec(
    "DELETE FROM active_policy; UPDATE training_runs SET policy_version_id = NULL; DELETE FROM policy_versions; DELETE FROM training_runs; TRUNCATE routing_outcomes, routing_outcomes_synthetic, judge_watermarks RESTART IDENTITY",
  );
}

/** Which statement a {@link failingDb} breaks: the first whose SQL matches, after `skip` matches. */
export interface Fault {
  readonly match: RegExp;
  /** Matching statements to let through before failing one. @default 0 */
  readonly skip?: number;
  readonly message?: string;
}

/**
 * A Db that behaves like `db` except that it throws on one statement (query, exec or COPY), also
 * inside transactions and on reserved connections: the failure a broken connection or a refused
 * statement would cause at that point.
 */
export function failingDb(db: Db, fault: Fault): Db & { readonly tripped: boolean } {
  let seen = 0;
  let tripped = false;
  const check = (sql: string): void => {
    if (tripped || !fault.match.test(sql)) return;
    if (seen++ < (fault.skip ?? 0)) return;
    tripped = true;
    throw new Error(fault.message ?? `injected failure on ${sql.slice(0, 60).replace(/\s+/g, " ")}`);
  };
  const wrap = <Q extends Queryable>(q: Q): Q =>
    new Proxy(q, {
      get(target, key) {
        if (key === "tripped") return tripped;
        if (key === "query")
          return async (sql: string, params?: readonly unknown[]) => (check(sql), target.query(sql, params));
        if (key === "exec") return async (sql: string) => (check(sql), target.exec(sql));
        if (key === "copyOutBinary") return async (select: string) => (check(select), target.copyOutBinary(select));
        if (key === "transaction")
          return (fn: (tx: Queryable) => Promise<unknown>) =>
            (target as unknown as Db).transaction((tx) => fn(wrap(tx)));
        if (key === "reserve") return async () => wrap(await (target as unknown as Db).reserve()) as ReservedConnection;
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  return wrap(db) as Db & { readonly tripped: boolean };
}
