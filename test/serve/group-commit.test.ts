import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../src/serve/group-commit.js";

describe("GroupCommit", () => {
  it("writes items submitted together in one write, at most one write in flight, and settles each with its own result", async () => {
    const writes: number[][] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const commit = new GroupCommit<number, string>(
      async (items) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        writes.push([...items]);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return items.map((n) => (n % 7 === 0 ? { error: new Error(`bad ${n}`) } : { ok: `done ${n}` }));
      },
      { intervalMs: 2, maxBatch: 50 },
    );
    const settled = await Promise.allSettled(Array.from({ length: 120 }, (_, i) => commit.submit(i + 1)));
    expect(maxInFlight).toBe(1);
    expect(writes.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(writes.length).toBeLessThanOrEqual(4);
    expect(writes.every((w) => w.length <= 50)).toBe(true);
    settled.forEach((s, i) => {
      const n = i + 1;
      if (n % 7 === 0) expect(s).toEqual({ status: "rejected", reason: new Error(`bad ${n}`) });
      else expect(s).toEqual({ status: "fulfilled", value: `done ${n}` });
    });
  });

  it("rejects every item of a write that throws, and the next write goes on", async () => {
    let fail = true;
    const commit = new GroupCommit<number, number>(
      async (items) => {
        if (fail) throw new Error("database down");
        return items.map((n) => ({ ok: n * 2 }));
      },
      { intervalMs: 1, maxBatch: 10 },
    );
    const first = await Promise.allSettled([commit.submit(1), commit.submit(2)]);
    expect(first.map((s) => s.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    expect(await Promise.all([commit.submit(3), commit.submit(4)])).toEqual([6, 8]);
    await commit.drain();
    expect(commit.waiting).toBe(0);
  });
});
