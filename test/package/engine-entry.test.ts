/**
 * The engine-only entry `linucb/engine` must bundle for a browser as it is: its whole import graph
 * (walked here from the source) imports nothing but relative modules, and uses none of Node's
 * globals. The browser itself runs it in ./browser.test.ts.
 */
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const manifest = JSON.parse(readFileSync(join(repository, "package.json"), "utf8")) as {
  exports: Record<string, { types: string; default: string } | string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};

/** Every module specifier a source file imports or re-exports (static and dynamic), and its identifiers. */
function scan(path: string): { specifiers: string[]; identifiers: Set<string> } {
  const source = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.ES2022, true);
  const specifiers: string[] = [];
  const identifiers = new Set<string>();
  const visit = (node: ts.Node): void => {
    const declaration = ts.isImportDeclaration(node) || ts.isExportDeclaration(node);
    if (declaration && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      // Type-only imports vanish from the JavaScript: they cannot pull a module into a bundle.
      const typeOnly = ts.isImportDeclaration(node) ? node.importClause?.isTypeOnly === true : node.isTypeOnly;
      if (!typeOnly) specifiers.push(node.moduleSpecifier.text);
    }
    if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      ts.isStringLiteral(node.arguments[0]!)
    ) {
      specifiers.push((node.arguments[0] as ts.StringLiteral).text);
    }
    if (ts.isIdentifier(node) && !ts.isPropertyAccessExpression(node.parent)) identifiers.add(node.text);
    if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) identifiers.add(node.expression.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { specifiers, identifiers };
}

/** The source files reachable from `entry` through runtime imports. */
function importGraph(entry: string): Map<string, ReturnType<typeof scan>> {
  const graph = new Map<string, ReturnType<typeof scan>>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (graph.has(file)) continue;
    const scanned = scan(file);
    graph.set(file, scanned);
    for (const specifier of scanned.specifiers) {
      if (specifier.startsWith(".")) pending.push(resolve(dirname(file), specifier).replace(/\.js$/, ".ts"));
    }
  }
  return graph;
}

const NODE_GLOBALS = ["Buffer", "process", "require", "__dirname", "__filename", "global", "setImmediate"];

describe("linucb/engine", () => {
  it("is exported by package.json, next to the root entry", () => {
    expect(manifest.exports["./engine"]).toEqual({
      types: "./dist/src/engine/index.d.ts",
      default: "./dist/src/engine/index.js",
    });
    expect(manifest.exports["."]).toEqual({ types: "./dist/src/index.d.ts", default: "./dist/src/index.js" });
  });

  it("imports nothing but its own modules, and uses no Node global, in its whole import graph", () => {
    const graph = importGraph(join(repository, "src", "engine", "index.ts"));
    expect(graph.size).toBeGreaterThan(5);
    const outside: string[] = [];
    const globals: string[] = [];
    for (const [file, { specifiers, identifiers }] of graph) {
      const name = relative(repository, file);
      for (const specifier of specifiers) if (!specifier.startsWith(".")) outside.push(`${name} imports ${specifier}`);
      for (const global of NODE_GLOBALS) if (identifiers.has(global)) globals.push(`${name} uses ${global}`);
    }
    expect(outside).toEqual([]);
    expect(globals).toEqual([]);
  });

  it("detects a Node import, to show that the walk can fail", () => {
    // The root entry reaches the store, whose modules import node: built-ins.
    const graph = importGraph(join(repository, "src", "index.ts"));
    const imports = [...graph.values()].flatMap((file) => file.specifiers);
    expect(imports.some((specifier) => specifier.startsWith("node:"))).toBe(true);
  });

  it("does not force the database drivers on anyone: pg and PGlite are optional peer dependencies", () => {
    for (const driver of ["pg", "@electric-sql/pglite"]) {
      expect(manifest.dependencies?.[driver]).toBeUndefined();
      expect(manifest.peerDependencies?.[driver]).toMatch(/^\^/);
      expect(manifest.peerDependenciesMeta?.[driver]).toEqual({ optional: true });
    }
  });
});
