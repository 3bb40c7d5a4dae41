// The coordinator's merge of shard results: what it refuses before touching anything, and a
// shard's read with more rejected ids than a spread call can take.
import { describe, expect, it } from "vitest";
import { IntegrityCollector } from "../../src/cadence/integrity.js";
import { mergeShardStatistics } from "../../src/scale/merge-shards.js";
import type { ShardResult } from "../../src/scale/shard-work.js";

/** A shard result with no cells: only its index matters to the checks under test. */
function emptyShard(index: number): ShardResult {
  return { index, statistics: { cells: [] } } as unknown as ShardResult;
}

describe("merging shard results", () => {
  it("refuses results that are not shards 0 … n − 1 once each, naming the indices received", () => {
    expect(mergeShardStatistics([emptyShard(1), emptyShard(0)])).toBeNull();
    expect(() => mergeShardStatistics([emptyShard(0), emptyShard(0)])).toThrow(
      /shard results must be shards 0 … 1 once each; received indices 0, 0/,
    );
    expect(() => mergeShardStatistics([emptyShard(0), emptyShard(2)])).toThrow(/received indices 0, 2/);
  });

  it("adds a shard's read with 200,000 rejected ids (a spread of them overflows the stack)", () => {
    const shard = new IntegrityCollector();
    const rejectedIds = Array.from({ length: 200_000 }, (_, i) => i + 1);
    shard.addRead({ firstId: 1, lastId: 200_000, rejectedIds, accepted: 0 } as IntegrityCollector["read"]);
    const coordinator = new IntegrityCollector();
    coordinator.addRead(shard.read);
    expect(coordinator.read.rejectedIds).toHaveLength(200_000);
    expect(coordinator.read.rejectedIds[199_999]).toBe(200_000);
  });
});
