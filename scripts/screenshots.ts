/**
 * `npm run screenshots`: regenerates the report screenshots in docs/screenshots/ — the warm-up
 * page, the page of a production run that was not promoted, and the history page — from the demo
 * runs of report-demo.ts, rendered by headless Chromium at 1400 px. Needs Chromium (see
 * headless-chromium.ts).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium, openPage } from "./headless-chromium.js";
import { writeDemoReports } from "./report-demo.js";

/** The repository root (this file runs from dist/scripts/). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

async function main(): Promise<void> {
  const out = join(ROOT, "docs", "screenshots");
  mkdirSync(out, { recursive: true });
  const reports = mkdtempSync(join(tmpdir(), "linucb-screenshots-"));
  try {
    const [warmup, , , notPromoted] = await writeDemoReports(reports);
    const pages = [
      { file: warmup!.files.html, name: "report-warmup.png" },
      { file: notPromoted!.files.html, name: "report-prod.png" },
      { file: warmup!.files.index, name: "report-index.png" },
    ];
    const browser = await launchChromium();
    try {
      for (const { file, name } of pages) {
        const page = await openPage(browser, file);
        await page.screenshot({ path: join(out, name), fullPage: true });
        await page.context().close();
        process.stdout.write(`wrote ${join("docs", "screenshots", name)}\n`);
      }
    } finally {
      await browser.close();
    }
  } finally {
    rmSync(reports, { recursive: true, force: true });
  }
}

await main();
