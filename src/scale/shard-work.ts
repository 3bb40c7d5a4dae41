/**
 * One shard of a sharded refit: read one id range of the corpus (with the single reader's filters:
 * the table's source filter, the split side, the row bounds) into a fresh engine's sufficient
 * statistics, and hand back everything the coordinator merges — the statistics, the read's totals
 * (rejections by reason, unjudged rows), the integrity record and the coverage sums. The same
 * function runs in a worker thread (./shard-thread.ts) and in a queue worker process
 * (./queue-worker.ts); its request and result are plain data, so they cross either boundary.
 */
import { IntegrityCollector } from "../cadence/integrity.js";
import { CoverageCollector, type CoverageSumsByCell } from "../cadence/coverage.js";
import { createLinUCB } from "../engine/linucb.js";
import type { LinUCBStatistics } from "../engine/types.js";
import {
  readCorpus,
  type CorpusReadTotals,
  type CorpusShard,
  type CorpusSplitSide,
  type CorpusTable,
  type Db,
  type RowBounds,
} from "../store/index.js";

/** What a shard reads and into which shape of statistics. Plain data (JSON-able). */
export interface ShardRequest {
  readonly table: CorpusTable;
  readonly dimension: number;
  /** The refit engine's arms, in its order (the statistics must match it). */
  readonly arms: readonly string[];
  /** The refit engine's discount (1: the only one whose shards merge exactly). */
  readonly discount: number;
  readonly chunkSize: number;
  readonly split?: CorpusSplitSide;
  readonly bounds: RowBounds;
  readonly shard: CorpusShard;
}

/** What a shard read: merged by ./merge-shards.ts in shard order. */
export interface ShardResult {
  readonly index: number;
  readonly statistics: LinUCBStatistics;
  readonly totals: CorpusReadTotals;
  readonly integrity: IntegrityCollector["read"];
  readonly coverage: CoverageSumsByCell;
}

/**
 * Reads `request.shard` of the corpus from `db` into a fresh engine (statistics only: accumulate,
 * never finalize) and returns the shard's result. `onScanned` is called after each chunk with the
 * rows scanned so far.
 */
export async function accumulateShard(
  db: Db,
  request: ShardRequest,
  onScanned: (scanned: number) => void = () => undefined,
): Promise<ShardResult> {
  const engine = await createLinUCB({
    dimension: request.dimension,
    arms: request.arms,
    discount: request.discount,
    statistics: true,
  });
  const integrity = new IntegrityCollector();
  const coverage = new CoverageCollector(request.arms);
  const reader = readCorpus(db, {
    table: request.table,
    dimension: request.dimension,
    chunkSize: request.chunkSize,
    afterId: request.shard.afterId,
    throughId: request.shard.throughId,
    bounds: request.bounds,
    ...(request.split === undefined ? {} : { split: request.split }),
  });
  for await (const chunk of reader) {
    if (chunk.length > 0) engine.accumulate(chunk);
    integrity.add(chunk);
    coverage.add(chunk);
    onScanned(reader.totals.scanned);
  }
  return {
    index: request.shard.index,
    statistics: engine.exportStatistics(),
    totals: reader.totals,
    integrity: integrity.read,
    coverage: coverage.sums(),
  };
}
