/**
 * Shard results as bytes and JSON, for the job queue's results table: the statistics' arrays as
 * raw little-endian float64 (exact: no decimal round trip) behind a JSON header, the rest (totals,
 * integrity record, coverage sums) as JSON. Decoding checks the lengths; the engine checks the
 * rest when the statistics are merged.
 */
import type { LinUCBStatistics } from "../engine/types.js";
import type { JsonObject } from "../store/index.js";
import type { ShardResult } from "./shard-work.js";

interface Header {
  readonly dimension: number;
  readonly arms: readonly string[];
  readonly discount: number;
  readonly cells: readonly string[];
  /** Lengths of xx, xr, counts, priorWeights, yy (-1: no yy), in that order. */
  readonly lengths: readonly number[];
}

const ARRAYS = ["xx", "xr", "counts", "priorWeights", "yy"] as const;

/** Statistics → bytes: 4-byte header length, the JSON header, padding to 8, then the arrays. */
export function encodeStatistics(stats: LinUCBStatistics): Uint8Array {
  const arrays = ARRAYS.map((name) => stats[name]);
  const header: Header = {
    dimension: stats.dimension,
    arms: stats.arms,
    discount: stats.discount,
    cells: stats.cells,
    lengths: arrays.map((array) => (array === undefined ? -1 : array.length)),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((4 + json.length) / 8) * 8;
  const values = arrays.reduce((sum, array) => sum + (array?.length ?? 0), 0);
  const bytes = new Uint8Array(start + values * 8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, json.length, true);
  bytes.set(json, 4);
  let offset = start;
  for (const array of arrays) {
    for (const value of array ?? []) {
      view.setFloat64(offset, value, true);
      offset += 8;
    }
  }
  return bytes;
}

/** Bytes from {@link encodeStatistics} → statistics. */
export function decodeStatistics(bytes: Uint8Array): LinUCBStatistics {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + jsonLength))) as Header;
  let offset = Math.ceil((4 + jsonLength) / 8) * 8;
  const expected = offset + header.lengths.reduce((sum, n) => sum + Math.max(n, 0), 0) * 8;
  if (expected !== bytes.byteLength) {
    throw new RangeError(`encoded statistics hold ${bytes.byteLength} bytes; their header describes ${expected}`);
  }
  const arrays = header.lengths.map((length) => {
    if (length < 0) return undefined;
    const array = new Float64Array(length);
    for (let i = 0; i < length; i++, offset += 8) array[i] = view.getFloat64(offset, true);
    return array;
  });
  const [xx, xr, counts, priorWeights, yy] = arrays as Float64Array[];
  return {
    dimension: header.dimension,
    arms: header.arms,
    discount: header.discount,
    cells: header.cells,
    xx: xx!,
    xr: xr!,
    counts: counts!,
    priorWeights: priorWeights!,
    ...(yy === undefined ? {} : { yy }),
  };
}

/** A shard result's parts other than the statistics, as JSON. */
export function shardSummary(result: ShardResult): JsonObject {
  return {
    index: result.index,
    totals: result.totals,
    integrity: result.integrity,
    coverage: result.coverage,
  } as unknown as JsonObject;
}

/** A shard result from its stored parts. */
export function shardResultFrom(statistics: Uint8Array, summary: JsonObject): ShardResult {
  const parts = summary as unknown as Omit<ShardResult, "statistics">;
  return {
    index: parts.index,
    totals: parts.totals,
    integrity: parts.integrity,
    coverage: parts.coverage,
    statistics: decodeStatistics(statistics),
  };
}
