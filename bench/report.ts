/**
 * Renders a run's results: terminal tables (one per task and cell count, implementations down,
 * dimensions across, each figure with its ratio to careful JS), the target checks, the memory case,
 * and the same tables as Markdown for bench/README.md.
 */
import { taskDescriptions, taskNames } from "./contenders.js";
import type { MemoryProbeResult } from "./memory.js";
import type { BenchReport, MeasurementRecord, TargetCheck } from "./results.js";

/** 12.3M, 456k, 1.23k, 12.3 — three significant digits. */
export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const [scaled, suffix] =
    value >= 1e9
      ? [value / 1e9, "G"]
      : value >= 1e6
        ? [value / 1e6, "M"]
        : value >= 1e3
          ? [value / 1e3, "k"]
          : [value, ""];
  return `${scaled.toPrecision(3)}${suffix}`;
}

/** 81 ns, 1.2 µs, 3.4 ms. */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  if (ns < 1e3) return `${ns.toPrecision(ns < 10 ? 2 : 3)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toPrecision(3)} µs`;
  return `${(ns / 1e6).toPrecision(3)} ms`;
}

/** ×7.12, ×0.031. */
export function formatRatio(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return "×—";
  return `×${ratio >= 10 ? ratio.toFixed(1) : ratio >= 0.1 ? ratio.toFixed(2) : ratio.toPrecision(2)}`;
}

/** 2.38 KiB, 33.1 KiB, 1.2 GiB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "—";
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toPrecision(3)} ${units[unit]}`;
}

/** One pivot table: rows are contenders (first-seen order), columns are dimensions. */
interface Pivot {
  readonly task: string;
  readonly cells: number;
  readonly dimensions: number[];
  readonly rows: { readonly label: string; readonly byD: Map<number, MeasurementRecord> }[];
}

function pivots(measurements: readonly MeasurementRecord[]): Pivot[] {
  const result: Pivot[] = [];
  const cellCounts = [...new Set(measurements.map((m) => m.cells))].sort((a, b) => a - b);
  for (const task of taskNames) {
    for (const cells of cellCounts) {
      const group = measurements.filter((m) => m.task === task && m.cells === cells);
      if (group.length === 0) continue;
      const dimensions = [...new Set(group.map((m) => m.d))].sort((a, b) => a - b);
      const rows: Pivot["rows"] = [];
      for (const m of group) {
        let row = rows.find((r) => r.label === m.label);
        if (row === undefined) {
          row = { label: m.label, byD: new Map() };
          rows.push(row);
        }
        row.byD.set(m.d, m);
      }
      result.push({ task, cells, dimensions, rows });
    }
  }
  return result;
}

function cellText(m: MeasurementRecord | undefined): string {
  if (m === undefined) return "";
  return `${formatRate(m.opsPerSecond)}/s ${formatNs(m.nsPerOp)} ${formatRatio(m.ratioToCarefulJs)}`;
}

function padTable(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => [...(row[c] ?? "")].length)));
  return rows.map((row) =>
    row
      .map((text, c) => (c === 0 ? text.padEnd(widths[c]!) : text.padStart(widths[c]!)))
      .join("  ")
      .trimEnd(),
  );
}

function checkText(check: TargetCheck): string {
  const verdict = check.pass === null ? "n/a " : check.pass ? "PASS" : "MISS";
  const measured =
    check.measured === null
      ? "not measured in this run"
      : check.name.includes("bytes")
        ? `${check.measured} B`
        : check.name.includes("ceiling") || check.name.includes("rows/s")
          ? `${formatRate(check.measured)}/s`
          : `${check.measured.toFixed(2)}×`;
  return `${verdict}  ${check.name}: ${measured} (target ${check.requirement})${check.stretch ? " [stretch]" : ""}`;
}

function memoryRow(probe: MemoryProbeResult): string[] {
  const name =
    probe.implementation === "engine" ? `engine (statistics ${probe.statistics ? "on" : "off"})` : probe.implementation;
  if (probe.skipped !== undefined)
    return [name, String(probe.d), probe.cells.toLocaleString("en"), "skipped", "", "", "", probe.skipped];
  return [
    name,
    String(probe.d),
    probe.cells.toLocaleString("en"),
    `${probe.bytesPerModel} B`,
    formatBytes(probe.heldBytes),
    formatBytes(probe.rssGrowthBytes),
    formatBytes(probe.peakRssBytes),
    probe.implementation === "ml-matrix" ? "bytes/model = RSS growth / models" : "",
  ];
}

/** The terminal report of a run. */
export function renderTerminal(report: BenchReport): string {
  const lines: string[] = [];
  for (const pivot of pivots(report.measurements)) {
    lines.push(
      "",
      `${pivot.task} — ${pivot.cells} cell${pivot.cells === 1 ? "" : "s"}: ${taskDescriptions[pivot.task as keyof typeof taskDescriptions]}`,
    );
    const header = ["", ...pivot.dimensions.map((d) => `d=${d}`)];
    lines.push(
      ...padTable([
        header,
        ...pivot.rows.map((row) => [row.label, ...pivot.dimensions.map((d) => cellText(row.byD.get(d)))]),
      ]).map((l) => `  ${l}`),
    );
  }
  if (report.failures.length > 0) {
    lines.push("", "FAILED (no figure):");
    for (const failure of report.failures) lines.push(`  ${failure.name}: ${failure.error.split("\n")[0]}`);
  }
  if (report.memory.length > 0) {
    lines.push("", "memory — cells × 8 arms held in memory (each probe in its own process)");
    lines.push(
      ...padTable([
        ["", "d", "cells", "bytes/model", "held", "RSS growth", "peak RSS", ""],
        ...report.memory.map(memoryRow),
      ]).map((l) => `  ${l}`),
    );
  }
  lines.push("", `targets (K = 8, 60 cells, engine build ${report.machine.autoBuild}; a MISS never fails the run):`);
  for (const check of report.targets) lines.push(`  ${checkText(check)}`);
  lines.push(
    "",
    `${report.machine.cpuModel} (${report.machine.cpus} CPUs), Node ${report.machine.node}, peak RSS ${formatBytes(report.peakRssBytes)}, ${report.durationSeconds.toFixed(0)} s`,
  );
  const warning = loadWarning(report);
  if (warning !== null) lines.push(warning);
  return lines.join("\n");
}

/**
 * A warning when other processes competed for the CPUs: a 1-minute load average above the CPU
 * count (this run itself accounts for about 1).
 */
export function loadWarning(report: BenchReport): string | null {
  const { start, end } = report.run.loadAverage;
  const peak = Math.max(start, end);
  if (peak <= report.machine.cpus) return null;
  return `WARNING: the machine was loaded (1-min load average ${start.toFixed(1)} at start, ${end.toFixed(1)} at end, on ${report.machine.cpus} CPUs): absolute figures are unreliable, ratios less so.`;
}

/** A Markdown table; the first column and any column whose header is "note" align left. */
function markdownTable(rows: string[][]): string[] {
  const [header, ...body] = rows;
  return [
    `| ${header!.join(" | ")} |`,
    `|${header!.map((name, c) => (c === 0 || name === "note" ? "---" : "---:")).join("|")}|`,
    ...body.map((row) => `| ${row.join(" | ")} |`),
  ];
}

/** The figures section of bench/README.md (between its markers). */
export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const lines: string[] = [
    `Run of ${report.date.slice(0, 10)}${report.run.quick ? " (--quick: indicative only)" : ""}: ${m.cpuModel}, nproc ${m.cpus}, Node ${m.node}, ${m.platform}/${m.arch}; ` +
      `engine build 'auto' = ${m.autoBuild}; ${report.durationSeconds.toFixed(0)} s; peak RSS ${formatBytes(report.peakRssBytes)}; ` +
      `1-min load average ${report.run.loadAverage.start.toFixed(1)} → ${report.run.loadAverage.end.toFixed(1)}.`,
    "Each cell: events per second, ns per event, ratio to careful JS (same task, d and cells). The machine is shared: absolute rates move between runs, ratios much less.",
  ];
  const warning = loadWarning(report);
  if (warning !== null) lines.push("", `**${warning}**`);
  for (const pivot of pivots(report.measurements)) {
    lines.push(
      "",
      `**${pivot.task}**, ${pivot.cells} cell${pivot.cells === 1 ? "" : "s"} — ${taskDescriptions[pivot.task as keyof typeof taskDescriptions]}`,
      "",
    );
    lines.push(
      ...markdownTable([
        ["", ...pivot.dimensions.map((d) => `d=${d}`)],
        ...pivot.rows.map((row) => [row.label, ...pivot.dimensions.map((d) => cellText(row.byD.get(d)))]),
      ]),
    );
  }
  if (report.memory.length > 0) {
    lines.push("", "**memory**: cells × 8 arms held in memory (each probe in its own process)", "");
    lines.push(
      ...markdownTable([
        ["", "d", "cells", "bytes/model", "held", "RSS growth", "peak RSS", "note"],
        ...report.memory.map(memoryRow),
      ]),
    );
  }
  lines.push("", `**targets** (K = 8, 60 cells, engine build ${m.autoBuild})`, "");
  for (const check of report.targets) lines.push(`- ${checkText(check)}`);
  return lines.join("\n");
}

/** Markers around the generated section of bench/README.md. */
export const readmeMarkers = { start: "<!-- figures:start -->", end: "<!-- figures:end -->" } as const;

/** Replaces the text between the README markers with `section`; throws if the markers are missing. */
export function replaceFigures(readme: string, section: string): string {
  const start = readme.indexOf(readmeMarkers.start);
  const end = readme.indexOf(readmeMarkers.end);
  if (start < 0 || end < start)
    throw new Error(`bench/README.md must contain ${readmeMarkers.start} … ${readmeMarkers.end}`);
  return `${readme.slice(0, start + readmeMarkers.start.length)}\n${section}\n${readme.slice(end)}`;
}
