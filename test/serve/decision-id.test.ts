import { describe, expect, it } from "vitest";
import { newDecisionId } from "../../src/serve/decision-id.js";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("decision ids (UUIDv7)", () => {
  it("are lowercase version-7 UUIDs whose first 48 bits are the Unix milliseconds", () => {
    for (const ms of [0, 1, 0xffffff, 0x1000000, Date.UTC(2026, 11, 5, 3, 4, 5, 678), 2 ** 48 - 1]) {
      const id = newDecisionId(ms);
      expect(id).toMatch(UUID_V7);
      expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(ms);
    }
  });

  it("sort by creation time across milliseconds and do not repeat", () => {
    const ids: string[] = [];
    const start = Date.UTC(2026, 0, 1);
    for (let ms = 0; ms < 50; ms++) for (let k = 0; k < 200; k++) ids.push(newDecisionId(start + ms));
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 200; i < ids.length; i += 200) expect(ids[i - 1]!.slice(0, 13) < ids[i]!.slice(0, 13)).toBe(true);
  });

  it("carry 74 random bits: every random hex digit takes many values over a few thousand ids", () => {
    const ids = Array.from({ length: 4096 }, () => newDecisionId(1_700_000_000_000));
    // Positions of the random digits (after the timestamp, skipping the version digit and dashes).
    const random = [15, 16, 17, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35];
    for (const at of random) expect(new Set(ids.map((id) => id[at])).size).toBe(16);
    expect(new Set(ids.map((id) => id[19])).size).toBe(4); // the variant digit: 8, 9, a, b
  });
});
