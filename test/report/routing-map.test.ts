import { describe, expect, it } from "vitest";
import { cellGrid, sortCellIds } from "../../src/report/cell-grid.js";
import { shortModelLabels } from "../../src/report/model-labels.js";
import { routingMap, routingMapData } from "../../src/report/routing-map.js";
import { convergenceCell, prodResult, routing, warmupResult } from "./fake-result.js";

const MODELS = ["model-a", "model-b", "model-c"];

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe("cell layout", () => {
  it("is a grid when every id has two parts, rows and columns in order of appearance, ordinal columns in their natural order", () => {
    expect(cellGrid(["sql:hard", "sql:easy", "math:hard", "math:easy"])).toEqual({
      separator: ":",
      rows: ["sql", "math"],
      columns: ["easy", "hard"],
    });
    expect(cellGrid(["eu/x", "us/y"])).toEqual({ separator: "/", rows: ["eu", "us"], columns: ["x", "y"] });
    expect(cellGrid(["b:z", "a:y"])?.columns).toEqual(["z", "y"]);
  });

  it("is a list when any id has one part, three parts or an empty part", () => {
    expect(cellGrid(["sql:hard", "global"])).toBeNull();
    expect(cellGrid(["a:b:c", "a:b:d"])).toBeNull();
    expect(cellGrid(["a:", "b:c"])).toBeNull();
    expect(cellGrid([])).toBeNull();
    expect(sortCellIds(["cell-10", "cell-2", "cell-1"])).toEqual(["cell-1", "cell-2", "cell-10"]);
  });

  it("shortens model ids by their shared prefix, cut at a separator, only when the short labels stay distinct", () => {
    expect([...shortModelLabels(MODELS).values()]).toEqual(["a", "b", "c"]);
    expect([...shortModelLabels(["gpt-4o", "gpt-4"]).values()]).toEqual(["4o", "4"]);
    expect([...shortModelLabels(["alpha", "beta"]).values()]).toEqual(["alpha", "beta"]);
    expect([...shortModelLabels(["m-a", "m-a2"]).values()]).toEqual(["a", "a2"]);
  });
});

describe("production routing map", () => {
  const summary = routing(MODELS, [
    { cell: "sql:easy", candidate: "model-a", incumbent: "model-a" },
    { cell: "sql:hard", candidate: "model-b", incumbent: "model-a" },
    { cell: "math:easy", candidate: "model-c", incumbent: "model-c" },
    { cell: "math:hard", candidate: "model-c", incumbent: "model-b" },
  ]);

  it("marks exactly the cells whose choice differs from the active policy's", () => {
    const data = routingMapData(prodResult({ routing: summary, incumbentVersion: 2 }))!;
    expect(data.warmup).toBe(false);
    expect(data.incumbentHasChoices).toBe(true);
    expect(data.cells.filter((c) => c.changed).map((c) => c.cell)).toEqual(["sql:hard", "math:hard"]);
    expect(data.changed).toBe(2);
    expect(data.misses).toBe(0);
    expect(data.grid?.rows).toEqual(["sql", "math"]);
    const svg = routingMap(data, "active policy v2");
    expect(count(svg, 'class="changed"')).toBe(2);
    expect(svg).toContain("active policy v2");
    expect(svg).toContain('data-chart="routing-map"');
  });

  it("marks nothing changed against the uniform policy, which has no per-cell choice, and draws one panel", () => {
    const uniform = routing(MODELS, [
      { cell: "sql:easy", candidate: "model-a", incumbent: null },
      { cell: "sql:hard", candidate: "model-b", incumbent: null },
    ]);
    const data = routingMapData(prodResult({ routing: uniform }))!;
    expect(data.incumbentHasChoices).toBe(false);
    expect(data.changed).toBe(0);
    const svg = routingMap(data, "uniform policy");
    expect(count(svg, 'class="changed"')).toBe(0);
    expect(svg).toContain(">new policy<");
    expect(svg).not.toContain(">uniform policy<");
  });

  it("lists cells sorted when their ids do not make a grid", () => {
    const list = routing(MODELS, [
      { cell: "tenant-10", candidate: "model-a", incumbent: "model-b" },
      { cell: "tenant-2", candidate: "model-a", incumbent: "model-a" },
    ]);
    const data = routingMapData(prodResult({ routing: list, incumbentVersion: 1 }))!;
    expect(data.grid).toBeNull();
    expect(data.cells.map((c) => c.cell)).toEqual(["tenant-2", "tenant-10"]);
    const html = routingMap(data, "active policy v1");
    expect(html).toMatch(/<table class="chart" data-chart="routing-map">/);
    expect(count(html, "<td>▲ changed</td>")).toBe(1);
    expect(html.indexOf("tenant-2")).toBeLessThan(html.indexOf("tenant-10"));
  });
});

describe("warm-up routing map", () => {
  const cells = [
    convergenceCell("sql:easy", "model-a", "model-a"),
    convergenceCell("sql:hard", "model-b", "model-c"),
    convergenceCell("math:easy", "model-c", null, 5),
    convergenceCell("math:hard", "model-a", "model-b", 30, true),
  ];
  const summary = routing(MODELS, [
    { cell: "math:hard", candidate: "model-a", incumbent: null },
    { cell: "sql:easy", candidate: "model-a", incumbent: null },
    { cell: "sql:hard", candidate: "model-c", incumbent: null },
  ]);

  it("shows the convergence report's learned choice beside the planted optimum, misses marked", () => {
    const data = routingMapData(warmupResult(cells, summary))!;
    expect(data.warmup).toBe(true);
    // The learned choice is the graded one (convergence), not the held-out summary's.
    expect(data.cells.find((c) => c.cell === "math:hard")?.chosen).toBe("model-b");
    expect(data.cells.filter((c) => c.miss).map((c) => c.cell)).toEqual(["sql:hard", "math:hard"]);
    expect(data.cells.find((c) => c.cell === "math:easy")).toMatchObject({
      chosen: null,
      miss: false,
      planted: "model-c",
    });
    const svg = routingMap(data, "uniform policy");
    expect(svg).toContain(">planted optimum<");
    expect(count(svg, 'class="miss"')).toBe(2);
    expect(count(svg, " ✗<")).toBe(2);
    // The deviating cell is starred in the planted panel, and the legend says what that means.
    expect(data.cells.filter((c) => c.deviating).map((c) => c.cell)).toEqual(["math:hard"]);
    expect(count(svg, ">a*<")).toBe(1);
    expect(svg).toContain("* deviating cell");
  });
});
