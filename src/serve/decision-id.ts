/**
 * Decision ids: UUID version 7 (RFC 9562) — 48 bits of Unix milliseconds, then 74 random bits.
 * Still a UUID to the client (any version is accepted back), but time-ordered, so that the decision
 * log's primary key grows at its right edge: a random (version 4) key lands on a random leaf page of
 * an index far larger than memory after a day of decisions, and each such page costs a read and,
 * after every checkpoint, a full-page image in the WAL. 74 random bits per millisecond keep ids
 * unguessable and collisions out of reach (a repeat needs ~2^37 decisions in one millisecond).
 */
import { randomFillSync } from "node:crypto";

/** Two lowercase hex digits of each byte value. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Random bytes drawn 4 KiB at a time (one system call per 409 ids, 10 bytes each). */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** A new UUIDv7 for a decision made at `unixMs` (default now), lowercase 8-4-4-4-12. */
export function newDecisionId(unixMs: number = Date.now()): string {
  if (poolAt + 10 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const r = pool;
  const i = poolAt;
  poolAt += 10;
  // The 48-bit millisecond count, most significant first (split: bit operators are 32-bit).
  const high = Math.floor(unixMs / 0x1000000);
  const low = unixMs % 0x1000000;
  return (
    HEX[(high >>> 16) & 0xff]! +
    HEX[(high >>> 8) & 0xff]! +
    HEX[high & 0xff]! +
    HEX[(low >>> 16) & 0xff]! +
    "-" +
    HEX[(low >>> 8) & 0xff]! +
    HEX[low & 0xff]! +
    "-" +
    // Version 7 in the high nibble, then 12 random bits.
    HEX[0x70 | (r[i]! & 0x0f)]! +
    HEX[r[i + 1]!]! +
    "-" +
    // Variant 10 in the two high bits, then 62 random bits.
    HEX[0x80 | (r[i + 2]! & 0x3f)]! +
    HEX[r[i + 3]!]! +
    "-" +
    HEX[r[i + 4]!]! +
    HEX[r[i + 5]!]! +
    HEX[r[i + 6]!]! +
    HEX[r[i + 7]!]! +
    HEX[r[i + 8]!]! +
    HEX[r[i + 9]!]!
  );
}
