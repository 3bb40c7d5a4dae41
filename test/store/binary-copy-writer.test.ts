import { describe, expect, it } from "vitest";
import { BinaryCopyWriter } from "../../src/store/binary-copy-writer.js";

/** A field as PostgreSQL's "Binary Format" section spells it: int32 length, then the bytes. */
function field(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function int64(value: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(value);
  return b;
}

function float64(value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(value);
  return b;
}

function int32s(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeInt32BE(v, 4 * i));
  return b;
}

describe("BinaryCopyWriter", () => {
  it("writes each type in PostgreSQL's binary send format, byte for byte", () => {
    const writer = new BinaryCopyWriter(16); // grows as it goes
    writer.row(3);
    writer.null();
    writer.text("agent-7");
    writer.text("ägent ☃ 𝄞");
    writer.jsonb('{"epsilon":0.05}');
    writer.uuid("0190A6F2-6c1e-7b7e-8f00-0123456789ab");
    writer.float8(-0.1);
    writer.float8(Number.MIN_VALUE);
    writer.int8(-1);
    writer.int8(2 ** 53 - 1);
    writer.bool(true);
    writer.bool(false);
    writer.timestamptz(Date.UTC(2026, 11, 5, 3, 4, 5, 678));
    writer.timestamptz(Date.UTC(1999, 11, 31, 23, 59, 59, 999)); // before PostgreSQL's epoch
    writer.float8Array([9, 1.5, -2, 7], 1, 2);
    const expected = Buffer.concat([
      Buffer.from([0, 3]),
      int32s(-1),
      field(Buffer.from("agent-7")),
      field(Buffer.from("ägent ☃ 𝄞", "utf8")),
      field(Buffer.concat([Buffer.from([1]), Buffer.from('{"epsilon":0.05}')])),
      field(Buffer.from("0190a6f26c1e7b7e8f000123456789ab", "hex")),
      field(float64(-0.1)),
      field(float64(Number.MIN_VALUE)),
      field(int64(-1n)),
      field(int64(2n ** 53n - 1n)),
      field(Buffer.from([1])),
      field(Buffer.from([0])),
      field(int64(BigInt(Date.UTC(2026, 11, 5, 3, 4, 5, 678) - Date.UTC(2000, 0, 1)) * 1000n)),
      field(int64(-1000n)),
      field(Buffer.concat([int32s(1, 0, 701, 2, 1), int32s(8), float64(1.5), int32s(8), float64(-2)])),
    ]);
    expect(writer.length).toBe(expected.length);
    expect(writer.take().equals(expected)).toBe(true);
    expect(writer.length).toBe(0);
    writer.bool(true);
    expect(writer.take().equals(field(Buffer.from([1])))).toBe(true);
  });

  it("refuses a malformed uuid, naming it, and writes nothing for it", () => {
    const writer = new BinaryCopyWriter();
    for (const bad of ["0190a6f2-6c1e-7b7e-8f00-0123456789zz", "0190a6f2-6c1e-7b7e-8f00-0123456789a", "x".repeat(36)]) {
      expect(() => writer.uuid(bad)).toThrow(
        new RangeError(`a uuid must be 32 hex digits as 8-4-4-4-12; received "${bad}"`),
      );
      expect(writer.length).toBe(0);
    }
    expect(() => writer.uuid("0190a6f2+6c1e-7b7e-8f00-0123456789ab")).toThrow(/8-4-4-4-12/);
  });
});
