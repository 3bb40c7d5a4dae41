/**
 * Shared helpers of the serve tests: JSON requests against a running router, and a policy version
 * promoted through the store API (a trained engine's snapshot, recorded exploration).
 */
import { createLinUCB } from "../../src/engine/linucb.js";
import type { Exploration } from "../../src/engine/types.js";
import { validatePolicySnapshot } from "../../src/cadence/index.js";
import { promoteTrainingRun, startTrainingRun, StoreError, type Db, type Queryable } from "../../src/store/index.js";

/** Status and parsed JSON body of one request. */
export interface JsonReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** POSTs `body` (an object, or raw text) to `url` with the bearer token (unless null). */
export async function post(url: string, body: unknown, token: string | null = "secret"): Promise<JsonReply> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** GETs `url` as JSON. */
export async function get(url: string): Promise<JsonReply> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/**
 * Trains a small engine where `best` is clearly the best model for every context, stores its
 * snapshot as a policy version recording `exploration`, and activates it. Returns the version id.
 */
export async function promoteTrainedPolicy(
  db: Db,
  options: { arms: readonly string[]; dimension: number; best: string; exploration?: Exploration; seed?: number },
): Promise<number> {
  const engine = await createLinUCB({
    dimension: options.dimension,
    arms: [...options.arms],
    alpha: 0.1,
    seed: options.seed ?? 1,
  });
  const context = new Float64Array(options.dimension).fill(1);
  for (let i = 0; i < 50; i++) {
    for (const arm of options.arms) engine.update("code:hard", arm, context, arm === options.best ? 1 : 0);
  }
  const run = await startTrainingRun(db, { cadence: "prod", seed: 1 });
  const parameters = options.exploration === undefined ? {} : { exploration: options.exploration };
  const finish = { rowsRead: 50 * options.arms.length, rowsRejected: 0, cells: 1 };
  const promotion = await promoteTrainingRun(db, {
    trainingRunId: run.id,
    snapshot: engine.snapshot(),
    parameters,
    finish,
    validateSnapshot: validatePolicySnapshot,
  });
  return promotion.version.id;
}

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return condition();
}

/**
 * A Db whose statements fail with a connection error while `down` is true (as when PostgreSQL is
 * stopped), and pass through to `db` otherwise.
 */
export function switchableDb(db: Db): { readonly db: Db; setDown(down: boolean): void } {
  let down = false;
  const check = (): void => {
    if (down)
      throw new StoreError(
        "CONNECTION",
        "cannot connect to PostgreSQL at test: connect ECONNREFUSED (simulated outage)",
      );
  };
  const proxy = new Proxy(db, {
    get(target, key) {
      if (key === "query")
        return async (sql: string, params?: readonly unknown[]) => (check(), target.query(sql, params));
      if (key === "exec") return async (sql: string) => (check(), target.exec(sql));
      if (key === "copyInBinary" && target.copyInBinary !== undefined)
        return async (copyTarget: string, rows: Buffer) => (check(), target.copyInBinary!(copyTarget, rows));
      if (key === "transaction")
        return async (fn: (tx: Queryable) => Promise<unknown>) => (check(), target.transaction(fn));
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db: proxy, setDown: (value) => void (down = value) };
}
