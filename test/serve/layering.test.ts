/**
 * The routing service is production code: its run-time import graph (the router, the CLI commands
 * serve and import) reaches nothing under src/synthetic (README "Architecture").
 */
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Files reachable from `entry` through static run-time imports (not `import type`, not dynamic). */
function reachable(entry: string): string[] {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/^(import|export)\s+(type\s+)?[^;]*?from\s+"(\.[^"]+)";/gms)) {
      if (match[2] === undefined) queue.push(resolve(dirname(file), match[3]!.replace(/\.js$/, ".ts")));
    }
  }
  return [...seen].map((f) => relative(root, f));
}

it("serve and import import nothing from src/synthetic", () => {
  for (const entry of ["src/serve/router.ts", "src/serve/import-outcomes.ts", "src/cli/commands/import.ts"]) {
    const files = reachable(join(root, entry));
    expect(files.some((f) => f.startsWith("src/store/"))).toBe(true);
    expect(
      files.filter((f) => f.startsWith("src/synthetic/")),
      entry,
    ).toEqual([]);
  }
});
