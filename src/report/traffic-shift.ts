/**
 * The traffic shift: the share of the held-out requests each model gets under the logging policy,
 * the incumbent and the new policy — three bars per model — and how much traffic moves.
 */
import type { CadenceResult } from "../cadence/index.js";
import { modelColors, ROLE } from "./palette.js";
import { escapeHtml, percent, scale, svgFrame, ticks, xAxis } from "./svg.js";

/** One model's shares. */
export interface TrafficShiftRow {
  readonly model: string;
  readonly logging: number;
  readonly incumbent: number;
  readonly candidate: number;
  /** candidate − incumbent. */
  readonly shift: number;
}

/** Everything the chart draws. */
export interface TrafficShiftData {
  readonly requests: number;
  readonly rows: readonly TrafficShiftRow[];
  /**
   * Share of requests that go to another model than under the incumbent, at least: half the sum
   * of |shift| (the total variation distance between the two traffic mixes).
   */
  readonly moved: number;
}

/** The chart's data for a cadence result; null when no row was held out. */
export function trafficShiftData(result: CadenceResult): TrafficShiftData | null {
  if (result.routing === null) return null;
  const { models, traffic, requests } = result.routing;
  const rows = models.map((model, a) => {
    const candidate = traffic.candidate[a] ?? 0;
    const incumbent = traffic.incumbent[a] ?? 0;
    return { model, logging: traffic.logging[a] ?? 0, incumbent, candidate, shift: candidate - incumbent };
  });
  return { requests, rows, moved: rows.reduce((sum, r) => sum + Math.abs(r.shift), 0) / 2 };
}

const SERIES = [
  { key: "logging", label: "logging policy", color: ROLE.logging },
  { key: "incumbent", label: "incumbent", color: ROLE.incumbent },
  { key: "candidate", label: "new policy", color: ROLE.candidate },
] as const;

/** Three horizontal bars per model; `incumbentLabel` names the incumbent in the key. */
export function trafficShiftChart(data: TrafficShiftData, incumbentLabel: string): string {
  const colors = modelColors(data.rows.map((r) => r.model));
  const bar = 9;
  const group = SERIES.length * bar + 10;
  const left = 16 + 6.4 * Math.max(8, ...data.rows.map((r) => r.model.length)) + 14;
  const width = 900;
  const right = 70;
  const top = 28;
  const height = top + data.rows.length * group + 26;
  const max = Math.max(0.05, ...data.rows.flatMap((r) => [r.logging, r.incumbent, r.candidate]));
  const x = scale(0, max, left, width - right);
  const axisY = top + data.rows.length * group;
  const keyX = [left, left + 150, left + 300];
  const key = SERIES.map(
    (s, i) =>
      `<rect x="${keyX[i]}" y="6" width="12" height="10" fill="${s.color}"/><text x="${(keyX[i] as number) + 16}" ` +
      `y="15" class="label">${escapeHtml(s.key === "incumbent" ? incumbentLabel : s.label)}</text>`,
  ).join("");
  const groups = data.rows.map((r, g) => {
    const y0 = top + g * group + 4;
    const bars = SERIES.map((s, i) => {
      const value = r[s.key];
      const y = y0 + i * bar;
      const tip = `${r.model}, ${s.key === "incumbent" ? incumbentLabel : s.label}: ${percent(value)}`;
      return (
        `<rect x="${left}" y="${y}" width="${Math.max(0, x(value) - left).toFixed(1)}" height="${bar - 1}" ` +
        `fill="${s.color}"><title>${escapeHtml(tip)}</title></rect>` +
        `<text x="${(x(value) + 4).toFixed(1)}" y="${y + bar - 1.5}" class="tick small">${percent(value)}</text>`
      );
    }).join("");
    const swatch = `<rect x="${left - 14}" y="${y0 + 4}" width="9" height="9" fill="${colors.get(r.model)}"/>`;
    const shift = r.shift === 0 ? "" : ` (${r.shift > 0 ? "+" : "−"}${percent(Math.abs(r.shift))})`;
    return (
      `<g><text x="${left - 20}" y="${y0 + 13}" text-anchor="end" class="label">${escapeHtml(r.model)}</text><text ` +
      `x="${left - 20}" y="${y0 + 24}" text-anchor="end" class="tick ` +
      `small">${escapeHtml(shift)}</text>${swatch}${bars}</g>`
    );
  });
  const body = `${key}\n${xAxis(x, ticks(0, max), axisY, top, (v) => percent(v, 0))}\n${groups.join("\n")}`;
  return svgFrame(
    width,
    height,
    "traffic shift: share of held-out requests per model under the logging policy, the incumbent and the new policy",
    body,
    "traffic-shift",
  );
}
