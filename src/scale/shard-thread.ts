/**
 * The entry of a shard's worker thread: its own database connection (from the URL it is given:
 * a pg connection is never shared between threads) and its own engine (a kernel instance of its
 * own), one shard read into statistics, the result posted back with its arrays transferred (not
 * copied). Errors are posted as messages, so the coordinator reports the shard's own message.
 */
import { parentPort, workerData } from "node:worker_threads";
import { openDatabase } from "../store/index.js";
import { accumulateShard, type ShardRequest } from "./shard-work.js";
import type { ThreadMessage } from "./thread-shards.js";

interface ShardThreadData {
  readonly databaseUrl: string;
  readonly request: ShardRequest;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error("shard-thread.js runs only as a worker thread");
  const { databaseUrl, request } = workerData as ShardThreadData;
  const post = (message: ThreadMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
  try {
    const db = await openDatabase({ databaseUrl, onWarning: () => undefined });
    try {
      const result = await accumulateShard(db, request, (scanned) => post({ kind: "progress", scanned }));
      const s = result.statistics;
      const arrays = [s.xx, s.xr, s.counts, s.priorWeights, ...(s.yy === undefined ? [] : [s.yy])];
      post(
        { kind: "done", result },
        arrays.map((array) => array.buffer as ArrayBuffer),
      );
    } finally {
      await db.close();
    }
  } catch (error) {
    post({ kind: "failed", message: error instanceof Error ? error.message : String(error) });
  }
}

await main();
