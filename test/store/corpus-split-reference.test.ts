// The split against a plain reference: on seeded corpora full of what makes a split hard — rows of
// several lengths with near-tied counts, rows that break each bound, models seen only on bad rows,
// created_at ties, non-prod rows, a judge watermark over part of the ids, a high-water id — every
// field of splitCorpusByTime equals what a direct reading of the rows gives, computed here in
// JavaScript from one SELECT per row; and so does a split given the exact prefix of its rows.
import { beforeAll, beforeEach, expect, it } from "vitest";
import { cheapValidRowSql, featureMagnitudeSql, type RowBounds } from "../../src/store/row-bounds.js";
import { judgedRewardSql, readJudgeWatermarks } from "../../src/store/judge-watermarks.js";
import { migrateUp, splitCorpusByTime, type CorpusSplit, type Db } from "../../src/store/index.js";
import { resetTables } from "../cadence/fixtures.js";
import { describeOnBackends, useFreshDatabase } from "./backends.js";

const BOUNDS: RowBounds = { reward: { min: -0.5, max: 1 }, minPropensity: 1e-3, maxFeatureMagnitude: 100 };

/** A small seeded generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A features literal: mostly a valid vector of length 3 or 4, sometimes one that breaks a check. */
function featuresOf(next: () => number): string {
  const u = next();
  const length = next() < 0.5 ? 3 : 4;
  const values = Array.from({ length }, () => (next() * 4 - 2).toFixed(3));
  if (u < 0.04) values[0] = "NaN";
  else if (u < 0.08) values[1] = "1e9";
  else if (u < 0.1) values[0] = "NULL";
  else if (u < 0.12) return "{}";
  else if (u < 0.14) return "{{1,2},{3,4}}";
  else if (u < 0.17) values.pop();
  return `{${values.join(",")}}`;
}

/** Inserts `n` seeded rows; about one in ten is not prod. */
async function insertCorpus(db: Db, seed: number, n: number): Promise<void> {
  const next = random(seed);
  const models = ["m-a", "m-b", "m-c", "m-d"];
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    // Few distinct instants (ties), a microsecond apart at times.
    const at = `timestamptz '2025-03-01 00:00:00+00' + ${Math.floor(next() * 12)} * interval '1 minute' + ${
      next() < 0.3 ? 1 : 0
    } * interval '1 microsecond'`;
    const model = next() < 0.05 ? "only-bad" : (models[Math.floor(next() * models.length)] as string);
    // A model of its own on bad rows only: it must never become an arm.
    const features = model === "only-bad" ? "{1,1e9,1}" : featuresOf(next);
    const propensity = next() < 0.03 ? 1e-6 : 0.25;
    const u = next();
    const reward = u < 0.4 ? "NULL" : u < 0.45 ? "5" : (next() * 1.4 - 0.4).toFixed(3);
    const source = next() < 0.1 ? "'shadow'" : "'prod'";
    rows.push(
      `(${at}, 'agent', 'cell', '${model}', '${features}'::float8[], ${propensity}, ${next() < 0.6}, ` +
        `${next() < 0.2}, ${next() < 0.1}, ${reward}, ${source})`,
    );
  }
  await db.query(
    `INSERT INTO routing_outcomes (created_at, agent_id, cell, model, features, propensity, completed, hallucinated,
       refused, reward, source) VALUES ${rows.join(",\n")}`,
  );
}

interface ReferenceRow {
  id: number;
  at: string;
  micros: bigint;
  ms: number;
  model: string;
  length: number | null;
  cheap: boolean;
  bounded: boolean;
}

async function referenceRows(db: Db, throughId?: number): Promise<ReferenceRow[]> {
  const cheap = cheapValidRowSql(BOUNDS, judgedRewardSql(await readJudgeWatermarks(db, "routing_outcomes")));
  const { rows } = await db.query<{
    id: number;
    at: string;
    micros: string;
    ms: number;
    model: string;
    length: number | null;
    cheap: boolean;
    bounded: boolean | null;
  }>(
    `SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at,
            ((extract(epoch FROM created_at) * 1000000)::int8)::text AS micros,
            (extract(epoch FROM created_at) * 1000)::float8 AS ms, model, cardinality(features) AS length,
            coalesce(${cheap}, false) AS cheap, ${featureMagnitudeSql(BOUNDS, "features")} AS bounded
     FROM routing_outcomes WHERE source = 'prod'${throughId === undefined ? "" : ` AND id <= ${throughId}`}`,
  );
  return rows.map((r) => ({ ...r, micros: BigInt(r.micros), ms: Number(r.ms), bounded: r.bounded === true }));
}

/** PostgreSQL's round(float8): half to even. */
function rint(x: number): number {
  const floor = Math.floor(x);
  const fraction = x - floor;
  if (fraction !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The commonest length of the cheap-valid rows, ties to the shortest (mode()'s rule). */
function commonestLength(rows: readonly ReferenceRow[]): number | null {
  const counts = new Map<number, number>();
  for (const r of rows) if (r.cheap && r.length !== null) counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
  let best: number | null = null;
  for (const [length, n] of counts) {
    const bestN = best === null ? -1 : (counts.get(best) as number);
    if (n > bestN || (n === bestN && length < (best as number))) best = length;
  }
  return best;
}

function modelsOf(rows: readonly ReferenceRow[], dimension: number | null): string[] {
  const models = rows.filter((r) => r.cheap && r.bounded && r.length === dimension).map((r) => r.model);
  return [...new Set(models)].sort();
}

/** The split as the module comment defines it, from the rows. */
function referenceSplit(rows: readonly ReferenceRow[], share: number, newerThanId: number): CorpusSplit {
  const eligible = rows.filter((r) => r.id > newerThanId);
  eligible.sort((a, b) => (a.micros === b.micros ? b.id - a.id : a.micros < b.micros ? 1 : -1));
  const k = Math.max(1, rint(eligible.length * share));
  const cut = eligible.length === 0 ? null : (eligible[k - 1] as ReferenceRow);
  const dimension = commonestLength(rows);
  const heldOut = cut === null ? 0 : k;
  return {
    total: rows.length,
    eligible: eligible.length,
    newerThanId,
    cutoff: cut === null ? null : { createdAt: cut.at, id: cut.id },
    training: rows.length - heldOut,
    heldOut,
    models: modelsOf(rows, dimension),
    dimension,
    newestAtMs: rows.length === 0 ? null : Math.max(...rows.map((r) => r.ms)),
  };
}

describeOnBackends("corpus split against a reference", (backend) => {
  const database = useFreshDatabase(backend);

  beforeAll(async () => {
    await migrateUp(database.db);
  });
  beforeEach(async () => {
    await resetTables(database.db);
    await database.db.query("DELETE FROM judge_watermarks");
  });

  it("is empty on an empty corpus, and holds nothing out with no row above the high-water id", async () => {
    const { db } = database;
    expect(await splitCorpusByTime(db, { table: "routing_outcomes", heldOutShare: 0.2 })).toEqual({
      total: 0,
      eligible: 0,
      newerThanId: 0,
      cutoff: null,
      training: 0,
      heldOut: 0,
      models: [],
      dimension: null,
      newestAtMs: null,
    });
    await insertCorpus(db, 5, 60);
    const rows = await referenceRows(db);
    const mark = Math.max(...rows.map((r) => r.id));
    const split = await splitCorpusByTime(db, {
      table: "routing_outcomes",
      heldOutShare: 0.2,
      newerThanId: mark,
      bounds: BOUNDS,
    });
    expect(split).toEqual(referenceSplit(rows, 0.2, mark));
    expect(split).toMatchObject({ eligible: 0, cutoff: null, heldOut: 0, training: rows.length });
  });

  for (const seed of [1, 2, 3, 4]) {
    it(`equals the reference on seeded corpus ${seed}, whole and with the exact prefix`, async () => {
      const { db } = database;
      const next = random(1000 + seed);
      await insertCorpus(db, seed, 240);
      const ids = (await referenceRows(db)).map((r) => r.id).sort((a, b) => a - b);
      // A watermark over the first third of the ids: their rewards (some out of range) come from the flags.
      const third = ids[Math.floor(ids.length / 3)] as number;
      await db.query(
        `INSERT INTO judge_watermarks (corpus_table, judge_model, hallucination_penalty, refusal_penalty, from_id,
           through_id, judged_rows) VALUES ('routing_outcomes', 'test', 0.75, 0.25, 0, ${third}, 1)`,
      );
      const rows = await referenceRows(db);
      for (const share of [0.1, 0.2, 0.25, 0.5]) {
        const newerThanId = next() < 0.3 ? 0 : (ids[Math.floor(next() * ids.length)] as number);
        const options = { table: "routing_outcomes" as const, heldOutShare: share, newerThanId, bounds: BOUNDS };
        const whole = await splitCorpusByTime(db, options);
        expect(whole, `share ${share}, newer than ${newerThanId}`).toEqual(referenceSplit(rows, share, newerThanId));
        // The prefix of the rows at or below a mark ≤ newerThanId, as an incremental refit's base knows it.
        const throughId = Math.floor(newerThanId * next());
        const known = await referenceRows(db, throughId);
        const dimension = commonestLength(known);
        if (dimension === null) continue;
        const prefix = {
          throughId,
          rows: known.length,
          dimension,
          models: modelsOf(known, dimension),
          newestAtMs: known.length === 0 ? null : Math.max(...known.map((r) => r.ms)),
        };
        expect(await splitCorpusByTime(db, { ...options, prefix }), `prefix through ${throughId}`).toEqual(whole);
      }
    });
  }
});
