/**
 * `linucb/engine` in a real headless browser: Debian's Chromium, driven by playwright-core through
 * its executable path (no browser download). A loopback HTTP server serves the built engine
 * (dist/src/engine, as native ES modules) and a bundle of it made by Vite; a page runs updates, a
 * select and a snapshot round trip, and the numbers must match the pure-TypeScript reference engine
 * run here in Node on the same events.
 *
 * In CI (CI=true) a missing Chromium fails; elsewhere the suite is skipped with a printed note.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReferenceLinUCB } from "../../src/engine/reference.js";

const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const inCi = process.env.CI === "true" || process.env.CI === "1";

/** Chromium's executable: $CHROMIUM_PATH, else Debian's. */
function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  return candidates.find((path) => path !== undefined && path !== "" && existsSync(path));
}

/** The scenario, as source text: run in the page against the module at `engineUrl`, and in Node. */
const SCENARIO = `
export async function scenario(engine) {
  const arms = ["fast", "careful", "cheap"];
  const model = await engine.createLinUCB({ dimension: 3, arms, alpha: 0.8, lambda: 1.5, seed: 7 });
  for (let i = 0; i < 300; i++) {
    const context = [1, Math.sin(i), Math.cos(0.7 * i)];
    const arm = arms[i % 3];
    const reward = (i % 3 === 0 ? 0.5 : i % 3 === 1 ? 0.2 : -0.1) + 0.4 * context[1] - 0.3 * context[2];
    model.update(i % 2 === 0 ? "code" : "chat", arm, context, reward);
  }
  const probe = [1, 0.3, -0.2];
  const selection = model.select("code", probe);
  const restored = await engine.restoreLinUCB(model.snapshot());
  return {
    arm: selection.arm,
    propensity: selection.propensity,
    scores: Array.from(selection.scores),
    chat: Array.from(model.scores("chat", probe)),
    restoredScores: Array.from(restored.scores("code", probe)),
    theta: Array.from(model.model("chat", "careful").theta),
  };
}
`;

type ScenarioResult = {
  arm: string;
  propensity: number;
  scores: number[];
  chat: number[];
  restoredScores: number[];
  theta: number[];
};

/** The same events through the reference engine (plain TypeScript, no WebAssembly), in Node. */
async function expected(): Promise<ScenarioResult> {
  const arms = ["fast", "careful", "cheap"];
  const model = await createReferenceLinUCB({ dimension: 3, arms, alpha: 0.8, lambda: 1.5, seed: 7 });
  for (let i = 0; i < 300; i++) {
    const context = [1, Math.sin(i), Math.cos(0.7 * i)];
    const base = i % 3 === 0 ? 0.5 : i % 3 === 1 ? 0.2 : -0.1;
    const reward = base + 0.4 * context[1]! - 0.3 * context[2]!;
    model.update(i % 2 === 0 ? "code" : "chat", arms[i % 3]!, context, reward);
  }
  const probe = [1, 0.3, -0.2];
  const selection = model.select("code", probe);
  return {
    arm: selection.arm,
    propensity: selection.propensity,
    scores: Array.from(selection.scores),
    chat: Array.from(model.scores("chat", probe)),
    restoredScores: Array.from(selection.scores),
    theta: Array.from(model.model("chat", "careful").theta),
  };
}

const PAGE = (engineUrl: string): string => `<!doctype html>
<meta charset="utf-8">
<script type="module">
  ${SCENARIO.replace("export async function", "async function")}
  import(${JSON.stringify(engineUrl)})
    .then(scenario)
    .then((result) => { window.linucbResult = { ok: true, result }; })
    .catch((error) => { window.linucbResult = { ok: false, error: String(error && error.stack || error) }; });
</script>`;

const TYPES: Record<string, string> = {
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".html": "text/html",
  ".map": "application/json",
};

/** Serves /engine/* from dist/src, /bundle/* from the Vite output, and /page?entry=… on 127.0.0.1. */
function serve(bundleDir: string): Promise<{ server: Server; origin: string }> {
  const roots: Record<string, string> = { engine: join(repository, "dist", "src"), bundle: bundleDir };
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname === "/page") {
      response.writeHead(200, { "content-type": "text/html" }).end(PAGE(url.searchParams.get("entry") ?? ""));
      return;
    }
    const [, top, ...rest] = url.pathname.split("/");
    const root = roots[top ?? ""];
    const file = root === undefined ? undefined : normalize(join(root, ...rest));
    if (file === undefined || !file.startsWith(root!) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response
      .writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" })
      .end(readFileSync(file));
  });
  return new Promise((done) => {
    server.listen(0, "127.0.0.1", () =>
      done({ server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` }),
    );
  });
}

const executable = chromiumPath();

if (executable === undefined && !inCi) {
  console.warn(
    "\n[browser test] Chromium not found (/usr/bin/chromium or $CHROMIUM_PATH): the headless-browser test of linucb/engine was SKIPPED.\n" +
      "  Install it (Debian: apt-get install chromium); .ci/run does.\n",
  );
}

describe.skipIf(executable === undefined && !inCi)("linucb/engine in headless Chromium", () => {
  let browser: Browser;
  let server: Server;
  let origin: string;
  let bundleDir: string;
  let reference: ScenarioResult;

  beforeAll(async () => {
    if (executable === undefined)
      throw new Error("CI is set but Chromium is not installed: .ci/run installs it (apt-get install chromium)");
    bundleDir = mkdtempSync(join(tmpdir(), "linucb-engine-bundle-"));
    // A browser bundle of the engine entry, as an application's bundler would make it.
    await build({
      configFile: false,
      logLevel: "silent",
      build: {
        outDir: bundleDir,
        emptyOutDir: true,
        minify: false,
        lib: {
          entry: join(repository, "dist", "src", "engine", "index.js"),
          formats: ["es"],
          fileName: () => "linucb-engine.js",
        },
      },
    });
    ({ server, origin } = await serve(bundleDir));
    // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    browser = await chromium.launch({ executablePath: executable, headless: true, args: ["--no-sandbox"] });
    reference = await expected();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => (server === undefined ? done(undefined) : server.close(done)));
    if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
  });

  it("the bundle has no Node built-in in it", () => {
    const bundle = readFileSync(join(bundleDir, "linucb-engine.js"), "utf8");
    expect(bundle).not.toMatch(/from\s+["']node:|__vite-browser-external|\bBuffer\./);
    expect(bundle.length).toBeGreaterThan(50_000); // the kernels are in it
  });

  it.each([
    ["the built ES modules", "/engine/engine/index.js"],
    ["the Vite bundle", "/bundle/linucb-engine.js"],
  ])(
    "runs a select/update round trip from %s, matching the reference engine",
    async (_, entry) => {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(error.message));
      try {
        await page.goto(`${origin}/page?entry=${encodeURIComponent(entry)}`);
        const finished = (): boolean =>
          (globalThis as unknown as { linucbResult?: unknown }).linucbResult !== undefined;
        await page.waitForFunction(finished, undefined, { timeout: 30_000 });
        const outcome = (await page.evaluate(
          () => (globalThis as unknown as { linucbResult: unknown }).linucbResult,
        )) as { ok: true; result: ScenarioResult } | { ok: false; error: string };
        expect(problems).toEqual([]);
        if (!outcome.ok) throw new Error(`the page failed: ${outcome.error}`);
        const { result } = outcome;
        expect(result.arm).toBe(reference.arm);
        expect(result.propensity).toBe(reference.propensity);
        for (const key of ["scores", "chat", "restoredScores", "theta"] as const) {
          expect(result[key]).toHaveLength(reference[key].length);
          result[key].forEach((value, i) => expect(value).toBeCloseTo(reference[key][i]!, 10));
        }
        expect(result.restoredScores).toEqual(result.scores); // the snapshot restores exactly
      } finally {
        await page.close();
      }
    },
    60_000,
  );
});
