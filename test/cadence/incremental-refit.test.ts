// Incremental refits on both back ends: a prod run that starts from the active policy's stored
// statistics and reads only the rows after its high-water mark fits the same policy as a full refit
// (to 1e-12, over several rounds of new rows, with and without a daily discount); --full refits
// whole; and every case where the base cannot be used falls back to a full refit that says why.
import { beforeAll, describe, expect, it } from "vitest";
import { runCadence, type CadenceOptions, type ProdCadenceResult } from "../../src/cadence/index.js";
import type { CoverageTable, PackedCoverageSums } from "../../src/cadence/coverage.js";
import { formatCadenceReport } from "../../src/report/index.js";
import { runCli as linucb } from "../cli-run.js";
import { restoreLinUCB } from "../../src/engine/linucb.js";
import type { LinUCBEngine } from "../../src/engine/types.js";
import { migrateUp, readActivePolicy, type Db } from "../../src/store/index.js";
import { describeOnBackends, useFreshDatabase } from "../store/backends.js";
import { insertOutcomes, resetTables, scalar } from "./fixtures.js";

// Every run with held-out rows promotes (a margin no lower bound misses), so the base moves on each round.
const ALWAYS = { mode: "prod", resamples: 50, gateMargin: -1e9, minEffectiveSampleSize: 0, heldOutShare: 0.5 } as const;

/** |a − b| ≤ tolerance · max(1, |a|, |b|), element by element, with the first offender named. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string, tolerance = 1e-12): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const ok = Math.abs(x - y) <= tolerance * Math.max(1, Math.abs(x), Math.abs(y));
    if (!ok) expect(x, `${what}[${i}]`).toBe(y);
  }
}

/**
 * Two engines hold the same cells and statistics to 1e-12, and the same models to `modelTolerance`
 * (cells compared by id: their order may differ).
 */
function expectSamePolicy(incremental: LinUCBEngine, full: LinUCBEngine, modelTolerance: number): void {
  expect(incremental.arms).toEqual(full.arms);
  expect([...incremental.cells()].sort()).toEqual([...full.cells()].sort());
  const a = incremental.exportStatistics();
  const b = full.exportStatistics();
  const d = a.dimension;
  const p = (d * (d + 1)) / 2;
  const k = a.arms.length;
  expectClose([incremental.options.lambda], [full.options.lambda], "λ", modelTolerance);
  for (const cell of full.cells()) {
    const ca = a.cells.indexOf(cell);
    const cb = b.cells.indexOf(cell);
    for (let arm = 0; arm < k; arm++) {
      const ma = ca * k + arm;
      const mb = cb * k + arm;
      const where = `${cell}/${a.arms[arm]}`;
      expect(a.counts[ma], `${where} n`).toBe(b.counts[mb]);
      expectClose(a.xx.subarray(ma * p, ma * p + p), b.xx.subarray(mb * p, mb * p + p), `${where} Σxxᵀ`);
      expectClose(a.xr.subarray(ma * d, ma * d + d), b.xr.subarray(mb * d, mb * d + d), `${where} Σrx`);
      const ma1 = incremental.model(cell, a.arms[arm]!);
      const mb1 = full.model(cell, a.arms[arm]!);
      expectClose(ma1.theta, mb1.theta, `${where} θ`, modelTolerance);
      expectClose(ma1.covariance, mb1.covariance, `${where} A⁻¹`, modelTolerance);
    }
  }
}

/**
 * Two coverage tables cover the same rows: the same cells (by id: their order may differ), the same
 * row counts and coverage, ESS to 1e-12 (sums added in another order).
 */
function expectSameCoverage(a: CoverageTable, b: CoverageTable, what: string): void {
  expect({ ...a, cells: [] }, `${what}: totals`).toEqual({ ...b, cells: [] });
  expect(a.cells.map((c) => c.cell).sort(), `${what}: cells`).toEqual(b.cells.map((c) => c.cell).sort());
  const byId = new Map(b.cells.map((c) => [c.cell, c]));
  for (const cell of a.cells) {
    const other = byId.get(cell.cell)!;
    expect({ rows: cell.rows, covered: cell.covered }, `${what}: ${cell.cell}`).toEqual({
      rows: other.rows,
      covered: other.covered,
    });
    for (const model of a.models) {
      const [x, y] = [cell.models[model]!, other.models[model]!];
      expect(x.rows, `${what}: ${cell.cell}/${model} rows`).toBe(y.rows);
      expectClose([x.ess], [y.ess], `${what}: ${cell.cell}/${model} ESS`);
    }
  }
}

/** Every number of a JSON value, in order (to compare two results' figures to 1e-12). */
function numbersOf(value: unknown): number[] {
  if (typeof value === "number") return [value];
  if (typeof value !== "object" || value === null) return [];
  return Object.values(value).flatMap(numbersOf);
}

async function activeEngine(db: Db): Promise<LinUCBEngine> {
  const active = await readActivePolicy(db);
  if (active === null) throw new Error("no active policy");
  return restoreLinUCB(active.snapshot);
}

/** The same rows into both databases (same ids: both tables start empty). */
async function insertBoth(dbs: readonly Db[], n: number, seed: number, offsetDays: number): Promise<void> {
  for (const db of dbs) await insertOutcomes(db, { n, seed, source: "prod", offsetDays });
}

describeOnBackends("incremental refits", (backend) => {
  const one = useFreshDatabase(backend);
  const two = useFreshDatabase(backend);

  beforeAll(async () => {
    await migrateUp(one.db);
    await migrateUp(two.db);
  });

  // The statistics agree to 1e-12 always. So do the models at a fixed per-cell ridge; with the
  // ridge estimated from the data ('auto', the default) they agree to 1e-6: the estimate is the
  // minimiser of a function flat near its minimum, found by golden-section search, so sums that
  // differ in their last bits (added in another order) move it by up to ~1e-7 (measured: 9e-8).
  const cases = [
    { dailyDiscount: 1, engine: { lambda: 30 }, modelTolerance: 1e-12 },
    { dailyDiscount: 0.9, engine: { lambda: 30 }, modelTolerance: 1e-12 },
    { dailyDiscount: 1, engine: {}, modelTolerance: 1e-6 },
    { dailyDiscount: 0.9, engine: {}, modelTolerance: 1e-6 },
  ];
  for (const { dailyDiscount, engine, modelTolerance } of cases) {
    const ridge = engine.lambda === undefined ? "estimated ridge" : `ridge ${engine.lambda}`;
    it(`equals a full refit over rounds of new rows (daily discount ${dailyDiscount}, ${ridge})`, async () => {
      const [inc, full] = [one.db, two.db];
      await resetTables(inc);
      await resetTables(full);
      const options = { ...ALWAYS, dailyDiscount, engine } satisfies CadenceOptions;
      await insertBoth([inc, full], 1000, 7, 0);
      const first = await runCadence(inc, options);
      await runCadence(full, { ...options, full: true });
      expect(first.refit).toMatchObject({
        kind: "full",
        reason: "no active policy to start from",
        baseVersionId: null,
      });
      expect(first.promoted).toBe(true);
      let base = first;
      let total = 1000;
      let promotions = 0;
      let sinceBase = 0;
      // Rounds of new rows, each newer (the discount's clock moves on), one with a new seed's cells.
      for (const [round, [n, seed, offsetDays]] of [
        [1500, 11, 15],
        [1000, 12, 31],
        [2000, 13, 40],
        [1500, 14, 50],
      ].entries()) {
        await insertBoth([inc, full], n!, seed!, offsetDays!);
        const a: ProdCadenceResult = await runCadence(inc, options);
        const b: ProdCadenceResult = await runCadence(full, { ...options, full: true });
        expect(a.refit, `round ${round}`).toMatchObject({
          kind: "incremental",
          baseVersionId: base.policyVersionId,
          baseRows: base.corpus.rowsRead,
          rowsRead: sinceBase + n!,
        });
        expect(b.refit).toMatchObject({ kind: "full", reason: expect.stringMatching(/^--full/), rowsRead: total + n! });
        expect(b.refit.rowsRead).toBeGreaterThan(a.refit.rowsRead);
        expect(a.promoted, `${a.gate.reason} / ${b.gate.reason}`).toBe(b.promoted);
        expect(a.corpus.rowsRead).toBe(b.corpus.rowsRead);
        expect(a.corpus.split).toEqual(b.corpus.split);
        expect(a.learned.integrity.ok).toBe(true);
        expect(a.learned.integrity.engineRows).toBe(sinceBase + n!);
        expect(a.learned.integrity.sumsCompared).toBe(dailyDiscount === 1);
        // The coverage of every row in the models (the base's and the ones read), not of this run's reads alone.
        expectSameCoverage(a.learned.coverage, b.learned.coverage, `round ${round} coverage`);
        expect(a.learned.coverage.rows).toBe(a.corpus.rowsRead);
        // The evaluated candidate (the training slice's models) is the same: so are its estimates.
        expectClose(
          numbersOf([a.evaluation!.candidate, a.gate.difference]),
          numbersOf([b.evaluation!.candidate, b.gate.difference]),
          "estimates",
          modelTolerance,
        );
        expectClose(numbersOf(a.learned.shrinkage), numbersOf(b.learned.shrinkage), "shrinkage", modelTolerance);
        total += n!;
        sinceBase += n!;
        if (!a.promoted) continue;
        sinceBase = 0;
        promotions++;
        expectSamePolicy(await activeEngine(inc), await activeEngine(full), modelTolerance);
        base = a;
        // For the next round's base: the version records its basis and Σr² (one per model).
        const active = await readActivePolicy(inc);
        expect(active?.rewardSquares?.length).toBe((await activeEngine(inc)).exportStatistics().counts.length);
        expect((await readActivePolicy(full))?.parameters.corpus).toHaveProperty("basis");
        // Its coverage sums: per cell, three numbers per model.
        const { coverage } = (active!.parameters.corpus as { basis: { coverage: PackedCoverageSums } }).basis;
        expect([...coverage.models].sort()).toEqual([...a.learned.coverage.models].sort());
        expect(coverage.cells.map(([, sums]) => sums.length)).toEqual(
          a.learned.coverage.cells.map(() => 3 * coverage.models.length),
        );
      }
      // The chain was extended: an incremental version was the base of the next incremental run.
      expect(promotions).toBeGreaterThanOrEqual(2);
    });
  }

  it("reads nothing new when nothing was added: no held-out rows, not promoted, the base's rows still counted", async () => {
    const db = one.db;
    await resetTables(db);
    await insertOutcomes(db, { n: 1500, source: "prod" });
    const first = await runCadence(db, ALWAYS);
    const second = await runCadence(db, ALWAYS);
    expect(second.refit).toMatchObject({ kind: "incremental", rowsRead: 0, baseVersionId: first.policyVersionId });
    expect(second.corpus.rowsRead).toBe(1500);
    // The coverage is the base's: every row in the models, though none was read.
    expect(second.learned.coverage.rows).toBe(1500);
    expectSameCoverage(second.learned.coverage, first.learned.coverage, "coverage");
    expect(second.promoted).toBe(false);
    expect(second.gate.reason).toMatch(/^nothing to evaluate on/);
    expect(formatCadenceReport(second)).toMatch(
      new RegExp(
        `\\nrefit +incremental from version ${first.policyVersionId} \\(1500 rows up to id 1500\\) \\+ 0 rows read\\n`,
      ),
    );
    expect(formatCadenceReport(first)).toMatch(/\nrefit +full, 1500 rows read: no active policy to start from\n/);
    expect(second.timings.map((t) => t.step)).toContain("base");
  });

  it("stays incremental when outcomes arrive unjudged while a run reads: the basis stops at the last judged row", async () => {
    const db = one.db;
    await resetTables(db);
    await insertOutcomes(db, { n: 1500, source: "prod" });
    // 30 outcomes written (unjudged) after the judge step, before the split: the read skips them.
    let arrived = false;
    const busy = new Proxy(db, {
      get(target, key) {
        if (key !== "query") return Reflect.get(target, key);
        return async (sql: string, params?: readonly unknown[]) => {
          if (!arrived && /^WITH corpus AS/.test(sql)) {
            arrived = true;
            await insertOutcomes(target, { n: 30, seed: 5, source: "prod", offsetDays: 20, judged: false });
          }
          return target.query(sql, params);
        };
      },
    }) as Db;
    const first = await runCadence(busy, ALWAYS);
    expect(arrived && first.promoted).toBe(true);
    expect(first.corpus.training.unjudged + first.corpus.heldOut.unjudged).toBe(30);
    expect((await readActivePolicy(db))?.parameters.corpus).toMatchObject({
      highWaterId: 1530,
      basis: { fingerprint: { highWaterId: 1500, rows: 1500, lastJudgedId: 1500 } },
    });
    await insertOutcomes(db, { n: 200, seed: 6, source: "prod", offsetDays: 25, judged: false });
    const never = { ...ALWAYS, gateMargin: 1e9 };
    const next = await runCadence(db, never);
    expect(next.refit).toMatchObject({ kind: "incremental", baseHighWaterId: 1500, rowsRead: 230 });
    expect(next.corpus.rowsRead).toBe(1730);
    const full = await runCadence(db, { ...never, full: true });
    expect(full.corpus.split).toEqual(next.corpus.split);
    expectClose(numbersOf(next.learned.shrinkage), numbersOf(full.learned.shrinkage), "shrinkage", 1e-6);
    expectClose(numbersOf(next.evaluation), numbersOf(full.evaluation), "evaluation", 1e-6);
  });

  describe("falls back to a full refit, and says why", () => {
    async function promotedBase(db: Db): Promise<ProdCadenceResult> {
      await resetTables(db);
      await insertOutcomes(db, { n: 1500, source: "prod" });
      const first = await runCadence(db, ALWAYS);
      expect(first.promoted).toBe(true);
      await insertOutcomes(db, { n: 200, seed: 3, source: "prod", offsetDays: 20 });
      return first;
    }

    it("--full, another daily discount, other row bounds", async () => {
      const db = one.db;
      await promotedBase(db);
      const cases: [Partial<CadenceOptions>, RegExp][] = [
        [{ full: true }, /^--full: a refit from scratch was asked for$/],
        [{ dailyDiscount: 0.5 }, /was fitted with a daily discount of 1, this run uses 0\.5$/],
        [{ minPropensity: 1e-3 }, /was fitted with the row bounds .*"minPropensity":0\.000001/],
      ];
      for (const [extra, reason] of cases) {
        const result = await runCadence(db, { ...ALWAYS, gateMargin: 1e9, ...extra });
        expect(result.refit.kind, JSON.stringify(extra)).toBe("full");
        expect(result.refit.reason).toMatch(reason);
        expect(result.refit.rowsRead).toBe(1700);
      }
      // The same base is still usable by a run that matches it.
      expect((await runCadence(db, { ...ALWAYS, gateMargin: 1e9 })).refit.kind).toBe("incremental");
    });

    it("a row committed late below the mark, or deleted", async () => {
      const db = one.db;
      await resetTables(db);
      await insertOutcomes(db, { n: 1500, source: "prod" });
      // Id 17 taken but not committed when the base reads (sequence ids are not commit order).
      const copyOf18 = `INSERT INTO routing_outcomes (id, created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused, reward, source)
         OVERRIDING SYSTEM VALUE
         SELECT 17, created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused, reward, source FROM routing_outcomes WHERE id = 18`;
      await db.query("DELETE FROM routing_outcomes WHERE id = 17");
      const first = await runCadence(db, ALWAYS);
      expect(first.promoted).toBe(true);
      expect((await readActivePolicy(db))?.parameters.corpus).toMatchObject({
        highWaterId: 1500,
        basis: { fingerprint: { highWaterId: 1500, rows: 1499, judged: 1499 } },
      });
      await insertOutcomes(db, { n: 200, seed: 3, source: "prod", offsetDays: 20 });
      const v = `the active policy (version ${first.policyVersionId}) cannot be extended: the corpus holds`;
      const cases: [string, RegExp][] = [
        [
          copyOf18,
          / 1 more row\(s\) than when they were fitted \(committed late, below the mark\) at or below id 1500$/,
        ],
        ["DELETE FROM routing_outcomes WHERE id = 20", / as many rows as when they were fitted, but not the same ones/],
        [
          "DELETE FROM routing_outcomes WHERE id = 30",
          / 1 fewer row\(s\) than when they were fitted \(deleted or moved/,
        ],
      ];
      for (const [change, reason] of cases) {
        await db.query(change);
        const result = await runCadence(db, { ...ALWAYS, gateMargin: 1e9 });
        expect(result.refit.kind, change).toBe("full");
        expect(result.refit.reason.startsWith(v), result.refit.reason).toBe(true);
        expect(result.refit.reason).toMatch(reason);
      }
      expect(await scalar(db, "SELECT count(*)::int8 AS value FROM routing_outcomes")).toBe(1698);
    });

    it("a version without a basis (written before incremental refits)", async () => {
      const db = one.db;
      const first = await promotedBase(db);
      await db.query(
        "UPDATE policy_versions SET parameters = jsonb_set(parameters, '{corpus}', '{\"highWaterId\": 1500}'), reward_squares = NULL WHERE id = $1",
        [first.policyVersionId],
      );
      const result = await runCadence(db, { ...ALWAYS, gateMargin: 1e9 });
      expect(result.refit.reason).toBe(
        `the active policy (version ${first.policyVersionId}) records no refit basis (it predates incremental refits)`,
      );
      expect(result.refit.kind).toBe("full");
    });

    it("a basis without coverage sums (recorded before them): one full refit, then incremental again", async () => {
      const db = one.db;
      const first = await promotedBase(db);
      await db.query("UPDATE policy_versions SET parameters = parameters #- '{corpus,basis,coverage}' WHERE id = $1", [
        first.policyVersionId,
      ]);
      // Enough new rows for the candidate to differ from the incumbent where the gate can tell.
      await insertOutcomes(db, { n: 1500, seed: 11, source: "prod", offsetDays: 25 });
      const result = await runCadence(db, ALWAYS);
      expect(result.refit.kind).toBe("full");
      expect(result.refit.reason).toBe(
        `the active policy (version ${first.policyVersionId}) records no coverage sums in its refit basis ` +
          "(it predates them): refitting whole, so that the coverage table covers every row in the models",
      );
      expect(result.promoted, result.gate.reason).toBe(true);
      expect(result.learned.coverage.rows).toBe(3200);
      await insertOutcomes(db, { n: 300, seed: 4, source: "prod", offsetDays: 30 });
      const next = await runCadence(db, { ...ALWAYS, gateMargin: 1e9 });
      expect(next.refit).toMatchObject({ kind: "incremental", baseVersionId: result.policyVersionId, rowsRead: 300 });
      expect(next.learned.coverage.rows).toBe(3500);
      const full = await runCadence(db, { ...ALWAYS, gateMargin: 1e9, full: true });
      expectSameCoverage(next.learned.coverage, full.learned.coverage, "coverage");
    });
  });
});

it("linucb cadence: --daily-discount is checked as a usage error (exit 2); --full and it are in the help", async () => {
  for (const value of ["0", "1.5", "x"]) {
    const run = await linucb(["cadence", "--mode", "prod", "--daily-discount", value]);
    expect(run.code, value).toBe(2);
    expect(run.stderr).toMatch(/--daily-discount`? must be a number in [[(]0, 1\]; received "/);
  }
  const help = (await linucb(["cadence", "--help"])).stdout;
  expect(help).toMatch(/--full +prod: refit from scratch/);
  expect(help).toMatch(/--daily-discount G +forgetting: a row weighs G\^\(age in days\)/);
});
