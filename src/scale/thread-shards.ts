/**
 * Runs shard reads on worker threads (node:worker_threads: no dependency, and one thread per shard
 * is all a refit needs — a pool library such as piscina would add queueing we do not use). Each
 * thread opens its own connection and engine (./shard-thread.ts). The first failure — a shard's
 * error, a thread that dies — terminates every other thread and rejects: no shard result is
 * returned, so nothing is merged, and no thread is left running.
 */
import { Worker } from "node:worker_threads";
import type { ShardRequest, ShardResult } from "./shard-work.js";

/** What a shard thread posts. */
export type ThreadMessage =
  | { readonly kind: "progress"; readonly scanned: number }
  | { readonly kind: "done"; readonly result: ShardResult }
  | { readonly kind: "failed"; readonly message: string };

/**
 * The compiled thread entry. Under a TypeScript test runner this module is src/scale/*.ts, which
 * a worker thread cannot load: the thread then runs the build (dist/, made by `npm run build`).
 */
function threadScript(): URL {
  return import.meta.url.endsWith(".ts")
    ? new URL("../../dist/src/scale/shard-thread.js", import.meta.url)
    : new URL("./shard-thread.js", import.meta.url);
}

/**
 * Reads every request on its own worker thread, connecting with `databaseUrl`. `onProgress`
 * receives the rows scanned so far by all threads together. Resolves to the results in request
 * order, or rejects on the first failure (naming the shard) after terminating every thread.
 */
export async function runShardsOnThreads(
  requests: readonly ShardRequest[],
  databaseUrl: string,
  onProgress: (scanned: number) => void = () => undefined,
): Promise<ShardResult[]> {
  const scanned = new Array<number>(requests.length).fill(0);
  const workers: Worker[] = [];
  try {
    const results = requests.map((request, i) => {
      const worker = new Worker(threadScript(), { workerData: { databaseUrl, request } });
      workers.push(worker);
      return new Promise<ShardResult>((resolve, reject) => {
        const describe = `shard ${request.shard.index} (ids ${request.shard.afterId + 1}–${request.shard.throughId})`;
        worker.on("message", (message: ThreadMessage) => {
          if (message.kind === "progress") {
            scanned[i] = message.scanned;
            onProgress(scanned.reduce((a, b) => a + b, 0));
          } else if (message.kind === "done") resolve(message.result);
          else reject(new Error(`${describe} failed: ${message.message}`));
        });
        worker.on("error", (error) => reject(new Error(`${describe} failed: ${error.message}`, { cause: error })));
        worker.on("exit", (code) =>
          reject(new Error(`${describe}: its thread exited (code ${code}) without a result`)),
        );
      });
    });
    return await Promise.all(results);
  } finally {
    // On success every thread has posted its result and is exiting; on failure the others stop here.
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
