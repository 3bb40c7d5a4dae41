// The split and the reader together: the two sides of a (created_at, id) split read back exactly
// the rows the split counted, disjoint and complete, whatever the timestamps — ties, sub-millisecond
// instants, rows older than the incumbent's high-water id timestamped after the cutoff.
import { beforeAll, beforeEach, expect, it } from "vitest";
import { migrateUp, readCorpus, splitCorpusByTime, type CorpusSplit, type Db } from "../../src/store/index.js";
import { generateWorld } from "../../src/synthetic/index.js";
import { insertOutcomes, resetTables } from "../cadence/fixtures.js";
import { describeOnBackends, useFreshDatabase } from "./backends.js";

const D = generateWorld({ seed: 7 }).dimension;

async function idsOf(db: Db, split: CorpusSplit, side: "training" | "heldOut"): Promise<number[]> {
  const ids: number[] = [];
  const sideOf = { side, cutoff: split.cutoff!, newerThanId: split.newerThanId };
  const reader = readCorpus(db, { table: "routing_outcomes", dimension: D, chunkSize: 7, split: sideOf });
  for await (const chunk of reader) ids.push(...chunk.ids);
  return ids;
}

async function allIds(db: Db): Promise<number[]> {
  return (await db.query<{ id: number }>("SELECT id FROM routing_outcomes WHERE source = 'prod' ORDER BY id")).rows.map(
    (r) => r.id,
  );
}

describeOnBackends("corpus split read by the reader", (backend) => {
  const database = useFreshDatabase(backend);

  beforeAll(async () => {
    await migrateUp(database.db);
  });
  beforeEach(async () => {
    await resetTables(database.db);
  });

  it("reads 20% ± 1 row held out when every row shares one created_at", async () => {
    const { db } = database;
    await insertOutcomes(db, { n: 103, source: "prod" });
    await db.query("UPDATE routing_outcomes SET created_at = timestamptz '2025-03-01 12:00:00+00'");
    const split = await splitCorpusByTime(db, { table: "routing_outcomes", heldOutShare: 0.2 });
    const held = await idsOf(db, split, "heldOut");
    const training = await idsOf(db, split, "training");
    expect(Math.abs(held.length - 0.2 * 103)).toBeLessThanOrEqual(1);
    expect(held).toHaveLength(split.heldOut);
    expect(training).toHaveLength(split.training);
    expect([...training, ...held].sort((a, b) => a - b)).toEqual(await allIds(db));
  });

  it("keeps rows a microsecond apart on their own sides of the cutoff", async () => {
    const { db } = database;
    await insertOutcomes(db, { n: 40, source: "prod" });
    // Row i at 2025-03-01 + i microseconds, in reverse id order: a millisecond Date could not tell them apart.
    await db.query(
      "UPDATE routing_outcomes SET created_at = timestamptz '2025-03-01 00:00:00+00' + (1000 - id) * interval '1 microsecond'",
    );
    const split = await splitCorpusByTime(db, { table: "routing_outcomes", heldOutShare: 0.25 });
    expect(split.heldOut).toBe(10);
    const held = await idsOf(db, split, "heldOut");
    // Newest by created_at are the lowest ids.
    const lowest = (await allIds(db)).slice(0, 10);
    expect(held.sort((a, b) => a - b)).toEqual(lowest);
    expect(await idsOf(db, split, "training")).toHaveLength(30);
  });

  it("never holds out a row at or below the high-water id, even timestamped after the cutoff", async () => {
    const { db } = database;
    await insertOutcomes(db, { n: 60, source: "prod" });
    const mark = (await allIds(db)).at(-1)!;
    await insertOutcomes(db, { n: 50, seed: 4, source: "prod", offsetDays: -30 });
    const split = await splitCorpusByTime(db, { table: "routing_outcomes", heldOutShare: 0.2, newerThanId: mark });
    expect(split).toMatchObject({ eligible: 50, heldOut: 10, training: 100 });
    const held = await idsOf(db, split, "heldOut");
    expect(held).toHaveLength(10);
    expect(Math.min(...held)).toBeGreaterThan(mark);
    const training = await idsOf(db, split, "training");
    expect([...training, ...held].sort((a, b) => a - b)).toEqual(await allIds(db));
  });

  it("refuses a malformed split side, naming it", () => {
    const { db } = database;
    const read = (split: unknown) => readCorpus(db, { table: "routing_outcomes", dimension: D, split: split as never });
    expect(() => read({ side: "middle" })).toThrow(/split must be \{ side: 'training' \| 'heldOut'/);
    const injected = { createdAt: "2025-01-01'; DROP TABLE x; --", id: 1 };
    expect(() => read({ side: "heldOut", cutoff: injected, newerThanId: 0 })).toThrow(
      /split.cutoff.createdAt must be an ISO-8601 UTC/,
    );
    const noId = { createdAt: "2025-01-01T00:00:00.000001Z", id: 0 };
    expect(() => read({ side: "heldOut", cutoff: noId, newerThanId: 0 })).toThrow(
      /split.cutoff.id must be a positive integer; received 0/,
    );
  });
});
