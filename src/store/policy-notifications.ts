/**
 * How a server learns that the active policy changed. activatePolicyVersion sends
 * `NOTIFY linucb_active_policy` inside the promotion's transaction (delivered on commit, never for
 * a rolled-back promotion); {@link listenForActivations} keeps a dedicated `pg` connection
 * LISTENing on PostgreSQL, reconnecting after errors. The embedded store has no second process to
 * hear from (its folder is locked by one process at a time), so servers poll
 * `readActivePolicyVersionId` (policy-versions.ts) — cheap, one row — on both back ends, which also
 * covers notifications missed while the listening connection was down.
 */
import type pg from "pg";

/** The channel activatePolicyVersion notifies on; the payload is the new version id. */
export const ACTIVE_POLICY_CHANNEL = "linucb_active_policy";

/** A running LISTEN; `close()` ends it. */
export interface ActivationListener {
  close(): Promise<void>;
}

/**
 * LISTENs on {@link ACTIVE_POLICY_CHANNEL} at `url`. `onActivation` is called for each notification
 * and after each (re)connection (a promotion may have happened while disconnected); `onError`
 * hears about lost connections, which are retried every `retryMs`.
 */
export function listenForActivations(
  url: string,
  onActivation: () => void,
  onError: (message: string) => void,
  retryMs = 1000,
): ActivationListener {
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | null = null;

  const reconnectLater = (message: string): void => {
    if (closed || retry !== null) return;
    onError(`listening for policy activations: ${message}; retrying every ${retryMs} ms (polling continues meanwhile)`);
    retry = setTimeout(() => {
      retry = null;
      void connect();
    }, retryMs);
  };

  const connect = async (): Promise<void> => {
    // Loaded on use: `pg` is an optional peer dependency (an embedded-only install has none).
    const { default: driver } = await import("pg");
    const next = new driver.Client({ connectionString: url });
    next.on("error", (error) => {
      next.end().catch(() => undefined);
      if (client === next) client = null;
      reconnectLater(error.message);
    });
    next.on("notification", () => onActivation());
    try {
      await next.connect();
      await next.query(`LISTEN ${ACTIVE_POLICY_CHANNEL}`);
    } catch (error) {
      next.end().catch(() => undefined);
      reconnectLater((error as Error).message);
      return;
    }
    if (closed) {
      await next.end().catch(() => undefined);
      return;
    }
    client = next;
    onActivation();
  };

  void connect();
  return {
    async close() {
      closed = true;
      if (retry !== null) clearTimeout(retry);
      const current = client;
      client = null;
      await current?.end().catch(() => undefined);
    },
  };
}
