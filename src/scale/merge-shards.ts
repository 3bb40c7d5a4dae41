/**
 * The coordinator's merge of shard results: statistics added in shard order (the engine's exact
 * merge, src/engine/statistics.ts addStatistics), read totals summed (rejections by reason
 * included), then applied to the refit engine and the run's collectors in one step at the end —
 * so a failed shard leaves the engine and the collectors as they were.
 *
 * Why shard order: sums of floating-point numbers depend on their order; adding the shards' sums
 * in id order keeps the cells' first-seen order (the engine's and the coverage table's) equal to a
 * single read's, and the merged statistics within a few ulps of it (tested to 1e-12).
 */
import type { CoverageCollector } from "../cadence/coverage.js";
import type { IntegrityCollector } from "../cadence/integrity.js";
import { addStatistics } from "../engine/statistics.js";
import type { LinUCBEngine, LinUCBStatistics } from "../engine/types.js";
import { MAX_REJECTED_EXAMPLES, type CorpusReadTotals, type RejectedRow } from "../store/index.js";
import type { ShardResult } from "./shard-work.js";

/** The totals of a read split into shards, as one read's totals (`highWaterId`: the plan's). */
export function mergeShardTotals(
  results: readonly ShardResult[],
  highWaterId: number | null,
  afterId: number,
): CorpusReadTotals {
  const byReason: Record<string, number> = {};
  const examples: RejectedRow[] = [];
  let scanned = 0;
  let accepted = 0;
  let rejected = 0;
  let unjudged = 0;
  let chunks = 0;
  let lastId = afterId;
  for (const { totals } of inShardOrder(results)) {
    scanned += totals.scanned;
    accepted += totals.accepted;
    rejected += totals.rejected;
    unjudged += totals.unjudged;
    chunks += totals.chunks;
    lastId = Math.max(lastId, totals.lastId);
    for (const [reason, count] of Object.entries(totals.rejectedByReason)) {
      byReason[reason] = (byReason[reason] ?? 0) + count;
    }
    for (const row of totals.rejectedExamples) if (examples.length < MAX_REJECTED_EXAMPLES) examples.push(row);
  }
  return {
    scanned,
    accepted,
    rejected,
    unjudged,
    chunks,
    lastId,
    highWaterId,
    rejectedByReason: byReason,
    rejectedExamples: examples,
  };
}

/** The statistics of every shard added up, in shard order (null when no shard has any cell). */
export function mergeShardStatistics(results: readonly ShardResult[]): LinUCBStatistics | null {
  let merged: LinUCBStatistics | null = null;
  for (const { statistics } of inShardOrder(results)) {
    if (statistics.cells.length === 0) continue;
    merged = merged === null ? statistics : addStatistics(merged, statistics);
  }
  return merged;
}

/**
 * Applies the shards to the refit: their statistics into `engine` (one exact merge; the models
 * are refitted, as `mergeStatistics` does), their reads into the collectors.
 */
export function applyShards(
  results: readonly ShardResult[],
  engine: LinUCBEngine,
  collectors: { readonly integrity: IntegrityCollector; readonly coverage: CoverageCollector },
): void {
  const statistics = mergeShardStatistics(results);
  if (statistics !== null) engine.mergeStatistics(statistics);
  for (const result of inShardOrder(results)) {
    collectors.integrity.addRead(result.integrity);
    collectors.coverage.addSums(result.coverage);
  }
}

/**
 * The results sorted by shard index, checked to be shards 0 … n − 1 exactly once each: results
 * read back from the database (the queue path) could otherwise merge one shard twice and drop
 * another without any count changing.
 */
function inShardOrder(results: readonly ShardResult[]): ShardResult[] {
  const sorted = [...results].sort((a, b) => a.index - b.index);
  sorted.forEach((result, position) => {
    if (result.index !== position) {
      const indices = results.map((r) => r.index).join(", ");
      throw new RangeError(
        `shard results must be shards 0 … ${results.length - 1} once each; received indices ${indices}`,
      );
    }
  });
  return sorted;
}
