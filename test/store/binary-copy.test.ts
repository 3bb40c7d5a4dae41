import { describe, expect, it } from "vitest";
import { ArrayRead, BinaryCopyReader, lastRowTrailingInt8 } from "../../src/store/binary-copy.js";
import { StoreError } from "../../src/store/errors.js";

/** Builds binary COPY bytes by hand, per PostgreSQL's "Binary Format" section. */
class CopyWriter {
  private readonly parts: Buffer[] = [Buffer.from("PGCOPY\n\xff\r\n\0", "latin1"), int32(0), int32(0)];
  row(fields: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(fields);
    this.parts.push(b);
    return this;
  }
  int8(value: bigint | null): this {
    if (value === null) return this.nullField();
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(value);
    this.parts.push(int32(8), b);
    return this;
  }
  float8(value: number | null): this {
    if (value === null) return this.nullField();
    const b = Buffer.alloc(8);
    b.writeDoubleBE(value);
    this.parts.push(int32(8), b);
    return this;
  }
  text(value: string): this {
    const b = Buffer.from(value, "utf8");
    this.parts.push(int32(b.length), b);
    return this;
  }
  float8Array(values: (number | null)[], dimensions = 1, elementOid = 701): this {
    const body: Buffer[] = [int32(dimensions), int32(values.includes(null) ? 1 : 0), int32(elementOid)];
    if (dimensions > 0) body.push(int32(values.length), int32(1));
    for (const value of values) {
      if (value === null) body.push(int32(-1));
      else {
        const b = Buffer.alloc(8);
        b.writeDoubleBE(value);
        body.push(int32(8), b);
      }
    }
    const bytes = Buffer.concat(body);
    this.parts.push(int32(bytes.length), bytes);
    return this;
  }
  nullField(): this {
    this.parts.push(int32(-1));
    return this;
  }
  end(): Buffer {
    const b = Buffer.alloc(2);
    b.writeInt16BE(-1);
    return Buffer.concat([...this.parts, b]);
  }
}

function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(value);
  return b;
}

describe("binary COPY reader", () => {
  it("reads int8, float8, text, NULLs and float8[] in order, then the trailer", () => {
    const bytes = new CopyWriter()
      .row(4)
      .int8(42n)
      .float8(-0.5)
      .text("héllo")
      .float8Array([1.5, -2, 1e-300])
      .row(4)
      .int8(null)
      .float8(null)
      .text("")
      .float8Array([7, 8, 9])
      .end();
    const reader = new BinaryCopyReader(bytes);
    const out = new Float64Array(6);
    expect(reader.nextRow()).toBe(4);
    expect([reader.readInt8(), reader.readFloat8(), reader.readText()]).toEqual([42, -0.5, "héllo"]);
    expect(reader.readFloat8Array(out, 0, 3)).toBe(ArrayRead.ok);
    expect(reader.nextRow()).toBe(4);
    expect([reader.readInt8(), reader.readFloat8(), reader.readText()]).toEqual([null, null, ""]);
    expect(reader.readFloat8Array(out, 3, 3)).toBe(ArrayRead.ok);
    expect(Array.from(out)).toEqual([1.5, -2, 1e-300, 7, 8, 9]);
    expect(reader.nextRow()).toBe(-1);
  });

  it("says why a float8[] does not fit, and still moves past it", () => {
    const bytes = new CopyWriter()
      .row(2)
      .float8Array([1, 2])
      .int8(1n)
      .row(2)
      .float8Array([1, null, 3])
      .int8(2n)
      .row(2)
      .float8Array([], 0)
      .int8(3n)
      .row(2)
      .nullField()
      .int8(4n)
      .end();
    const reader = new BinaryCopyReader(bytes);
    const out = new Float64Array(3);
    reader.nextRow();
    expect(reader.readFloat8Array(out, 0, 3)).toBe(ArrayRead.wrongLength);
    expect(reader.lastArrayLength).toBe(2);
    expect(reader.readInt8()).toBe(1);
    reader.nextRow();
    expect(reader.readFloat8Array(out, 0, 3)).toBe(ArrayRead.hasNull);
    expect(reader.lastNullIndex).toBe(1);
    expect(reader.readInt8()).toBe(2);
    reader.nextRow();
    expect(reader.readFloat8Array(out, 0, 3)).toBe(ArrayRead.notOneDimensional);
    expect(reader.readInt8()).toBe(3);
    reader.nextRow();
    expect(reader.readFloat8Array(out, 0, 3)).toBeNull();
    expect(reader.readInt8()).toBe(4);
  });

  it("refuses what it cannot represent or was cut short", () => {
    expect(() => new BinaryCopyReader(Buffer.from("id,cell\n1,a\n"))).toThrow(/not in PostgreSQL's binary COPY format/);
    const big = new BinaryCopyReader(
      new CopyWriter()
        .row(1)
        .int8(2n ** 53n + 1n)
        .end(),
    );
    big.nextRow();
    expect(() => big.readInt8()).toThrow(StoreError);
    const ints = new BinaryCopyReader(new CopyWriter().row(1).float8Array([1], 1, 20).end());
    ints.nextRow();
    expect(() => ints.readFloat8Array(new Float64Array(1), 0, 1)).toThrow(
      /expected a float8\[\] column, the server sent an array of type OID 20/,
    );
    const whole = new CopyWriter().row(1).text("abcdef").end();
    const cut = new BinaryCopyReader(whole.subarray(0, whole.length - 5));
    cut.nextRow();
    expect(() => cut.readText()).toThrow(/cut short/);
  });

  it("turns a timestamptz into ms since the epoch exactly as extract(epoch) * 1000 does, infinities included", () => {
    // Microseconds since 2000-01-01, as PostgreSQL sends a timestamptz; the expected values are the
    // exact decimal µs / 1000 rounded once (what numeric → float8 gives).
    const since2000 = (unixMicros: bigint): bigint => unixMicros - 946_684_800_000_000n;
    const cases: [bigint, number][] = [
      [since2000(1_735_689_600_123_456n), 1_735_689_600_123.456],
      [since2000(0n), 0],
      [since2000(-1n), -0.001],
      [since2000(-86_400_000_001n), -86_400_000.001],
      [0n, 946_684_800_000],
      // Past 2⁵³ µs (the year 2255 and after): through the exact decimal.
      [since2000(9_007_199_254_740_993n), Number("9007199254740.993")],
      [since2000(-9_007_199_254_740_993n), Number("-9007199254740.993")],
      [9_223_372_036_854_775_807n, Number.POSITIVE_INFINITY],
      [-9_223_372_036_854_775_808n, Number.NEGATIVE_INFINITY],
    ];
    const writer = new CopyWriter();
    for (const [micros] of cases) writer.row(1).int8(micros);
    const reader = new BinaryCopyReader(writer.row(1).nullField().end());
    for (const [micros, ms] of cases) {
      reader.nextRow();
      expect(reader.readTimestampMs(), `${micros} µs`).toBe(ms);
    }
    reader.nextRow();
    expect(reader.readTimestampMs()).toBeNull();
  });

  it("moves past a field without decoding it, keeping where its bytes are", () => {
    const bytes = new CopyWriter().row(3).text("prod").nullField().text("").end();
    const reader = new BinaryCopyReader(bytes);
    reader.nextRow();
    expect(reader.skipField()).toBe(4);
    expect(bytes.toString("utf8", reader.lastFieldStart, reader.lastFieldStart + 4)).toBe("prod");
    expect(reader.skipField()).toBe(-1);
    expect(reader.skipField()).toBe(0);
    expect(reader.nextRow()).toBe(-1);
  });

  it("reads the trailing int8 of a page's last row from its end, and refuses an output that does not end so", () => {
    const page = new CopyWriter();
    for (const id of [3n, 9n, 27n])
      page
        .row(3)
        .text("x".repeat(Number(id)))
        .float8Array([1, null])
        .int8(id);
    expect(lastRowTrailingInt8(page.end())).toBe(27);
    expect(lastRowTrailingInt8(new CopyWriter().end())).toBeNull();
    expect(lastRowTrailingInt8(Buffer.alloc(0))).toBeNull();
    expect(() =>
      lastRowTrailingInt8(
        new CopyWriter()
          .row(1)
          .int8(2n ** 53n + 1n)
          .end(),
      ),
    ).toThrow(StoreError);
    expect(() => lastRowTrailingInt8(new CopyWriter().row(2).int8(1n).text("abc").end())).toThrow(
      /does not end its last row with an int8/,
    );
    const whole = new CopyWriter().row(1).int8(5n).end();
    expect(() => lastRowTrailingInt8(whole.subarray(0, whole.length - 1))).toThrow(/does not end with the trailer/);
  });

  it("reads an empty output as no rows", () => {
    expect(new BinaryCopyReader(Buffer.alloc(0)).nextRow()).toBe(-1);
    expect(new BinaryCopyReader(new CopyWriter().end()).nextRow()).toBe(-1);
  });
});
