/**
 * `linucb serve` as a process (the built CLI, dist/): it starts, answers, and stops cleanly with
 * exit code 0 on SIGTERM, storing what it had queued; it refuses a non-loopback host without a
 * token. Needs `npm run build` first (as `npm test` does).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { openDatabase } from "../../src/store/index.js";
import { runCli } from "../cli-run.js";
import { post } from "./helpers.js";

const bin = fileURLToPath(new URL("../../dist/src/cli/bin.js", import.meta.url));
const folder = mkdtempSync(join(tmpdir(), "linucb-serve-cli-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Starts the CLI and resolves with the URL it prints once listening. */
function start(
  args: string[],
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [bin, "serve", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (http:\/\/\S+?),/.exec(stderr);
      if (match) resolve({ child, url: match[1]!, stderr: () => stderr });
    });
    child.on("exit", (code) => reject(new Error(`serve exited with ${code} before listening: ${stderr}`)));
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

it(
  "serves from the embedded store and exits 0 on SIGTERM with its decisions stored",
  { timeout: 120_000 },
  async () => {
    expect(existsSync(bin), "run `npm run build` first").toBe(true);
    const dataDir = join(folder, "db");
    const { child, url, stderr } = await start(
      ["--data-dir", dataDir, "--port", "0", "--models", "a,b", "--dimension", "2"],
      {
        LINUCB_TOKEN: "tok",
      },
    );
    const exited = exitCode(child);
    const decisions: string[] = [];
    for (let i = 0; i < 20; i++) {
      const reply = await post(`${url}/v1/route`, { cell: "c", agentId: "x", features: [1, 2] }, "tok");
      expect(reply.body).toMatchObject({ propensity: 0.5, uniform: true });
      decisions.push(reply.body.decisionId as string);
    }
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr()).toMatch(/SIGTERM: stopping[\s\S]*stopped\n/);
    const db = await openDatabase({ dataDir });
    try {
      const stored = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM routing_decisions WHERE id = ANY($1::uuid[])",
        [decisions],
      );
      expect(stored.rows[0]!.n).toBe(20);
    } finally {
      await db.close();
    }
  },
);

it("refuses to start on a non-loopback host without LINUCB_TOKEN, and rejects bad options with exit 2", async () => {
  const refused = await runCli(
    [
      "serve",
      "--host",
      "0.0.0.0",
      "--port",
      "0",
      "--data-dir",
      join(folder, "other"),
      "--models",
      "a",
      "--dimension",
      "1",
    ],
    {},
  );
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('refusing to listen on "0.0.0.0" without a bearer token: set LINUCB_TOKEN');
  const badSource = await runCli(["serve", "--source", "synthetic"], {});
  expect(badSource.code).toBe(2);
  expect(badSource.stderr).toContain('--source must be prod or shadow; received "synthetic"');
  const badExploration = await runCli(["serve", "--exploration", '{"epsilon": 2}'], {});
  expect(badExploration.code).toBe(2);
  expect(badExploration.stderr).toContain("--exploration must be JSON");
});
