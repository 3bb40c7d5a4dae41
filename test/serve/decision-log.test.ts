import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DecisionLog } from "../../src/serve/decision-log.js";
import type { Db } from "../../src/store/db.js";
import type { Decision } from "../../src/store/decisions.js";

let serial = 0;

function decision(): Decision {
  serial += 1;
  return {
    id: `00000000-0000-7000-8000-${serial.toString(16).padStart(12, "0")}`,
    createdAt: new Date(),
    requestId: null,
    agentId: "a",
    cell: "c",
    model: "m",
    features: [1, 2],
    propensity: 0.5,
    policyVersionId: null,
    exploration: "uniform",
    source: "prod",
  };
}

/** A database whose every group write takes `writeMs` (fake time) and succeeds; `writes` counts them. */
function slowDb(writeMs: number, writes: { n: number } = { n: 0 }): Db {
  const write = () => {
    writes.n += 1;
    return new Promise<number>((resolve) => setTimeout(() => resolve(0), writeMs));
  };
  return { copyInBinary: write, query: write } as unknown as Db;
}

describe("decision log group window", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function openLog(sizes: number[]): DecisionLog {
    return new DecisionLog(slowDb(2), {
      intervalMs: 10,
      maxBatch: 100,
      maxPending: 1000,
      retryMs: 250,
      onError: () => undefined,
      onWritten: (n) => void sizes.push(n),
    });
  }

  it("lets decisions queued during a write wait out the window when nobody waits for them", async () => {
    const sizes: number[] = [];
    const log = openLog(sizes);
    log.record(decision());
    await vi.advanceTimersByTimeAsync(11); // the first write starts at 10 ms and takes 2
    for (let i = 0; i < 5; i++) log.record(decision());
    await vi.advanceTimersByTimeAsync(1);
    expect(sizes).toEqual([1]);
    // Under load, the write's own duration must not become the window: no write before 10 ms more.
    await vi.advanceTimersByTimeAsync(9);
    expect(sizes).toEqual([1]);
    for (let i = 0; i < 3; i++) log.record(decision());
    await vi.advanceTimersByTimeAsync(5);
    expect(sizes).toEqual([1, 8]);
    expect(log.backlog).toBe(0);
  });

  it("writes at once after a write when a route waits for a queued decision (durable decisions)", async () => {
    const sizes: number[] = [];
    const log = openLog(sizes);
    const first = log.recordDurably(decision());
    await vi.advanceTimersByTimeAsync(11);
    const more = Array.from({ length: 3 }, () => log.recordDurably(decision()));
    await vi.advanceTimersByTimeAsync(1);
    await first;
    await vi.advanceTimersByTimeAsync(3);
    await Promise.all(more);
    expect(sizes).toEqual([1, 3]);
  });

  it("drains with one write: the window's pending timer does not start a second one alongside", async () => {
    const writes = { n: 0 };
    const log = new DecisionLog(slowDb(5, writes), {
      intervalMs: 10,
      maxBatch: 100,
      maxPending: 1000,
      retryMs: 250,
      onError: () => undefined,
    });
    for (let i = 0; i < 3; i++) log.record(decision());
    await vi.advanceTimersByTimeAsync(8);
    const drained = log.drain();
    await vi.advanceTimersByTimeAsync(10);
    await drained;
    log.stop();
    expect(writes.n).toBe(1);
    expect(log.backlog).toBe(0);
  });
});
