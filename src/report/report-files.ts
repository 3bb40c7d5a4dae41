/**
 * Writes a cadence's report files: `cadence-<mode>-run-<id>.html` (the self-contained page) and
 * `cadence-<mode>-run-<id>.json` (the full result), into a folder created if missing. Each file is
 * written aside and renamed into place, so a reader never sees half a report.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { CadenceResult } from "../cadence/index.js";
import { renderHtmlReport } from "./html-report.js";

/** The paths written by {@link writeReportFiles}. */
export interface ReportFiles {
  readonly html: string;
  readonly json: string;
}

/** Default folder of the report files, next to the embedded database. */
export const DEFAULT_REPORT_DIR = "./.linucb/reports";

function writeAtomically(path: string, text: string): void {
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, text);
  renameSync(aside, path);
}

/** Writes the HTML and JSON reports of `result` into `dir`; returns their absolute paths. */
export function writeReportFiles(result: CadenceResult, dir: string = DEFAULT_REPORT_DIR): ReportFiles {
  const folder = resolve(dir);
  mkdirSync(folder, { recursive: true });
  const base = join(folder, `cadence-${result.mode}-run-${result.runId}`);
  const files = { html: `${base}.html`, json: `${base}.json` };
  writeAtomically(files.html, renderHtmlReport(result));
  writeAtomically(files.json, `${JSON.stringify(result, null, 2)}\n`);
  return files;
}
