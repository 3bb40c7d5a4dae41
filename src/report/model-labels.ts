/**
 * Short model labels for small marks (a grid cell, a bar): the model ids without the prefix they
 * all share, cut at a separator ("model-a", "model-b" → "a", "b"). The legend gives the full ids.
 */

const SEPARATORS = /[-_:/. ]/;

/** The short label of each model; the full ids when stripping would leave an empty or repeated label. */
export function shortModelLabels(models: readonly string[]): Map<string, string> {
  const full = new Map(models.map((m) => [m, m]));
  if (models.length < 2) return full;
  let prefix = models[0] as string;
  for (const m of models) while (!m.startsWith(prefix)) prefix = prefix.slice(0, -1);
  // Cut the shared prefix back to its last separator, so "gpt-4o", "gpt-4" keep their digits.
  let cut = prefix.length;
  while (cut > 0 && !SEPARATORS.test(prefix[cut - 1] as string)) cut--;
  if (cut === 0) return full;
  const short = models.map((m) => m.slice(cut));
  if (short.some((s) => s.length === 0) || new Set(short).size !== short.length) return full;
  return new Map(models.map((m, i) => [m, short[i] as string]));
}
