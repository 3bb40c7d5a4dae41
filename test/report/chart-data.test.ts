import { describe, expect, it } from "vitest";
import { estimateParts } from "../../src/evaluation/index.js";
import {
  coverageChart,
  coverageFromRouting,
  coverageFromTable,
  coverageSummary,
} from "../../src/report/coverage-map.js";
import { diagnosticsOf, ESTIMATOR_NOTES, ESTIMATORS } from "../../src/report/estimator-notes.js";
import { estimatesTable, estimateRows } from "../../src/report/estimates-chart.js";
import { luminance, MODEL_COLORS, modelColors, OKABE_ITO, sequential, textOn } from "../../src/report/palette.js";
import { trafficShiftChart, trafficShiftData } from "../../src/report/traffic-shift.js";
import { renderHtmlReport } from "../../src/report/html-report.js";
import { formatCadenceReport, formatEstimates } from "../../src/report/text-report.js";
import { learningCurveCaption, learningCurveChart } from "../../src/report/warmup-charts.js";
import { convergenceCell, prodResult, routing, warmupResult } from "./fake-result.js";

const MODELS = ["m-a", "m-b", "m-c"];

describe("traffic shift", () => {
  it("reads each policy's shares per model and counts the moved share as half the total absolute change", () => {
    const summary = {
      ...routing(MODELS, [{ cell: "x", candidate: "m-a", incumbent: "m-b" }]),
      traffic: { logging: [0.2, 0.3, 0.5], incumbent: [0.1, 0.6, 0.3], candidate: [0.5, 0.2, 0.3] },
    };
    const data = trafficShiftData(prodResult({ routing: summary, incumbentVersion: 1 }))!;
    expect(data.rows.map((r) => r.model)).toEqual(MODELS);
    expect(data.rows[0]).toMatchObject({ logging: 0.2, incumbent: 0.1, candidate: 0.5 });
    expect(data.rows.map((r) => r.shift)).toEqual([0.5 - 0.1, 0.2 - 0.6, 0]);
    expect(data.moved).toBeCloseTo(0.4, 12);
    const svg = trafficShiftChart(data, "active policy v1");
    // Three bars per model, each with its share as text.
    expect(svg.match(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="8"/g)).toHaveLength(9);
    expect(svg).toContain(">50.0%<");
    expect(svg).toContain("(+40.0%)");
    expect(svg).toContain("(−40.0%)");
  });

  it("moves nothing when the new policy routes as the incumbent does", () => {
    const data = trafficShiftData(
      prodResult({ routing: routing(MODELS, [{ cell: "x", candidate: "m-a", incumbent: null }]) }),
    )!;
    expect(data.moved).toBe(0);
  });
});

describe("coverage heat map", () => {
  const summary = routing(MODELS, [
    { cell: "a:1", candidate: "m-a", incumbent: "m-a", logged: [4, 0, 2] },
    { cell: "a:2", candidate: "m-b", incumbent: "m-a", logged: [3, 0, 1] },
  ]);

  it("marks a cell undecided when no held-out request went to the new policy's choice", () => {
    const coverage = coverageFromRouting(prodResult({ routing: summary, incumbentVersion: 1 }))!;
    expect(coverage.cells.map((c) => [c.cell, c.chosen, c.undecided !== null])).toEqual([
      ["a:1", "m-a", false],
      ["a:2", "m-b", true],
    ]);
    expect(coverage.cells[1]!.undecided).toContain("no held-out request of this cell went to m-b");
    expect(coverageSummary(coverage)).toEqual({ pairs: 6, empty: 2, undecided: 1 });
    const svg = coverageChart(coverage);
    expect(svg.match(/class="undecided"\/>/g)).toHaveLength(1);
    expect(svg).toContain("? a:2");
    expect(svg).toContain(">4 · 3.6<");
  });

  it("on a warm-up, marks the cells not covered and outlines the graded choice", () => {
    const cells = [convergenceCell("a:1", "m-a", "m-c"), convergenceCell("a:2", "m-b", null, 3)];
    const coverage = coverageFromRouting(warmupResult(cells, summary))!;
    expect(coverage.cells.map((c) => c.chosen)).toEqual(["m-c", null]);
    expect(coverage.cells[1]!.undecided).toMatch(/not covered/);
    expect(coverage.cells[0]!.undecided).toBeNull();
  });

  it("prefers the run's coverage table of every row read, marking the cells it does not cover", () => {
    const result = prodResult({ routing: summary, incumbentVersion: 1 });
    expect(coverageFromTable(result)).toBeNull();
    const table = {
      minRowsPerModel: 5,
      models: MODELS,
      rows: 60,
      coveredCells: 1,
      cells: [
        {
          cell: "a:2",
          rows: 30,
          covered: false,
          models: { "m-a": { rows: 20, ess: 18 }, "m-b": { rows: 2, ess: 2 }, "m-c": { rows: 8, ess: 7.5 } },
        },
        {
          cell: "a:1",
          rows: 30,
          covered: true,
          models: { "m-a": { rows: 10, ess: 9 }, "m-b": { rows: 10, ess: 9.5 }, "m-c": { rows: 10, ess: 10 } },
        },
      ],
    };
    const coverage = coverageFromTable({ ...result, learned: { coverage: table } } as unknown as typeof result);
    expect(coverage?.scope).toBe("rows fitted");
    // Sorted by cell id (the table lists cells as first read).
    expect(coverage?.cells.map((c) => [c.cell, c.rows, c.ess, c.chosen])).toEqual([
      ["a:1", [10, 10, 10], [9, 9.5, 10], "m-a"],
      ["a:2", [20, 2, 8], [18, 2, 7.5], "m-b"],
    ]);
    expect(coverage!.cells[1]!.undecided).toBe("not covered: some model has fewer than 5 rows in this cell");
    expect(coverage!.cells[0]!.undecided).toBeNull();
  });

  it("shades more evidence darker", () => {
    expect(luminance(sequential(1))).toBeLessThan(luminance(sequential(0.5)));
    expect(luminance(sequential(0.5))).toBeLessThan(luminance(sequential(0)));
    expect(sequential(Number.NaN)).toBe(sequential(0));
  });
});

describe("estimators", () => {
  const result = prodResult({ routing: routing(MODELS, [{ cell: "x", candidate: "m-a", incumbent: null }]) });

  it("gives every estimator a one-line note", () => {
    for (const name of ESTIMATORS) expect(ESTIMATOR_NOTES[name].length).toBeGreaterThan(40);
  });

  it("shows only the diagnostics an estimator has: DM no ESS, replay what it kept, the weighted ones their weights", () => {
    const { candidate } = result.evaluation!;
    expect(diagnosticsOf(candidate.dm!)).toEqual([{ name: "weights", value: "none (no ESS)" }]);
    const replay = diagnosticsOf(candidate.replay);
    expect(replay.map((d) => d.name)).toEqual(["kept", "logging", "propensities"]);
    expect(replay[0]!.value).toMatch(new RegExp(`^${candidate.replay.kept} of 400 `));
    expect(replay[1]!.value).toBe("uniform");
    expect(replay[2]!.value).toBe("0.500–0.500");
    for (const name of ["ips", "snips", "dr"] as const) {
      expect(diagnosticsOf(candidate[name]!).map((d) => d.name)).toEqual([
        "ESS",
        "mean weight",
        "max weight",
        "zero weight",
      ]);
    }
    // "always action 1" under 50/50 logging: about half the weights are 0, the rest 2.
    expect(diagnosticsOf(candidate.ips).find((d) => d.name === "max weight")?.value).toBe("2.00");
    const table = estimatesTable(result);
    expect(table.match(/none \(no ESS\)/g)).toHaveLength(2);
    expect(estimateRows(result)).toHaveLength(10);
  });

  it("writes every estimate as the text report and `linucb evaluate` do (one formatter: estimateParts)", () => {
    const { candidate, incumbentEstimates } = result.evaluation!;
    const table = estimatesTable(result);
    const text = formatEstimates(candidate, incumbentEstimates, "incumbent");
    for (const name of ESTIMATORS) {
      const parts = estimateParts(candidate[name]!, { notation: "fixed" });
      expect(table).toContain(`<td>${parts.value}</td><td class="nowrap">${parts.interval}</td>`);
      expect(text).toContain(`${parts.value} ${parts.interval}`);
    }
  });
});

describe("learning curve", () => {
  it("says what each point is fitted on and marks the end of the training slice", () => {
    const result = warmupResult(
      [convergenceCell("a:1", "m-a", "m-a")],
      routing(MODELS, [{ cell: "a:1", candidate: "m-a", incumbent: null }]),
    );
    expect(learningCurveCaption(result)).toContain("Points up to n = 800 use the training slice only");
    const svg = learningCurveChart(result);
    expect(svg).toContain("candidate at n = 800");
    expect(svg).toContain("n 400 (training rows only)");
    expect(svg).toContain("n 1000 (training + held-out rows)");

    // The text report says the same.
    const learned = {
      integrity: { ok: true, engineRows: 1000, sqlRows: 1000, models: 3 },
      coverage: { minRowsPerModel: 5, models: [], rows: 0, coveredCells: 0, cells: [] },
      shrinkage: { mode: "fixed", strength: 10_000, estimate: null },
    };
    const text = formatCadenceReport({ ...result, learned } as unknown as typeof result);
    expect(text).toContain("up to n = 800 the training slice only, then the held-out rows added back");
    expect(text).toMatch(/n {5}800 .*%\n/);
    expect(text).toMatch(/n {4}1000 .*% {3}\+ held-out rows\n/);
  });
});

describe("palette", () => {
  it("is the Okabe–Ito palette, handed to models in order and reused past eight", () => {
    expect(new Set(MODEL_COLORS)).toEqual(new Set(Object.values(OKABE_ITO)));
    const colors = modelColors(Array.from({ length: 9 }, (_, i) => `m${i}`));
    expect(colors.get("m0")).toBe(OKABE_ITO.orange);
    expect(colors.get("m8")).toBe(colors.get("m0"));
  });

  it("puts black text on light colours and white text on dark ones", () => {
    expect(textOn(OKABE_ITO.yellow)).toBe("#000000");
    expect(textOn(OKABE_ITO.black)).toBe("#ffffff");
    expect(textOn(OKABE_ITO.blue)).toBe("#ffffff");
    expect(textOn("#ffffff")).toBe("#000000");
  });
});

describe("rejected rows on the page", () => {
  it("lists the reasons and the examples the cadence kept, and nothing when no row was rejected", () => {
    const result = prodResult({ routing: routing(MODELS, [{ cell: "x", candidate: "m-a", incumbent: null }]) });
    expect(renderHtmlReport(result)).not.toContain("rows rejected");
    const corpus = {
      ...result.corpus,
      rowsRejected: 3,
      rejectedByReason: { propensity: 2, reward: 1 },
      rejectedExamples: [{ id: 17, reason: "propensity 0 is not in (0, 1]" }],
    };
    const html = renderHtmlReport({ ...result, corpus });
    expect(html).toContain("3 rows rejected (propensity 2, reward 1), never fitted:");
    expect(html).toContain("<li>row 17: propensity 0 is not in (0, 1]</li><li>… and 2 more</li>");
  });
});
