/**
 * The report's colours: the Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2008), eight
 * colours that stay distinct under the common colour-vision deficiencies (protanopia,
 * deuteranopia, tritanopia) and in greyscale print. Colour never carries meaning alone: every
 * coloured mark also has a text label, a shape or a pattern (✗ for a miss, a corner triangle for a
 * changed choice, hatching for an undecided cell).
 *
 * - Models take the palette in the order of the run's action space (the ninth model starts over;
 *   its label still tells it apart).
 * - Roles: the new policy blue, the incumbent orange, the logging policy grey; a passed gate
 *   bluish green, a failed one vermillion.
 * - Quantities (rows, effective sample size) use one sequential blue ramp, light to dark, which
 *   reads the same for every colour vision and in greyscale.
 */

/** The eight Okabe–Ito colours. */
export const OKABE_ITO = {
  orange: "#E69F00",
  skyBlue: "#56B4E9",
  bluishGreen: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  reddishPurple: "#CC79A7",
  black: "#000000",
} as const;

/** The colours of the models, in the order they are handed out. */
export const MODEL_COLORS: readonly string[] = [
  OKABE_ITO.orange,
  OKABE_ITO.skyBlue,
  OKABE_ITO.bluishGreen,
  OKABE_ITO.yellow,
  OKABE_ITO.blue,
  OKABE_ITO.vermillion,
  OKABE_ITO.reddishPurple,
  OKABE_ITO.black,
];

/** The colours of roles on the page. */
export const ROLE = {
  candidate: OKABE_ITO.blue,
  incumbent: OKABE_ITO.orange,
  logging: "#8c8c8c",
  pass: OKABE_ITO.bluishGreen,
  fail: OKABE_ITO.vermillion,
  text: "#1f2328",
  muted: "#59636e",
  grid: "#e6e8eb",
  empty: "#f2f3f5",
} as const;

/** The colour of each model, by the model's position in `models`. */
export function modelColors(models: readonly string[]): Map<string, string> {
  return new Map(models.map((model, i) => [model, MODEL_COLORS[i % MODEL_COLORS.length] as string]));
}

function channels(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Relative luminance (WCAG 2) of a `#rrggbb` colour. */
export function luminance(hex: string): number {
  const [r, g, b] = channels(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Black or white, whichever contrasts more with `background`. */
export function textOn(background: string): string {
  // The luminance at which black and white contrast equally: (L + 0.05)² = 1.05 · 0.05.
  return luminance(background) > 0.179 ? "#000000" : "#ffffff";
}

const RAMP_LIGHT = channels("#eff6fc");
const RAMP_DARK = channels("#08306b");

/** The sequential ramp at `t` in [0, 1] (clamped): light for 0, dark blue for 1. */
export function sequential(t: number): string {
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const mix = RAMP_LIGHT.map((light, i) => Math.round(light + ((RAMP_DARK[i] as number) - light) * u));
  return `#${mix.map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}
