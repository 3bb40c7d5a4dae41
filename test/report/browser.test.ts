/**
 * The report pages in a real browser: headless Chromium (Debian's, through playwright-core; see
 * scripts/headless-chromium.ts) renders the warm-up page, a promoted and a not-promoted production
 * page and the history page of the demo runs, at 1400 px and as printed, and checks that every
 * chart is there and laid out: a non-zero size, inside the page, no text cut off by its view box,
 * no sideways scrolling, no script, nothing fetched from the network. A page made broken on
 * purpose shows that the measurement catches what it checks.
 *
 * As in test/package/browser.test.ts: in CI (CI=true) a missing Chromium fails; elsewhere the suite
 * is skipped with a printed note.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  findChromium,
  launchChromium,
  measureLayout,
  openPage,
  type PageLayout,
} from "../../scripts/headless-chromium.js";
import { writeDemoReports, type DemoRun } from "../../scripts/report-demo.js";

const RUN_PAGE_CHARTS = ["routing-map", "traffic-shift", "estimates", "estimates-table", "coverage-map"];
/** A4 at 96 dpi less the default margins: the width a printed page lays out in. */
const PRINT_WIDTH = 720;

const inCi = process.env.CI === "true" || process.env.CI === "1";
const haveChromium = findChromium() !== undefined;
if (!haveChromium && !inCi)
  process.stderr.write(
    "report browser test skipped: no Chromium (apt-get install -y chromium, or set CHROMIUM_PATH)\n",
  );

let dir: string;
let runs: DemoRun[];
let browser: Browser;

beforeAll(async () => {
  if (!haveChromium && !inCi) return;
  dir = mkdtempSync(join(tmpdir(), "linucb-report-browser-"));
  runs = await writeDemoReports(dir);
  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function layoutOf(path: string, options: { width?: number; print?: boolean } = {}): Promise<PageLayout> {
  const page = await openPage(browser, path, options.width ?? 1400);
  try {
    if (options.print === true) await page.emulateMedia({ media: "print" });
    return await measureLayout(page);
  } finally {
    await page.context().close();
  }
}

function expectLaidOut(layout: PageLayout, charts: readonly string[]): void {
  expect(layout.charts.map((c) => c.chart)).toEqual(expect.arrayContaining([...charts]));
  for (const chart of layout.charts) {
    expect(chart.width, chart.chart).toBeGreaterThan(100);
    expect(chart.height, chart.chart).toBeGreaterThan(40);
    expect(chart.overflowsPage, chart.chart).toBe(false);
    expect(chart.textsOutside, chart.chart).toEqual([]);
  }
  expect(layout.horizontalScroll).toBe(false);
  expect(layout.scripts).toBe(0);
  expect(layout.external).toEqual([]);
}

describe.skipIf(!haveChromium && !inCi)("report pages in headless Chromium", () => {
  it("the demo runs are a warm-up, a promotion, a production run that was not promoted and one with nothing to compare", () => {
    expect(runs.map((r) => [r.result.mode, r.result.promoted])).toEqual([
      ["warmup", false],
      ["prod", true],
      ["prod", false],
      ["prod", false],
    ]);
    expect(runs.map((r) => r.result.gate.passed).slice(1)).toEqual([true, false, false]);
    expect(runs[2]!.result.evaluation).toBeNull();
    expect(runs[3]!.result.evaluation).not.toBeNull();
  });

  it("lays out every chart of the warm-up page, with the warm-up's own charts, and a why box exactly when its gate failed", async () => {
    const layout = await layoutOf(runs[0]!.files.html);
    expectLaidOut(layout, [...RUN_PAGE_CHARTS, "cells", "learning-curve"]);
    expect(layout.boxes).toEqual(runs[0]!.result.gate.passed ? [] : ["why-not-promoted"]);
  });

  it("lays out every chart of the production pages, with the why-not-promoted box only when nothing was promoted", async () => {
    const promoted = await layoutOf(runs[1]!.files.html);
    // Production pages add the gate's support checks per policy.
    expectLaidOut(promoted, [...RUN_PAGE_CHARTS, "gate-support"]);
    expect(promoted.boxes).toEqual([]);
    const kept = await layoutOf(runs[3]!.files.html);
    expectLaidOut(kept, [...RUN_PAGE_CHARTS, "gate-support"]);
    expect(kept.boxes).toEqual(["why-not-promoted"]);
    // Nothing held out: the held-out charts give way to a sentence; the coverage table of every row read remains.
    const nothing = await layoutOf(runs[2]!.files.html);
    expectLaidOut(nothing, ["coverage-map"]);
    expect(nothing.charts.map((c) => c.chart)).toEqual(["coverage-map"]);
    expect(nothing.boxes).toEqual(["why-not-promoted"]);
  });

  it("lays out the history page: the run table and a trend chart per mode", async () => {
    expectLaidOut(await layoutOf(runs[3]!.files.index), ["runs", "trend-prod", "trend-warmup"]);
  });

  it("fits every page into the width of a printed page", async () => {
    for (const path of [runs[0]!.files.html, runs[3]!.files.html, runs[3]!.files.index]) {
      const layout = await layoutOf(path, { width: PRINT_WIDTH, print: true });
      for (const chart of layout.charts) expect(chart.overflowsPage, `${path}: ${chart.chart}`).toBe(false);
      expect(layout.horizontalScroll, path).toBe(false);
    }
  });

  it("catches a chart with text outside its view box, a chart wider than the page, a script and a network fetch", async () => {
    const broken = join(dir, "broken.html");
    writeFileSync(
      broken,
      `<!doctype html><html><body style="margin:0">
<svg class="chart" data-chart="clipped" viewBox="0 0 200 100" width="200" height="100">
<text x="150" y="50">a label far too long to fit</text></svg>
<table class="chart" data-chart="wide" style="width:3000px"><tr><td>x</td></tr></table>
<svg class="chart" data-chart="empty" width="0" height="0"></svg>
<script>void 0</script><img src="https://example.invalid/x.png" alt=""></body></html>`,
    );
    const layout = await layoutOf(broken);
    const byName = new Map(layout.charts.map((c) => [c.chart, c]));
    expect(byName.get("clipped")?.textsOutside).toEqual(["a label far too long to fit"]);
    expect(byName.get("wide")?.overflowsPage).toBe(true);
    expect(byName.get("empty")?.width).toBe(0);
    expect(layout.horizontalScroll).toBe(true);
    expect(layout.scripts).toBe(1);
    expect(layout.external).toEqual(["https://example.invalid/x.png"]);
  });
});
