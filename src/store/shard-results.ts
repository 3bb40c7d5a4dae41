/**
 * The shard results of a distributed refit (table refit_shard_results, migration 010): written by
 * the queue worker that read the shard, read and deleted by the coordinator. The statistics are
 * opaque bytes here (the store never imports the engine); the summary is JSON.
 */
import type { Queryable } from "./db.js";
import type { JsonObject } from "./training-runs.js";

/** One shard's stored result. */
export interface StoredShardResult {
  readonly batchId: string;
  readonly shardIndex: number;
  readonly statistics: Uint8Array;
  readonly summary: JsonObject;
  /** Who wrote it (host and process id), for messages. */
  readonly worker: string;
}

/**
 * Writes (or, from a retried job, rewrites: the same shard gives the same result) one shard's
 * result.
 */
export async function writeShardResult(q: Queryable, result: StoredShardResult): Promise<void> {
  await q.query(
    `INSERT INTO refit_shard_results (batch_id, shard_index, statistics, summary, worker)
     VALUES ($1::uuid, $2, $3, $4::text::jsonb, $5)
     ON CONFLICT (batch_id, shard_index)
     DO UPDATE SET statistics = EXCLUDED.statistics, summary = EXCLUDED.summary, ` +
      `worker = EXCLUDED.worker, created_at = now()`,
    [result.batchId, result.shardIndex, result.statistics, JSON.stringify(result.summary), result.worker],
  );
}

/** The shards of a batch that have a result, with the rows each scanned (its summary's `totals.scanned`). */
export async function finishedShards(
  q: Queryable,
  batchId: string,
): Promise<{ readonly shardIndex: number; readonly scanned: number }[]> {
  const { rows } = await q.query<{ shard_index: number; scanned: number | null }>(
    `SELECT shard_index, (summary -> 'totals' ->> 'scanned')::int8 AS scanned
     FROM refit_shard_results WHERE batch_id = $1::uuid ORDER BY shard_index`,
    [batchId],
  );
  return rows.map((row) => ({ shardIndex: row.shard_index, scanned: row.scanned ?? 0 }));
}

/** Every result of a batch, in shard order. */
export async function readShardResults(q: Queryable, batchId: string): Promise<StoredShardResult[]> {
  const { rows } = await q.query<{
    shard_index: number;
    statistics: Uint8Array;
    summary: JsonObject;
    worker: string;
  }>(
    "SELECT shard_index, statistics, summary, worker FROM refit_shard_results " +
      "WHERE batch_id = $1::uuid ORDER BY shard_index",
    [batchId],
  );
  return rows.map((row) => ({
    batchId,
    shardIndex: row.shard_index,
    statistics: row.statistics,
    summary: row.summary,
    worker: row.worker,
  }));
}

/** Deletes a batch's results (merged, or the run failed). */
export async function deleteShardResults(q: Queryable, batchId: string): Promise<void> {
  await q.query("DELETE FROM refit_shard_results WHERE batch_id = $1::uuid", [batchId]);
}

/**
 * Deletes results older than `seconds` of any batch: the leftovers of shards that finished after
 * their batch was closed (a job taken for dead and retried while its first run was still going).
 */
export async function deleteStaleShardResults(q: Queryable, seconds: number): Promise<number> {
  const { rowCount } = await q.query(
    "DELETE FROM refit_shard_results WHERE created_at < now() - make_interval(secs => $1)",
    [seconds],
  );
  return rowCount;
}
