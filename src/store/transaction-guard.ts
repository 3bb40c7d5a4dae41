/**
 * Detects the outer database handle being used inside its own `transaction()` callback. On PGlite
 * that call waits for the transaction to end, which waits for the callback: it hangs forever. On
 * PostgreSQL it silently runs outside the transaction. Either way it is a bug, so both back ends
 * throw at once instead, naming the fix.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { StoreError } from "./errors.js";

/** The handles whose transaction callback is running in the current async context. */
const insideTransactionOf = new AsyncLocalStorage<ReadonlySet<object>>();
/** Transaction callbacks running now, in any context. */
let running = 0;

/**
 * Runs `fn` marked as inside a transaction of `owner`. The storage is switched off again when no
 * transaction runs: on Node 20 an enabled AsyncLocalStorage hooks every promise and async resource
 * the process makes, which cost `linucb serve` ~5 µs of CPU per request (13%) although it
 * runs a transaction only when it reloads a policy. Nothing is lost: outside every transaction the
 * answer is "not inside one" for every context.
 */
export async function runInsideTransaction<T>(owner: object, fn: () => Promise<T>): Promise<T> {
  const outer = insideTransactionOf.getStore();
  const owners = new Set(outer ?? []);
  owners.add(owner);
  running++;
  try {
    return await insideTransactionOf.run(owners, fn);
  } finally {
    if (--running === 0) insideTransactionOf.disable();
  }
}

/** Throws StoreError `MISUSE` when called from inside a transaction callback of `owner`. */
export function assertOutsideTransaction(owner: object, method: string): void {
  if (insideTransactionOf.getStore()?.has(owner) === true) {
    throw new StoreError(
      "MISUSE",
      `db.${method}() was called inside db.transaction(); use the \`tx\` argument of the callback instead (on ` +
        `PGlite the outer handle would wait for the transaction forever)`,
    );
  }
}
