/**
 * The snapshot format: a versioned, checksummed, little-endian binary image of an engine.
 *
 *   offset  size  field
 *   0       8     magic "LINUCB\0\x01"
 *   8       4     u32 total length in bytes, checksum included
 *   12      2     u16 format version (1)
 *   14      2     u16 kernel ABI version the state was written under
 *   16      4     u32 flags: bit 0 = statistics kept, bit 1 = pooling, bit 2 = shrinkage 'auto' (format 2)
 *   20      4     u32 dimension d
 *   24      4     u32 arm count K
 *   28      4     u32 cell count C
 *   32      8     f64 alpha
 *   40      8     f64 lambda (with shrinkage 'auto': the strength in effect when written)
 *   48      8     f64 discount
 *   56      4     u32 intercept index
 *   60      4     u32 exploration kind: 0 ucb, 1 epsilon, 2 softmax
 *   64      8     f64 exploration parameter (ε or temperature; 0 for ucb)
 *   72      4     u32 seed
 *   76      16    u32 × 4 random stream state (xoshiro128**)
 *   92      8     f64 ridge of the pooled fits
 *   100     …     strings: K arm ids, then C cell ids, each u32 byte length + UTF-8 bytes
 *   …       pad   zero bytes to a multiple of 8
 *   …       8·K·d       f64 configured prior means θ₀, arm by arm
 *   …       8·K·d       f64 prior means in effect (equal to the above unless pooling), arm by arm
 *   …       per model (cell-major, then arm), f64:
 *                 A⁻¹ packed upper triangle d(d+1)/2, θ d, b d, n, w,
 *                 and when statistics are kept: Σxxᵀ packed upper d(d+1)/2, Σrx d
 *   end−4   4     u32 CRC-32 (IEEE) of every byte before it
 *
 * The state is written in the dimension d, not the kernel's padded layout, so a snapshot does not
 * depend on the build that wrote it. Doubles are copied bit for bit: a round trip is exact, and
 * the same engine state always gives the same bytes (there are no timestamps). The CRC and the
 * length field are fixed for all format versions, so corruption is told apart from a new version.
 */
import { crc32 } from "./crc32.js";
import { LinUCBError } from "./errors.js";
import { kernelAbiVersion } from "./kernel.js";
import { creationOptions, resolveOptions } from "./options.js";
import { checkSnapshotContents } from "./snapshot-checks.js";
import { packedLength } from "./statistics.js";
import type { Exploration, ResolvedOptions } from "./types.js";

/**
 * Format version written by this build: 2 when the engine estimates its shrinkage (flag bit 2),
 * else 1, so that a build that predates the flag refuses the snapshot as a new version.
 */
export const snapshotFormatVersion = 2;
/** Format versions this build reads. */
const readableFormats = [1, 2];
const shrinkageFlag = 4;
/** Kernel ABI version the state was produced under (see assembly/index.ts). */
export const snapshotAbiVersion = kernelAbiVersion;
/**
 * Kernel ABI versions whose state this build reads. ABI 4 added the overflow guard and the prior
 * floor (assembly/guard.ts, assembly/refresh.ts); the stored state means the same under 3, and a
 * restored model whose prior weight is below the floor is refreshed.
 */
const readableAbiVersions: readonly number[] = [3, snapshotAbiVersion];

const magic = [0x4c, 0x49, 0x4e, 0x55, 0x43, 0x42, 0x00, 0x01]; // "LINUCB\0\x01"
const fixedHeaderBytes = 100;

/** One model's state as a snapshot stores it. */
export interface ModelRecord {
  /** A⁻¹, packed upper triangle. */
  readonly inverse: Float64Array;
  readonly theta: Float64Array;
  readonly b: Float64Array;
  readonly count: number;
  readonly priorWeight: number;
  /** Σxxᵀ packed upper triangle, when statistics are kept. */
  readonly xx?: Float64Array;
  /** Σrx, when statistics are kept. */
  readonly xr?: Float64Array;
}

/** What the encoder needs from an engine. */
export interface SnapshotSource {
  readonly options: ResolvedOptions;
  readonly cells: readonly string[];
  readonly randomState: readonly number[];
  /** Prior mean in effect per arm (pooled or configured). */
  readonly effectivePriors: readonly Float64Array[];
  /** The per-cell ridge in effect (written as `lambda`); defaults to `options.lambda`. */
  readonly strength?: number;
  readModel(cell: number, arm: number): ModelRecord;
}

/** A decoded snapshot: options (build left to the caller), cells, stream state and model records. */
export interface DecodedSnapshot {
  readonly options: Omit<ResolvedOptions, "build">;
  readonly cells: readonly string[];
  readonly randomState: readonly number[];
  readonly effectivePriors: readonly Float64Array[];
  record(cell: number, arm: number): ModelRecord;
}

function explorationCode(exploration: Exploration): [number, number] {
  if (exploration === "ucb") return [0, 0];
  if ("epsilon" in exploration) return [1, exploration.epsilon];
  return [2, exploration.softmax];
}

function modelValues(d: number, statistics: boolean): number {
  const p = packedLength(d);
  return p + 2 * d + 2 + (statistics ? p + d : 0);
}

/** Serialises an engine's state. */
export function encodeSnapshot(source: SnapshotSource): Uint8Array {
  const { options, cells } = source;
  const d = options.dimension;
  const k = options.arms.length;
  const encoder = new TextEncoder();
  const strings = [...options.arms, ...cells].map((s) => encoder.encode(s));
  let stringBytes = 0;
  for (const s of strings) stringBytes += 4 + s.length;
  const bodyStart = Math.ceil((fixedHeaderBytes + stringBytes) / 8) * 8;
  const perModel = modelValues(d, options.statistics);
  const doubles = 2 * k * d + cells.length * k * perModel;
  const total = bodyStart + doubles * 8 + 4;
  if (total > 0xffffffff) {
    throw new LinUCBError(
      "CAPACITY_EXCEEDED",
      `the snapshot would be ${total} bytes, beyond the format's 4 GiB limit: snapshot shards separately`,
      { bytes: total },
    );
  }

  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  bytes.set(magic, 0);
  view.setUint32(8, total, true);
  const autoShrinkage = options.pooling && options.shrinkage === "auto";
  view.setUint16(12, autoShrinkage ? snapshotFormatVersion : 1, true);
  view.setUint16(14, snapshotAbiVersion, true);
  view.setUint32(
    16,
    (options.statistics ? 1 : 0) | (options.pooling ? 2 : 0) | (autoShrinkage ? shrinkageFlag : 0),
    true,
  );
  view.setUint32(20, d, true);
  view.setUint32(24, k, true);
  view.setUint32(28, cells.length, true);
  view.setFloat64(32, options.alpha, true);
  view.setFloat64(40, source.strength ?? options.lambda, true);
  view.setFloat64(48, options.discount, true);
  view.setUint32(56, options.interceptIndex, true);
  const [kind, parameter] = explorationCode(options.exploration);
  view.setUint32(60, kind, true);
  view.setFloat64(64, parameter, true);
  view.setUint32(72, options.seed, true);
  source.randomState.forEach((word, i) => view.setUint32(76 + 4 * i, word, true));
  view.setFloat64(92, options.poolingRidge, true);
  let offset = fixedHeaderBytes;
  for (const s of strings) {
    view.setUint32(offset, s.length, true);
    bytes.set(s, offset + 4);
    offset += 4 + s.length;
  }

  offset = bodyStart;
  const put = (values: ArrayLike<number>): void => {
    for (let i = 0; i < values.length; i++, offset += 8) view.setFloat64(offset, values[i]!, true);
  };
  for (const mean of options.priorMeans) put(mean);
  for (const mean of source.effectivePriors) put(mean);
  for (let c = 0; c < cells.length; c++) {
    for (let a = 0; a < k; a++) {
      const record = source.readModel(c, a);
      put(record.inverse);
      put(record.theta);
      put(record.b);
      put([record.count, record.priorWeight]);
      if (options.statistics) {
        put(record.xx!);
        put(record.xr!);
      }
    }
  }
  view.setUint32(total - 4, crc32(bytes.subarray(0, total - 4)), true);
  return bytes;
}

function corrupted(message: string): never {
  throw new LinUCBError("SNAPSHOT_CORRUPTED", `snapshot is corrupted: ${message}`);
}

/**
 * Parses and verifies a snapshot: structure, checksum, version, then every value (options, cell
 * ids, models: ./snapshot-checks.ts). Throws LinUCBError SNAPSHOT_FOREIGN (not a snapshot),
 * SNAPSHOT_TRUNCATED (cut short), SNAPSHOT_CORRUPTED (checksum or content), SNAPSHOT_VERSION.
 */
export function decodeSnapshot(input: Uint8Array): DecodedSnapshot {
  if (!(input instanceof Uint8Array)) {
    throw new TypeError(
      `\`bytes\` must be a Uint8Array from snapshot(); received ${input === null ? "null" : typeof input}`,
    );
  }
  const bytes = input;
  if (bytes.length < magic.length || magic.some((byte, i) => bytes[i] !== byte)) {
    if (bytes.length < magic.length && magic.slice(0, bytes.length).every((byte, i) => bytes[i] === byte)) {
      throw new LinUCBError(
        "SNAPSHOT_TRUNCATED",
        `snapshot is truncated: ${bytes.length} bytes, shorter than its header`,
      );
    }
    throw new LinUCBError("SNAPSHOT_FOREIGN", "bytes are not a linucb snapshot (wrong magic number)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 16)
    throw new LinUCBError(
      "SNAPSHOT_TRUNCATED",
      `snapshot is truncated: ${bytes.length} bytes, shorter than its header`,
    );
  const total = view.getUint32(8, true);
  if (bytes.length < total) {
    throw new LinUCBError("SNAPSHOT_TRUNCATED", `snapshot is truncated: ${bytes.length} of ${total} bytes`, {
      length: bytes.length,
      expected: total,
    });
  }
  if (bytes.length > total) corrupted(`${bytes.length} bytes where the header says ${total}`);
  if (total < fixedHeaderBytes + 4) corrupted(`declared length ${total} is shorter than the header`);
  const stored = view.getUint32(total - 4, true);
  const actual = crc32(bytes.subarray(0, total - 4));
  if (stored !== actual) corrupted(`checksum ${actual.toString(16)} does not match the stored ${stored.toString(16)}`);

  const format = view.getUint16(12, true);
  const abi = view.getUint16(14, true);
  if (!readableFormats.includes(format) || !readableAbiVersions.includes(abi)) {
    throw new LinUCBError(
      "SNAPSHOT_VERSION",
      `snapshot format ${format} / kernel ABI ${abi} cannot be read by this build (format ${snapshotFormatVersion} ` +
        `/ ABI ${snapshotAbiVersion})`,
      { format, abi },
    );
  }

  const flags = view.getUint32(16, true);
  const statistics = (flags & 1) === 1;
  const pooling = (flags & 2) === 2;
  const autoShrinkage = (flags & shrinkageFlag) !== 0;
  if (flags > 7 || (pooling && !statistics) || (autoShrinkage && (!pooling || format < 2)))
    corrupted(`impossible flags ${flags}`);
  const d = view.getUint32(20, true);
  const k = view.getUint32(24, true);
  const cellCount = view.getUint32(28, true);
  const alpha = view.getFloat64(32, true);
  const lambda = view.getFloat64(40, true);
  const discount = view.getFloat64(48, true);
  const interceptIndex = view.getUint32(56, true);
  const kind = view.getUint32(60, true);
  const parameter = view.getFloat64(64, true);
  const seed = view.getUint32(72, true);
  const randomState = [0, 1, 2, 3].map((i) => view.getUint32(76 + 4 * i, true));
  const poolingRidge = view.getFloat64(92, true);
  if (d < 1 || k < 1 || kind > 2) corrupted(`impossible header (dimension ${d}, arms ${k}, exploration ${kind})`);
  const exploration: Exploration = kind === 0 ? "ucb" : kind === 1 ? { epsilon: parameter } : { softmax: parameter };

  const decoder = new TextDecoder("utf-8", { fatal: true });
  const strings: string[] = [];
  let offset = fixedHeaderBytes;
  for (let i = 0; i < k + cellCount; i++) {
    if (offset + 4 > total - 4) corrupted("string table runs past the end");
    const length = view.getUint32(offset, true);
    if (offset + 4 + length > total - 4) corrupted("string table runs past the end");
    try {
      strings.push(decoder.decode(bytes.subarray(offset + 4, offset + 4 + length)));
    } catch {
      corrupted(`string ${i} is not valid UTF-8`);
    }
    offset += 4 + length;
  }
  const arms = strings.slice(0, k);
  const cells = strings.slice(k);
  const bodyStart = Math.ceil(offset / 8) * 8;
  const perModel = modelValues(d, statistics);
  if (bodyStart + (2 * k * d + cellCount * k * perModel) * 8 + 4 !== total)
    corrupted("body length does not match the header");

  const read = (at: number, count: number): Float64Array => {
    const values = new Float64Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getFloat64(at + 8 * i, true);
    return values;
  };
  const priorMeans = arms.map((_, a) => read(bodyStart + 8 * a * d, d));
  const effectivePriors = arms.map((_, a) => read(bodyStart + 8 * (k + a) * d, d));
  const modelsStart = bodyStart + 16 * k * d;
  const p = packedLength(d);
  const decoded: DecodedSnapshot = {
    options: {
      dimension: d,
      arms,
      alpha,
      lambda,
      discount,
      priorMeans,
      interceptIndex,
      exploration,
      seed,
      statistics,
      pooling,
      poolingRidge,
      shrinkage: autoShrinkage ? "auto" : "fixed",
    },
    cells,
    randomState,
    effectivePriors,
    record(cell: number, arm: number): ModelRecord {
      let at = modelsStart + 8 * (cell * k + arm) * perModel;
      const take = (count: number): Float64Array => {
        const values = read(at, count);
        at += 8 * count;
        return values;
      };
      const inverse = take(p);
      const theta = take(d);
      const b = take(d);
      const [count, priorWeight] = take(2);
      const record: ModelRecord = statistics
        ? { inverse, theta, b, count: count!, priorWeight: priorWeight!, xx: take(p), xr: take(d) }
        : { inverse, theta, b, count: count!, priorWeight: priorWeight! };
      return record;
    },
  };
  checkHeaderOptions(decoded.options);
  checkSnapshotContents(decoded);
  return decoded;
}

/** The options in a header must be ones `createLinUCB` accepts; anything else is corruption. */
function checkHeaderOptions(options: DecodedSnapshot["options"]): void {
  try {
    resolveOptions(creationOptions(options));
  } catch (error) {
    corrupted(`its options are invalid: ${(error as Error).message}`);
  }
}
