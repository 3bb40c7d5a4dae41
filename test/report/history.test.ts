import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readHistory } from "../../src/report/history.js";
import { renderIndexPage, trendPoints } from "../../src/report/index-page.js";
import { writeReportFiles } from "../../src/report/report-files.js";
import { convergenceCell, prodResult, routing, warmupResult } from "./fake-result.js";

const summary = routing(["m-a", "m-b"], [{ cell: "x", candidate: "m-a", incumbent: "m-b" }]);
const failedGate = {
  passed: false,
  reason: "does not beat",
  estimator: "snips",
  candidateLower: 0.5,
  candidateValue: 0.6,
  incumbentValue: 0.55,
  effectiveSampleSize: 250,
  minEffectiveSampleSize: 100,
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "linucb-history-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("history", () => {
  it("lists every report of the folder newest first, with its verdict, gate figures and promotion", () => {
    const warmup = warmupResult([convergenceCell("a:1", "m-a", "m-a")], summary);
    writeReportFiles(warmup, dir, { now: new Date("2026-01-01T10:00:00Z") });
    writeReportFiles(prodResult({ routing: summary, runId: 2 }), dir, { now: new Date("2026-01-02T10:00:00Z") });
    const files = writeReportFiles(
      prodResult({ routing: summary, runId: 3, gate: failedGate, incumbentVersion: 3 }),
      dir,
      {
        now: new Date("2026-01-03T10:00:00Z"),
      },
    );
    const history = readHistory(dir);
    expect(history.unreadable).toEqual([]);
    expect(
      history.entries.map((e) => [e.runId, e.mode, e.date, e.passed, e.promoted, e.policyVersionId, e.incumbent]),
    ).toEqual([
      [3, "prod", "2026-01-03T10:00:00.000Z", false, false, null, "active policy v3"],
      [2, "prod", "2026-01-02T10:00:00.000Z", true, true, 3, "uniform policy"],
      [1, "warmup", "2026-01-01T10:00:00.000Z", true, false, null, "uniform policy"],
    ]);
    expect(history.entries[0]!.headline).toEqual({
      kind: "estimate",
      name: "SNIPS",
      value: 0.6,
      lower: 0.5,
      reference: 0.55,
    });
    expect(history.entries[2]!.headline).toEqual({
      kind: "match-share",
      name: "match share",
      value: 1,
      lower: null,
      reference: 0.7,
    });
    expect(history.entries[0]!.page).toBe("cadence-prod-run-3.html");
    // The index was rewritten by the last write, and links every page.
    const index = readFileSync(files.index, "utf8");
    for (const page of ["cadence-warmup-run-1.html", "cadence-prod-run-2.html", "cadence-prod-run-3.html"])
      expect(index).toContain(`href="${page}"`);
    expect(index).toContain("policy version 3");
    expect(index).toContain('data-chart="trend-prod"');
    expect(index).toContain('data-chart="trend-warmup"');
    expect(trendPoints(history, "prod").map((e) => e.runId)).toEqual([2, 3]);
  });

  it("sums a paired-gate run up by its estimated gain Δ and lower bound against the margin, and trends runs of the newest kind", () => {
    const paired = {
      passed: false,
      reason: "not above the margin",
      estimator: "snips",
      alpha: 0.025,
      margin: 0,
      difference: 0.012,
      lowerBound: -0.004,
      candidateValue: 0.53,
      incumbentValue: 0.52,
      minEffectiveSampleSize: 100,
      support: null,
    };
    writeReportFiles(prodResult({ routing: summary, runId: 2 }), dir, { now: new Date("2026-01-02T10:00:00Z") });
    const files = writeReportFiles(prodResult({ routing: summary, runId: 4, gate: paired, incumbentVersion: 3 }), dir, {
      now: new Date("2026-01-04T10:00:00Z"),
    });
    const history = readHistory(dir);
    expect(history.entries[0]!.headline).toEqual({
      kind: "difference",
      name: "Δ SNIPS",
      value: 0.012,
      lower: -0.004,
      reference: 0,
    });
    expect(trendPoints(history, "prod").map((e) => e.runId)).toEqual([4]);
    const index = readFileSync(files.index, "utf8");
    expect(index).toContain("Δ SNIPS 0.0120, lower bound -0.0040 vs margin 0.0000");
    expect(index).toContain("the candidate&#39;s estimated gain over the incumbent");
  });

  it("lists a report whose page is gone without a link, and names the files it cannot read", () => {
    const files = writeReportFiles(prodResult({ routing: summary, runId: 5 }), dir);
    rmSync(files.html);
    writeFileSync(join(dir, "cadence-prod-run-6.json"), "{ not json");
    writeFileSync(join(dir, "cadence-prod-run-8.json"), JSON.stringify({ hello: 1 }));
    writeFileSync(join(dir, "notes.json"), "{}");
    const history = readHistory(dir);
    expect(history.entries.map((e) => [e.runId, e.page])).toEqual([[5, null]]);
    expect(history.unreadable.map((u) => u.file)).toEqual(["cadence-prod-run-6.json", "cadence-prod-run-8.json"]);
    expect(history.unreadable[1]!.error).toMatch(/no runId or mode/);
    const page = renderIndexPage(history);
    expect(page).not.toContain('href="cadence-prod-run-5.html"');
    expect(page).toContain("cadence-prod-run-6.json");
  });

  it("is empty for a folder that does not exist, and takes the file time for reports without reportWrittenAt", () => {
    expect(readHistory(join(dir, "missing"))).toEqual({ entries: [], unreadable: [] });
    const old = { ...prodResult({ routing: summary, runId: 9 }) } as Record<string, unknown>;
    writeFileSync(join(dir, "cadence-prod-run-9.json"), JSON.stringify(old));
    const [entry] = readHistory(dir).entries;
    expect(entry!.date).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(renderIndexPage({ entries: [], unreadable: [] })).toContain("No run has written a report here yet.");
    writeFileSync(join(dir, "cadence-prod-run-10.json"), JSON.stringify({ ...old, runId: 10, evaluation: null }));
    expect(readHistory(dir).entries.find((e) => e.runId === 10)?.incumbent).toBe("— (nothing compared)");
  });
});
