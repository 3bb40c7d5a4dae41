/**
 * Regenerates the figures section of bench/README.md from a saved JSON result, without re-running
 * the benchmark:
 *
 *   npm run build && node dist/bench/render-readme.js bench/results/<run>.json
 *
 * (`npm run bench -- --readme` does the same at the end of a run.)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderMarkdown, replaceFigures } from "./report.js";
import type { BenchReport } from "./results.js";

const readmePath = fileURLToPath(new URL("../../bench/README.md", import.meta.url));
const source = process.argv[2];
if (source === undefined) {
  process.stderr.write("usage: node dist/bench/render-readme.js bench/results/<run>.json\n");
  process.exitCode = 2;
} else {
  const report = JSON.parse(readFileSync(source, "utf8")) as BenchReport;
  writeFileSync(readmePath, replaceFigures(readFileSync(readmePath, "utf8"), renderMarkdown(report)));
  process.stderr.write(`figures of ${report.date} written to ${readmePath}\n`);
}
