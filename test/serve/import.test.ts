import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { migrateUp } from "../../src/store/index.js";
import { runCli } from "../cli-run.js";
import { describeOnBackends, useFreshDatabase } from "../store/backends.js";

const folder = mkdtempSync(join(tmpdir(), "linucb-import-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function file(name: string, lines: string[]): string {
  const path = join(folder, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

const good = (overrides: Record<string, unknown> = {}): string =>
  JSON.stringify({
    agent_id: "a1",
    cell: "code:hard",
    model: "m1",
    features: [1, 0.5],
    propensity: 0.5,
    completed: true,
    hallucinated: false,
    refused: false,
    ...overrides,
  });

describeOnBackends("linucb import", (backend) => {
  const database = useFreshDatabase(backend);
  const where = (): string[] =>
    database.fresh.options.databaseUrl !== undefined
      ? ["--database-url", database.fresh.options.databaseUrl]
      : ["--data-dir", database.fresh.options.dataDir!];
  // PGlite's folder is locked by one opener: the test's handle is closed while the CLI runs.
  const cli = async (argv: string[]): Promise<Awaited<ReturnType<typeof runCli>>> => {
    if (backend.name === "pglite") await database.db.close();
    return runCli([...argv, ...where()], {});
  };
  const rows = async (): Promise<Record<string, unknown>[]> => {
    const db =
      backend.name === "pglite"
        ? await (await import("../../src/store/index.js")).openDatabase(database.fresh.options)
        : database.db;
    try {
      return (
        await db.query(
          "SELECT agent_id, cell, model, features, propensity, completed, hallucinated, refused, judge_score, judge_model, reward, policy_version, source, dedupe_key, created_at FROM routing_outcomes ORDER BY id",
        )
      ).rows;
    } finally {
      if (backend.name === "pglite") await db.close();
    }
  };

  beforeAll(async () => {
    await migrateUp(database.db);
    if (backend.name === "pglite") await database.db.close();
  });
  beforeEach(async () => {
    const { openDatabase } = await import("../../src/store/index.js");
    const db = backend.name === "pglite" ? await openDatabase(database.fresh.options) : database.db;
    await db.exec("DELETE FROM routing_outcomes");
    if (backend.name === "pglite") await db.close();
  });

  it("loads the good lines of a JSON Lines file, rejects each bad one with its line number and reason, and adds nothing on re-import", async () => {
    const path = file("mixed.jsonl", [
      good(),
      good({ propensity: 0 }),
      "not json",
      "",
      good({ features: [1] }),
      good({
        model: "m2",
        judge_score: 0.25,
        judge_model: "judge-1",
        reward: 0.5,
        policy_version: "3",
        decision_id: "d-17",
        created_at: "2026-11-30T10:00:00Z",
      }),
      good({ completed: "sometimes" }),
      good({ colour: "red" }),
      good({ features: [1, null] }),
      JSON.stringify({ cell: "x" }),
    ]);
    const first = await cli(["import", "--file", path, "--source", "prod"]);
    expect(first.code).toBe(1);
    expect(JSON.parse(first.stdout)).toMatchObject({ lines: 9, inserted: 2, duplicates: 0, rejected: 7, dimension: 2 });
    const rejections = first.stderr.split("\n").filter((line) => line.includes("rejected:"));
    expect(rejections).toEqual([
      `linucb import: ${path}:2: rejected: propensity must be in [0.000001, 1]; received 0`,
      `linucb import: ${path}:3: rejected: not valid JSON (Unexpected token 'o', "not json" is not valid JSON)`,
      `linucb import: ${path}:5: rejected: features must have 2 numbers; received 1`,
      `linucb import: ${path}:7: rejected: completed must be true or false; received "sometimes"`,
      `linucb import: ${path}:8: rejected: unknown column "colour" (known: created_at, agent_id, cell, model, features, propensity, completed, hallucinated, refused, judge_score, judge_model, reward, policy_version, decision_id)`,
      `linucb import: ${path}:9: rejected: features[1] must be a finite number within ±1000000; received null`,
      `linucb import: ${path}:10: rejected: model is required`,
    ]);
    const loaded = await rows();
    expect(loaded).toHaveLength(2);
    expect(loaded[1]).toMatchObject({
      model: "m2",
      features: [1, 0.5],
      judge_score: 0.25,
      judge_model: "judge-1",
      reward: 0.5,
      policy_version: "3",
      source: "prod",
      dedupe_key: "decision:d-17",
      created_at: new Date("2026-11-30T10:00:00Z"),
    });
    expect(loaded[0]!.dedupe_key).toMatch(/^import:[0-9a-f]{64}$/);

    const again = await cli(["import", "--file", path, "--source", "prod"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ inserted: 0, duplicates: 2, rejected: 7 });
    expect(await rows()).toHaveLength(2);
  });

  it("reads CSV with a header (empty fields absent, 1/0 and true/false flags), as shadow rows", async () => {
    const path = file("log.csv", [
      "agent_id,cell,model,features,propensity,completed,hallucinated,refused,judge_score",
      'a1,code:hard,m1,"[1,0.25]",0.5,true,false,false,',
      "a1,code:hard,m1,[1,0.25],0.5,true,false,false,0.5,extra",
      'a3,chat,m2,"[2,2]",1,0,0,1,0.9',
      'a4,chat,m2,"[2,2]",1.5,0,0,1,0.9',
    ]);
    const result = await cli(["import", "--file", path, "--source", "shadow", "--models", "m1,m2"]);
    expect(JSON.parse(result.stdout)).toMatchObject({ format: "csv", lines: 4, inserted: 2, rejected: 2 });
    expect(result.stderr).toContain(`${path}:3: rejected: the number of fields differs from the header's`);
    expect(result.stderr).toContain(`${path}:5: rejected: propensity must be in [0.000001, 1]; received "1.5"`);
    const loaded = await rows();
    expect(loaded.map((r) => [r.model, r.features, r.completed, r.refused, r.judge_score, r.source])).toEqual([
      ["m1", [1, 0.25], true, false, null, "shadow"],
      ["m2", [2, 2], false, true, 0.9, "shadow"],
    ]);
  });

  it("rejects unknown models when --models is given, and usage errors exit 2", async () => {
    const path = file("models.jsonl", [good(), good({ model: "m9" })]);
    const result = await cli(["import", "--file", path, "--source", "prod", "--models", "m1"]);
    expect(result.stderr).toContain(`${path}:2: rejected: unknown model "m9" (known: m1)`);
    expect((await runCli(["import", "--file", path])).code).toBe(2);
    expect((await runCli(["import", "--file", path, "--source", "synthetic"])).stderr).toContain(
      '--source must be prod or shadow; received "synthetic"',
    );
    expect((await runCli(["import", "--file", join(folder, "missing.jsonl"), "--source", "prod"])).stderr).toContain(
      "no such file",
    );
    expect((await runCli(["import", "--file", file("log.txt", [good()]), "--source", "prod"])).stderr).toContain(
      "give --format jsonl or --format csv",
    );
  });

  it("rejects a line whose text PostgreSQL cannot store (NUL, unpaired surrogate); the others load", async () => {
    const path = file("nul.jsonl", [
      good({ agent_id: "a\u0000b" }),
      good({ agent_id: "ägent 😀" }),
      good({ cell: "c\ud800" }),
      good({ judge_model: "j\u0000" }),
    ]);
    const result = await cli(["import", "--file", path, "--source", "prod"]);
    expect(JSON.parse(result.stdout)).toMatchObject({ lines: 4, inserted: 1, rejected: 3 });
    expect(result.stderr).toContain(`${path}:1: rejected: agent_id must not contain NUL or unpaired surrogates`);
    expect(result.stderr).toContain(`${path}:3: rejected: cell must not contain NUL or unpaired surrogates`);
    expect(result.stderr).toContain(`${path}:4: rejected: judge_model must not contain NUL or unpaired surrogates`);
    expect((await rows()).map((r) => r.agent_id)).toEqual(["ägent 😀"]);
  });

  it("loads a long file in several bulk statements", async () => {
    const lines = Array.from({ length: 12_345 }, (_, i) => good({ agent_id: `a${i}`, features: [i / 1000, 1] }));
    const path = file("long.jsonl", lines);
    const result = await cli(["import", "--file", path, "--source", "prod", "--batch-size", "1000"]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ lines: 12_345, inserted: 12_345, rejected: 0 });
    expect(await rows()).toHaveLength(12_345);
  });
});
