/**
 * Incremental refits: whether a production run can start from the active policy's statistics and
 * read only the rows added since, or must read the corpus whole — and what a promoted version
 * records so that the next run can.
 *
 * The base is the active policy, the only version whose statistics are known to cover a prefix of
 * the corpus the next run trains on: the run holds out rows above its high-water mark H only, so
 * every row at or below H is on the training side, and the training statistics are exactly
 *
 *   (base statistics, discounted to this run's clock) ⊕ accumulate(training rows with id > H).
 *
 * The snapshot of a version fitted with statistics carries Σxxᵀ, Σrx and n of every model bit for
 * bit; Σr² is stored beside it (policy_versions.reward_squares, migration 011); the rest is its
 * basis, `parameters.corpus.basis` ({@link RefitBasis}): H, the fingerprint of the rows at or below
 * H when it was fitted (src/store/corpus-prefix.ts), the discount and its clock, the row bounds,
 * and the coverage sums of every row in its models (./coverage.ts), which the next run's coverage
 * table starts from. Candidates that were not promoted leave nothing: statistics of a run whose held-out rows
 * were above the incumbent's mark would cover rows the next run may hold out again.
 *
 * A run refits whole — and its result says why ({@link RefitPlan}) — when asked (`--full`), when
 * there is no active policy, when the active version has no basis, no coverage sums in it or no Σr²
 * (it predates them, or rows changed while it was fitted), when it was fitted with another discount or other row bounds
 * (a row's validity or weight would differ), another dimension, or without statistics, or when the
 * rows at or below its mark are no longer those it was fitted on: a row committed late with an id
 * below the mark (sequence ids are handed out at insert, not at commit), a row deleted or moved out
 * of the corpus, a row that was unjudged then and is judged now. The engine options that are not
 * statistics (α, λ, pooling, shrinkage, exploration) may change freely: the models are refitted from
 * the statistics at every run. New models (arms) are fine too: the base's arms get their places
 * among the new sorted arms, the new ones start empty.
 */
import type { LinUCBEngine, LinUCBStatistics } from "../engine/types.js";
import {
  corpusPrefixFingerprint,
  describePrefixChange,
  type ActivePolicy,
  type CorpusPrefix,
  type CorpusPrefixFingerprint,
  type CorpusTable,
  type Db,
  type JsonObject,
  type RowBounds,
} from "../store/index.js";
import {
  isPackedCoverageSums,
  packCoverageSums,
  type CoverageSumsByCell,
  type PackedCoverageSums,
} from "./coverage.js";
import { discountFactor, discountStatistics, type Forgetting } from "./daily-discount.js";

/** What a promoted version records for the next incremental refit (`parameters.corpus.basis`). JSON-able. */
export interface RefitBasis {
  /** The rows at or below the high-water mark the statistics cover, as they were when fitted. */
  readonly fingerprint: CorpusPrefixFingerprint;
  readonly dimension: number;
  readonly bounds: RowBounds;
  /** The daily discount the statistics are weighted with (1: none). */
  readonly dailyDiscount: number;
  /** The discount's clock: the instant the weights are relative to (ms since the epoch). */
  readonly asOfMs: number;
  /**
   * The coverage sums of every row in the models (the base's, then the rows the run read, training
   * and held-out): raw rows and weights 1/π, never discounted (./coverage.ts says why).
   */
  readonly coverage: PackedCoverageSums;
}

/** How a run refits, and why. */
export type RefitPlan =
  | { readonly kind: "full"; readonly reason: string }
  | {
      readonly kind: "incremental";
      readonly reason: string;
      readonly baseVersionId: number;
      readonly basis: RefitBasis;
      /** The base's statistics in this run's arms, discounted to its clock, Σr² included. */
      readonly statistics: LinUCBStatistics;
    };

/** How a run refitted, in its result (`refit`). */
export interface RefitSummary {
  readonly kind: "full" | "incremental";
  /** Why (for a full refit of a prod run: why the base could not be used). */
  readonly reason: string;
  /** The version whose statistics the run started from; null for a full refit. */
  readonly baseVersionId: number | null;
  /** Its high-water mark: the run read only rows with ids above it (0 for a full refit). */
  readonly baseHighWaterId: number;
  /** Rows fitted into the base's statistics (0 for a full refit). */
  readonly baseRows: number;
  /** Rows this run read from the corpus (scanned: accepted, rejected and unjudged). */
  readonly rowsRead: number;
  /**
   * Why the promoted version records no basis (its next refit will be full); null when it does or nothing was promoted.
   */
  readonly basisNotRecorded: string | null;
}

/** What {@link checkBase} decides from. */
export interface BaseCheckInput {
  readonly table: CorpusTable;
  readonly active: ActivePolicy | null;
  /** The active policy restored (it holds the base's Σxxᵀ, Σrx and n). */
  readonly incumbent: LinUCBEngine | null;
  /** The high-water mark the split holds rows out above (the active policy's). */
  readonly highWaterId: number;
  readonly bounds: RowBounds;
  readonly dailyDiscount: number;
  /** `--full`. */
  readonly full: boolean;
}

/** Whether the active policy can be the refit's base, checked before the split (which then scans only the new rows). */
export type BaseCheck =
  | { readonly usable: false; readonly reason: string }
  | {
      readonly usable: true;
      readonly active: ActivePolicy;
      readonly incumbent: LinUCBEngine;
      readonly basis: RefitBasis;
      /** The prefix as it is now (equal to the basis's where it counts). */
      readonly now: CorpusPrefixFingerprint;
    };

/**
 * Checks whether the active policy can be the base (see the module comment): its basis, its Σr²,
 * its options, and — one scan of the rows at or below its mark — that those rows are still the ones
 * it was fitted on. The dimension and the arms are checked by {@link planRefit}, after the split.
 */
export async function checkBase(db: Db, input: BaseCheckInput): Promise<BaseCheck> {
  if (input.full) return { usable: false, reason: "--full: a refit from scratch was asked for" };
  const { active, incumbent } = input;
  if (active === null || incumbent === null) return { usable: false, reason: "no active policy to start from" };
  const v = `the active policy (version ${active.id})`;
  const basis = readBasis(active.parameters);
  if (basis === null) return { usable: false, reason: `${v} ${basisAbsence(active.parameters)}` };
  const mismatch = basisMismatch(basis, input, incumbent, active);
  if (mismatch !== null) return { usable: false, reason: `${v} ${mismatch}` };
  const now = await corpusPrefixFingerprint(db, input.table, basis.fingerprint.highWaterId);
  const change = describePrefixChange(basis.fingerprint, now);
  if (change !== null) return { usable: false, reason: `${v} cannot be extended: ${change}` };
  return { usable: true, active, incumbent, basis, now };
}

/** What the split may take as known of the rows at or below the base's mark; undefined without a base. */
export function knownPrefix(check: BaseCheck): CorpusPrefix | undefined {
  if (!check.usable) return undefined;
  const { now, basis, incumbent } = check;
  return {
    throughId: now.highWaterId,
    rows: now.rows,
    dimension: basis.dimension,
    models: incumbent.arms,
    newestAtMs: now.newestAtMs,
  };
}

/** What {@link planRefit} adds to the base check: this run's engine shape and clock. */
export interface RefitShape {
  readonly dimension: number;
  readonly arms: readonly string[];
  readonly forgetting: Forgetting;
}

/** How this run refits: from the checked base (its statistics in this run's arms, on its clock), or whole. */
export function planRefit(check: BaseCheck, shape: RefitShape): RefitPlan {
  if (!check.usable) return { kind: "full", reason: check.reason };
  const { active, incumbent, basis } = check;
  const v = `the active policy (version ${active.id})`;
  if (basis.dimension !== shape.dimension || incumbent.dimension !== shape.dimension) {
    return { kind: "full", reason: `${v} has dimension ${basis.dimension}, the corpus ${shape.dimension}` };
  }
  const missing = incumbent.arms.filter((arm) => !shape.arms.includes(arm));
  if (missing.length > 0)
    return { kind: "full", reason: `${v} has models this run does not: ${JSON.stringify(missing)}` };
  const exported = { ...incumbent.exportStatistics(), yy: active.rewardSquares! };
  const factor = discountFactor(basis.dailyDiscount, basis.asOfMs, shape.forgetting.asOfMs);
  return {
    kind: "incremental",
    reason:
      `version ${active.id}'s statistics (${basis.fingerprint.rows} rows up to id ${basis.fingerprint.highWaterId})` +
      (factor === 1 ? "" : `, discounted by ${factor}`) +
      ", and the rows after them",
    baseVersionId: active.id,
    basis,
    statistics: discountStatistics(withArms(exported, shape.arms), factor),
  };
}

/** Why the base's statistics do not fit this run, or null when they do. */
function basisMismatch(
  basis: RefitBasis,
  input: BaseCheckInput,
  incumbent: LinUCBEngine,
  active: ActivePolicy,
): string | null {
  if (basis.fingerprint.highWaterId > input.highWaterId) {
    return (
      `records statistics up to id ${basis.fingerprint.highWaterId}, ` +
      `above its high-water mark ${input.highWaterId}`
    );
  }
  if (!incumbent.options.statistics) return "was fitted without statistics";
  if (incumbent.options.discount !== 1) return `forgets per update (engine discount ${incumbent.options.discount})`;
  const models = incumbent.cells().length * incumbent.arms.length;
  if (active.rewardSquares === null || active.rewardSquares.length !== models) {
    return (
      `stored ${active.rewardSquares === null ? "no" : active.rewardSquares.length} Σr² ` +
      `values for its ${models} models`
    );
  }
  if (basis.dailyDiscount !== input.dailyDiscount) {
    return `was fitted with a daily discount of ${basis.dailyDiscount}, this run uses ${input.dailyDiscount}`;
  }
  if (!sameBounds(basis.bounds, input.bounds)) {
    return (
      `was fitted with the row bounds ${JSON.stringify(basis.bounds)}, ` +
      `this run uses ${JSON.stringify(input.bounds)}`
    );
  }
  return null;
}

/** Whether two row bounds accept the same rows (field by field: jsonb does not keep key order). */
function sameBounds(a: RowBounds, b: RowBounds): boolean {
  const sameReward =
    a.reward === null || b.reward === null
      ? a.reward === b.reward
      : a.reward.min === b.reward.min && a.reward.max === b.reward.max;
  return sameReward && a.minPropensity === b.minPropensity && a.maxFeatureMagnitude === b.maxFeatureMagnitude;
}

/** `stats` laid out over `arms` (a superset of its own): each model moved to its arm's place, new arms empty. */
export function withArms(stats: LinUCBStatistics, arms: readonly string[]): LinUCBStatistics {
  if (stats.arms.length === arms.length && stats.arms.every((arm, i) => arm === arms[i])) return stats;
  const d = stats.dimension;
  const p = (d * (d + 1)) / 2;
  const k = arms.length;
  const models = stats.cells.length * k;
  const xx = new Float64Array(models * p);
  const xr = new Float64Array(models * d);
  const counts = new Float64Array(models);
  const priorWeights = new Float64Array(models).fill(1);
  const yy = new Float64Array(models);
  stats.cells.forEach((_cell, c) => {
    stats.arms.forEach((arm, a) => {
      const from = c * stats.arms.length + a;
      const to = c * k + arms.indexOf(arm);
      xx.set(stats.xx.subarray(from * p, from * p + p), to * p);
      xr.set(stats.xr.subarray(from * d, from * d + d), to * d);
      counts[to] = stats.counts[from]!;
      priorWeights[to] = stats.priorWeights[from]!;
      yy[to] = stats.yy?.[from] ?? Number.NaN;
    });
  });
  return { ...stats, arms: [...arms], xx, xr, counts, priorWeights, yy };
}

/** The basis a version records, or null when it has none (or one this build cannot read). */
export function readBasis(parameters: JsonObject): RefitBasis | null {
  const corpus = parameters.corpus as JsonObject | undefined;
  const basis = (typeof corpus === "object" && corpus !== null ? corpus.basis : undefined) as RefitBasis | undefined;
  if (typeof basis !== "object" || basis === null) return null;
  const f = basis.fingerprint;
  const ok =
    typeof f === "object" &&
    f !== null &&
    Number.isSafeInteger(f.highWaterId) &&
    Number.isSafeInteger(f.rows) &&
    Number.isSafeInteger(f.judged) &&
    typeof f.idSum === "string" &&
    typeof f.judgedIdSum === "string" &&
    Number.isSafeInteger(f.lastJudgedId) &&
    (f.newestAtMs === null || Number.isFinite(f.newestAtMs)) &&
    Number.isInteger(basis.dimension) &&
    typeof basis.bounds === "object" &&
    basis.bounds !== null &&
    typeof basis.dailyDiscount === "number" &&
    Number.isFinite(basis.asOfMs) &&
    isPackedCoverageSums(basis.coverage);
  return ok ? basis : null;
}

/**
 * Why a version has no (readable) basis, from what it recorded instead. A basis without coverage
 * sums (recorded before them) is not extended: the run would know the coverage of the rows it reads
 * only, and the version it promotes could not record the coverage of its models either — so every
 * later run would under-report until a full refit. One full refit, once, records them.
 */
function basisAbsence(parameters: JsonObject): string {
  const corpus = parameters.corpus as JsonObject | undefined;
  const note = typeof corpus === "object" && corpus !== null ? corpus.basisNotRecorded : undefined;
  if (typeof note === "string") return `records no refit basis (${note})`;
  const basis = typeof corpus === "object" && corpus !== null ? corpus.basis : undefined;
  if (typeof basis === "object" && basis !== null && !Array.isArray(basis) && !("coverage" in basis)) {
    return (
      "records no coverage sums in its refit basis (it predates them): refitting whole, so that the " +
      "coverage table covers every row in the models"
    );
  }
  return "records no refit basis (it predates incremental refits)";
}

/** What a run read, for {@link basisAfterRefit}. */
export interface RefitReadCounts {
  /** The plan the run followed. */
  readonly plan: RefitPlan;
  /** Rows the run scanned (both slices). */
  readonly scanned: number;
  /** The highest id the run read up to (both slices' high-water marks). */
  readonly highWaterId: number;
  readonly dimension: number;
  readonly bounds: RowBounds;
  readonly forgetting: Forgetting;
  /** The coverage sums of every row in the run's models (the base's included). */
  readonly coverage: CoverageSumsByCell;
}

/**
 * The basis of the statistics a run fitted, to record with its version — or why there is none: the
 * rows at or below its high-water mark must be exactly those it covers (the base's and the ones it
 * scanned). A row that committed late below the mark while the run read (sequence ids are not
 * commit order) would be in the corpus but not in the statistics: then no basis is recorded and the
 * next run refits whole.
 *
 * The basis's own mark is the last judged row at or below the high-water mark, not the mark itself:
 * rows above it were unjudged when read (outcomes written while the run judged and split, say), so
 * none of them is in the statistics, and the next run — by then they are judged — reads them with
 * the rest. Were the mark the high-water mark, their judgement would change the prefix and force a
 * full refit at every run of a busy system.
 */
export async function basisAfterRefit(
  db: Db,
  table: CorpusTable,
  read: RefitReadCounts,
): Promise<{ readonly basis: RefitBasis } | { readonly notRecorded: string }> {
  const whole = await corpusPrefixFingerprint(db, table, read.highWaterId);
  const fromBase = read.plan.kind === "incremental" ? read.plan.basis.fingerprint.rows : 0;
  const expected = fromBase + read.scanned;
  if (whole.rows !== expected) {
    return {
      notRecorded:
        `the corpus held ${whole.rows} rows at or below id ${read.highWaterId} after the refit, ` +
        `which covers ${expected}: rows committed late or were removed while it read`,
    };
  }
  const fingerprint =
    whole.lastJudgedId === whole.highWaterId ? whole : await corpusPrefixFingerprint(db, table, whole.lastJudgedId);
  const { dimension, bounds, forgetting } = read;
  const { dailyDiscount, asOfMs } = forgetting;
  return {
    basis: { fingerprint, dimension, bounds, dailyDiscount, asOfMs, coverage: packCoverageSums(read.coverage) },
  };
}
