/**
 * What `npm pack` would publish: the built library with its types, README and LICENSE; source maps
 * that carry their sources (nothing dangling); type declarations without the kernels' base64.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

let files: string[];
beforeAll(() => {
  // --ignore-scripts: the build is the test run's own (pretest); packing must not rebuild.
  const output = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: repository,
    encoding: "utf8",
  });
  files = (JSON.parse(output) as { files: { path: string }[] }[])[0]!.files.map((file) => file.path);
}, 60_000);

describe("the published package", () => {
  it("holds the library, its types, README and LICENSE, and nothing of the tests or benchmarks", () => {
    for (const path of [
      "LICENSE",
      "README.md",
      "package.json",
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/src/engine/index.js",
      "dist/src/engine/index.d.ts",
    ]) {
      expect(files).toContain(path);
    }
    expect(
      files.filter((path) => !path.startsWith("dist/src/") && !["LICENSE", "README.md", "package.json"].includes(path)),
    ).toEqual([]);
    expect(readFileSync(join(repository, "LICENSE"), "utf8")).toMatch(
      /^MIT License\n\nCopyright \(c\) .+\n\nPermission is hereby granted, free of charge/,
    );
  });

  it("has no dangling source map: each carries the sources it maps, and each one referenced is shipped", () => {
    const maps = files.filter((path) => path.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(50);
    const dangling: string[] = [];
    for (const path of maps) {
      const map = JSON.parse(readFileSync(join(repository, path), "utf8")) as {
        sources: string[];
        sourcesContent?: (string | null)[];
      };
      map.sources.forEach((source, i) => {
        if (typeof map.sourcesContent?.[i] !== "string") dangling.push(`${path}: ${source}`);
      });
    }
    expect(dangling).toEqual([]);
    for (const path of files.filter((file) => file.endsWith(".js"))) {
      const reference = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(repository, path), "utf8"))?.[1];
      if (reference !== undefined)
        expect(files, `${path} refers to ${reference}`).toContain(join(dirname(path), reference));
    }
  });

  it("declares the embedded kernels as strings, not as 55 KB literal types", () => {
    const declarations = join(repository, "dist/src/engine/kernel-wasm.generated.d.ts");
    expect(statSync(declarations).size).toBeLessThan(1000);
    expect(readFileSync(declarations, "utf8")).toMatch(/export declare const scalarKernelBase64: string;/);
    const largest = files.filter((path) => path.endsWith(".d.ts")).map((path) => statSync(join(repository, path)).size);
    expect(Math.max(...largest)).toBeLessThan(20_000);
  });
});
