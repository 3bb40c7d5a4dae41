/**
 * Small helpers shared by the report's charts: escaping, number formats, linear scales, ticks and
 * axes. Every chart is a string of inline SVG; nothing here touches the DOM.
 */

/** Escapes text for HTML and SVG content and attributes. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

export { fixed } from "../shared/format-number.js";

/** `share` (0..1) as a percentage. */
export function percent(share: number, digits = 1): string {
  return Number.isFinite(share) ? `${(share * 100).toFixed(digits)}%` : "—";
}

/** A linear scale from [d0, d1] to [r0, r1]. */
export function scale(d0: number, d1: number, r0: number, r1: number): (x: number) => number {
  const span = d1 - d0 || 1;
  return (x) => r0 + ((x - d0) / span) * (r1 - r0);
}

/** Round tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

/** Vertical grid lines with their labels under the plot. */
export function xAxis(
  x: (v: number) => number,
  values: readonly number[],
  y: number,
  top: number,
  format: (v: number) => string,
): string {
  return values
    .map(
      (v) =>
        `<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${top}" y2="${y}" class="grid"/>` +
        `<text x="${x(v).toFixed(1)}" y="${y + 14}" text-anchor="middle" class="tick">${escapeHtml(format(v))}</text>`,
    )
    .join("");
}

/** An `<svg>` element that scales down with the page (never up), with an accessible name. */
export function svgFrame(width: number, height: number, label: string, body: string, chart: string): string {
  return (
    `<svg class="chart" data-chart="${escapeHtml(chart)}" viewBox="0 0 ${width} ${height}" width="${width}" ` +
    `height="${height}" role="img" ` +
    `aria-label="${escapeHtml(label)}"><title>${escapeHtml(label)}</title>\n${body}\n</svg>`
  );
}
