import { describe, expect, it } from "vitest";
import { TextInterner } from "../../src/store/text-interner.js";

/** `text` encoded in the middle of a larger buffer, as a field sits in a COPY page. */
function inPage(text: string | Buffer): { page: Buffer; start: number; end: number } {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  const page = Buffer.concat([Buffer.from("\x00\x01junk"), bytes, Buffer.from("tail")]);
  return { page, start: 6, end: 6 + bytes.length };
}

describe("text interner", () => {
  it("gives the UTF-8 decoding of the bytes, keeping one entry per distinct text across pages", () => {
    const interner = new TextInterner();
    const texts = ["cell-1", "cell-2", "héllo", "🚀 model", "", "cell-1", "cell-2", "héllo"];
    for (let round = 0; round < 3; round++) {
      for (const text of texts) {
        const { page, start, end } = inPage(text);
        expect(interner.intern(page, start, end)).toBe(text);
      }
    }
    expect(interner.size).toBe(5);
  });

  it("decodes invalid UTF-8 as toString does, and tells apart texts that differ in one byte or in length", () => {
    const interner = new TextInterner();
    const invalid = Buffer.from([0x63, 0xff, 0xfe, 0x41]);
    const { page, start, end } = inPage(invalid);
    expect(interner.intern(page, start, end)).toBe(invalid.toString("utf8"));
    expect(interner.intern(page, start, end)).toBe(invalid.toString("utf8"));
    for (const text of ["ab", "ac", "abc", "ab\u0000"]) {
      const field = inPage(text);
      expect(interner.intern(field.page, field.start, field.end)).toBe(text);
    }
    expect(interner.size).toBe(5);
  });

  it("keeps at most maxEntries texts of at most maxBytes bytes, and decodes the rest as they come", () => {
    const interner = new TextInterner(3, 8);
    for (let i = 0; i < 10; i++) {
      const { page, start, end } = inPage(`t${i}`);
      expect(interner.intern(page, start, end)).toBe(`t${i}`);
    }
    expect(interner.size).toBe(3);
    const long = inPage("a text longer than eight bytes");
    expect(interner.intern(long.page, long.start, long.end)).toBe("a text longer than eight bytes");
    expect(interner.size).toBe(3);
    const kept = inPage("t1");
    expect(interner.intern(kept.page, kept.start, kept.end)).toBe("t1");
  });
});
