/**
 * The history of runs, for the index page: one entry per report in the report folder, read from
 * the run's JSON file (`cadence-<mode>-run-<id>.json`, the full result).
 *
 * Built from the folder rather than from the training_runs table, because the index lists pages:
 * the folder holds exactly the pages it can link to (a run written with --no-report or into another
 * --report-dir has no page here, and a page outlives a database that was reset), it needs no
 * database connection, and each JSON file already holds every figure the index shows. The cost: a
 * run that failed wrote no report, so the index does not list it (`linucb runs` does).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** The figure a run is summed up by, for the trend chart. */
export interface Headline {
  /**
   * `'match-share'` (warm-up, against the threshold), `'difference'` (production, paired gate: the
   * estimated gain Δ of the candidate over the incumbent, with its lower bound, against the margin),
   * `'estimate'` (production, earlier gate: the candidate's estimate and lower bound, against the
   * incumbent's estimate).
   */
  readonly kind: "match-share" | "difference" | "estimate";
  /** What the figure is, e.g. "match share", "Δ SNIPS" or "SNIPS". */
  readonly name: string;
  readonly value: number;
  /** The candidate's lower confidence bound (production). */
  readonly lower: number | null;
  /** What it is compared with: the warm-up threshold, or the incumbent's estimate (production). */
  readonly reference: number | null;
}

/** One run of the index. */
export interface HistoryEntry {
  readonly runId: number;
  readonly mode: string;
  /** When the report was written (ISO 8601); the JSON file's modification time for older reports. */
  readonly date: string;
  readonly passed: boolean;
  readonly reason: string;
  readonly promoted: boolean;
  readonly policyVersionId: number | null;
  /** The policy compared with, in words. */
  readonly incumbent: string;
  readonly headline: Headline | null;
  /** The run's page, when it exists in the folder (a file name). */
  readonly page: string | null;
  readonly json: string;
}

/** The index's data: the runs newest first, and the files that could not be read. */
export interface History {
  readonly entries: readonly HistoryEntry[];
  readonly unreadable: readonly { readonly file: string; readonly error: string }[];
}

/** The JSON report file name pattern. */
export const REPORT_JSON = /^cadence-([a-z]+)-run-(\d+)\.json$/;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function headlineOf(result: Json): Headline | null {
  const gate = isObject(result.gate) ? result.gate : {};
  if (result.mode === "warmup") {
    const c = isObject(result.convergence) ? result.convergence : {};
    const share = num(c.matchShare);
    return share === null
      ? null
      : { kind: "match-share", name: "match share", value: share, lower: null, reference: num(c.threshold) };
  }
  if (typeof gate.estimator !== "string") return null;
  const name = gate.estimator.toUpperCase();
  if ("lowerBound" in gate) {
    const difference = num(gate.difference);
    return difference === null
      ? null
      : {
          kind: "difference",
          name: `Δ ${name}`,
          value: difference,
          lower: num(gate.lowerBound),
          reference: num(gate.margin),
        };
  }
  const value = num(gate.candidateValue);
  return value === null
    ? null
    : { kind: "estimate", name, value, lower: num(gate.candidateLower), reference: num(gate.incumbentValue) };
}

function incumbentOf(result: Json): string {
  // No evaluation: no held-out row, nothing was compared.
  if (!isObject(result.evaluation)) return "— (nothing compared)";
  const incumbent = isObject(result.evaluation.incumbent) ? result.evaluation.incumbent : {};
  return incumbent.kind === "active" ? `active policy v${String(incumbent.policyVersionId)}` : "uniform policy";
}

/** A history entry from a parsed JSON report; throws a TypeError naming what is missing. */
export function historyEntryOf(result: unknown, file: string, fallbackDate: string, pageExists: boolean): HistoryEntry {
  if (!isObject(result)) throw new TypeError("the file does not hold a JSON object");
  const runId = num(result.runId);
  if (runId === null || typeof result.mode !== "string")
    throw new TypeError("the file has no runId or mode: not a cadence result");
  const gate = isObject(result.gate) ? result.gate : null;
  if (gate === null || typeof gate.passed !== "boolean") throw new TypeError("the file has no gate verdict");
  return {
    runId,
    mode: result.mode,
    date: typeof result.reportWrittenAt === "string" ? result.reportWrittenAt : fallbackDate,
    passed: gate.passed,
    reason: typeof gate.reason === "string" ? gate.reason : "",
    promoted: result.promoted === true,
    policyVersionId: num(result.policyVersionId),
    incumbent: incumbentOf(result),
    headline: headlineOf(result),
    page: pageExists ? file.replace(/\.json$/, ".html") : null,
    json: file,
  };
}

/** Newest first: by date, then by run id. */
function newestFirst(a: HistoryEntry, b: HistoryEntry): number {
  return b.date.localeCompare(a.date) || b.runId - a.runId;
}

/** Reads every JSON report in `dir` (a missing folder is an empty history). */
export function readHistory(dir: string): History {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { entries: [], unreadable: [] };
    throw error;
  }
  const files = names.filter((f) => REPORT_JSON.test(f));
  const present = new Set(names);
  const entries: HistoryEntry[] = [];
  const unreadable: { file: string; error: string }[] = [];
  for (const file of files.sort()) {
    const path = join(dir, file);
    try {
      const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
      entries.push(
        historyEntryOf(parsed, file, statSync(path).mtime.toISOString(), present.has(file.replace(/\.json$/, ".html"))),
      );
    } catch (error) {
      unreadable.push({ file, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { entries: entries.sort(newestFirst), unreadable };
}
