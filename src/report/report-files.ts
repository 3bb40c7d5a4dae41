/**
 * Writes a cadence's report files into a folder created if missing:
 * `cadence-<mode>-run-<id>.html` (the self-contained page), `cadence-<mode>-run-<id>.json` (the full
 * result, with `reportWrittenAt`), and `index.html` (the history page of every report in the
 * folder), rewritten after every run. Each file is written aside and renamed into place, so a
 * reader never sees half a page.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { CadenceResult } from "../cadence/index.js";
import { readHistory } from "./history.js";
import { INDEX_PAGE, renderHtmlReport, type HtmlReportOptions } from "./html-report.js";
import { renderIndexPage } from "./index-page.js";

/** The paths written by {@link writeReportFiles}. */
export interface ReportFiles {
  readonly html: string;
  readonly json: string;
  /** The history page, rewritten. */
  readonly index: string;
}

/** Default folder of the report files, next to the embedded database. */
export const DEFAULT_REPORT_DIR = "./.linucb/reports";

function writeAtomically(path: string, text: string): void {
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, text);
  renameSync(aside, path);
}

/** Rewrites `index.html` of `dir` from the JSON reports in it; returns its absolute path. */
export function writeIndexPage(dir: string = DEFAULT_REPORT_DIR): string {
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true });
  const path = join(folder, INDEX_PAGE);
  writeAtomically(path, renderIndexPage(readHistory(folder)));
  return path;
}

/** Options of {@link writeReportFiles}. */
export interface WriteReportOptions extends HtmlReportOptions {
  /** The time recorded as `reportWrittenAt`. @default now */
  readonly now?: Date;
}

/** Writes the page and the JSON of `result` into `dir`, then rewrites the folder's history page; returns the paths. */
export function writeReportFiles(
  result: CadenceResult,
  dir: string = DEFAULT_REPORT_DIR,
  options: WriteReportOptions = {},
): ReportFiles {
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true });
  const base = join(folder, `cadence-${result.mode}-run-${result.runId}`);
  const html = `${base}.html`;
  const json = `${base}.json`;
  writeAtomically(html, renderHtmlReport(result, options));
  const written = { ...result, reportWrittenAt: (options.now ?? new Date()).toISOString() };
  writeAtomically(json, `${JSON.stringify(written, null, 2)}\n`);
  return { html, json, index: writeIndexPage(folder) };
}
