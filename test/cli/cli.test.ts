import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCli as linucb } from "../cli-run.js";
import { insertOutcomes } from "../cadence/fixtures.js";
import { migrateUp } from "../../src/store/migrator.js";
import { describeOnBackends, useFreshDatabase } from "../store/backends.js";

const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "linucb-cli-test-"));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A path no process can create, not even root: sysfs refuses mkdir (EPERM). */
const UNWRITABLE = "/sys/linucb-cannot-write-here/db";

describe("linucb (top level)", () => {
  it("prints its version with --version and -v", async () => {
    for (const flag of ["--version", "-v"]) {
      expect(await linucb([flag])).toEqual({ code: 0, stdout: `${manifest.version}\n`, stderr: "" });
    }
  });

  it("lists every command with a one-line summary", async () => {
    const help = await linucb(["--help"]);
    expect(help.code).toBe(0);
    for (const name of ["cadence", "evaluate", "gate", "migrate", "synth"]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${name} +[A-Z][^\\n]{10,}$`, "m"));
    }
    expect(help.stdout).toContain("--version");
  });

  it("reports an unknown command in one line, with the commands there are", async () => {
    const run = await linucb(["frobnicate"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^linucb: unknown command "frobnicate"; the commands are [a-z, ]+ \(see `linucb --help`\)\n$/,
    );
  });

  it.each([
    [["migrate", "sideways"], "migrate"],
    [["migrate", "up", "--no-such-flag"], "migrate"],
    [["synth", "--out", "x", "--n", "abc"], "synth"],
    [["synth"], "synth"],
    [["cadence", "--mode", "daily"], "cadence"],
    [["cadence", "--mode", "warmup", "--frobnicate"], "cadence"],
    [["gate", "--bogus"], "gate"],
    [["evaluate", "--bogus"], "evaluate"],
  ])("gives a usage error for %j in one line, pointing at --help (exit 2)", async (argv, name) => {
    const run = await linucb(argv);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(new RegExp(`^linucb ${name}: [^\\n]+; see \`linucb ${name} --help\`\\n$`));
  });
});

describe("folders that cannot be written, checked before the run", () => {
  it.each([
    [
      "a data folder where no process can write",
      UNWRITABLE,
      /operation not permitted \(EPERM\)|permission denied \(EACCES\)|read-only file system \(EROFS\)/,
    ],
    [
      "a data folder below a file",
      "FILE/db",
      /a part of the path is a file, not a folder \(ENOTDIR\)|a file of that name is in the way \(EEXIST\)/,
    ],
  ])("refuses %s in one line, no stack trace (exit 1)", async (_, folder, reason) => {
    const file = join(root, "a-file");
    writeFileSync(file, "");
    const dataDir = folder.replace("FILE", file);
    for (const argv of [
      ["migrate", "up", "--data-dir", dataDir],
      ["cadence", "--mode", "warmup", "--n", "100", "--data-dir", dataDir, "--no-report"],
    ]) {
      const run = await linucb(argv);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toMatch(
        new RegExp(`^linucb ${argv[0]}: --data-dir's parent folder /[^\\n]+ cannot be written: [^\\n]+\\n$`),
      );
      expect(run.stderr).toMatch(reason);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});

describe("report and output folders", () => {
  it("refuses an unwritable --report-dir or synth --out before any work, in one line (exit 1)", async () => {
    const dataDir = join(root, "never-created", "db");
    const cadence = await linucb([
      "cadence",
      "--mode",
      "warmup",
      "--n",
      "100",
      "--data-dir",
      dataDir,
      "--report-dir",
      UNWRITABLE,
    ]);
    expect(cadence.code).toBe(1);
    expect(cadence.stderr).toMatch(
      /^linucb cadence: --report-dir \/sys\/linucb-cannot-write-here\/db cannot be written: [^\n]+\n$/,
    );
    expect(existsSync(dataDir)).toBe(false); // no database opened, no run recorded

    const synth = await linucb(["synth", "--out", UNWRITABLE, "--n", "10"]);
    expect(synth.code).toBe(1);
    expect(synth.stderr).toMatch(
      /^linucb synth: --out \/sys\/linucb-cannot-write-here\/db cannot be written: [^\n]+\n$/,
    );
  });

  it("never fails a finished run because its report files cannot be written: a one-line warning, the run's exit code", async () => {
    const folder = mkdtempSync(join(root, "reports-"));
    const dataDir = join(folder, "db");
    const reports = join(folder, "reports");
    // Writable when checked, but the report's own file name is taken by a folder: the write fails after the run.
    mkdirSync(join(reports, "cadence-warmup-run-1.html"), { recursive: true });
    const run = await linucb(["cadence", "--mode", "warmup", "--data-dir", dataDir, "--report-dir", reports]);
    expect(run.stderr).toMatch(
      /\nlinucb cadence: warning: writing the report files failed, the rest stands: cannot rename [^\n]+\n/,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
    // The run's own exit code: 0 when its gate passed, 3 when it did not (never 1, a failed run).
    const verdict = /warmup run 1 (PASSED|FAILED) its gate\n$/.exec(run.stderr)?.[1];
    expect(verdict).toBeDefined();
    expect(run.code).toBe(verdict === "PASSED" ? 0 : 3);
    expect(run.stdout).toContain("gate");
  }, 120_000);
});

describeOnBackends("report files after a promotion", (backend) => {
  const database = useFreshDatabase(backend);

  it("that cannot be written do not fail the command: the policy is promoted, the exit code is 0, one warning line", async () => {
    const { fresh } = database;
    await migrateUp(fresh.db);
    await insertOutcomes(fresh.db, { n: 3000, source: "prod" });
    const target =
      fresh.options.databaseUrl !== undefined
        ? ["--database-url", fresh.options.databaseUrl]
        : ["--data-dir", fresh.options.dataDir as string];
    if (backend.name === "pglite") await fresh.db.close();
    const reports = mkdtempSync(join(root, "prod-reports-"));
    // The first run of a fresh database is run 1: its report's name is taken by a folder.
    mkdirSync(join(reports, "cadence-prod-run-1.html"));
    const run = await linucb(["cadence", "--mode", "prod", "--resamples", "200", "--report-dir", reports, ...target]);
    expect(run.stderr).toMatch(/\nlinucb cadence: warning: writing the report files failed, the rest stands: [^\n]+\n/);
    expect(run.stderr).toMatch(/prod run 1 PASSED its gate, promoted policy version \d+\n$/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.code).toBe(0);
  }, 180_000);
});

describe("a damaged embedded database folder", () => {
  let template: string;
  beforeAll(async () => {
    template = join(root, "template");
    const instance = await PGlite.create(template);
    await instance.close();
  }, 120_000);

  const damages: [string, (folder: string) => void][] = [
    ["a garbled pg_control", (folder) => writeFileSync(join(folder, "global", "pg_control"), Buffer.alloc(8192, 0xa5))],
    ["an empty pg_control", (folder) => writeFileSync(join(folder, "global", "pg_control"), "")],
    ["no base folder", (folder) => rmSync(join(folder, "base"), { recursive: true })],
    ["a foreign PG_VERSION", (folder) => writeFileSync(join(folder, "PG_VERSION"), "9\n")],
    ["no PG_VERSION", (folder) => rmSync(join(folder, "PG_VERSION"))],
  ];

  it.each(damages)(
    "with %s is reported in one line naming the folder and the remedy (exit 1)",
    async (_, damage) => {
      const folder = mkdtempSync(join(root, "damaged-"));
      const dataDir = join(folder, "db");
      cpSync(template, dataDir, { recursive: true });
      damage(dataDir);
      // PGlite's WebAssembly may print on the process's own streams: none of that either.
      const direct = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
      const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
      let run: Awaited<ReturnType<typeof linucb>>;
      try {
        run = await linucb(["migrate", "status", "--data-dir", dataDir]);
      } finally {
        direct.mockRestore();
        logged.mockRestore();
      }
      expect(run.code).toBe(1);
      const lines = run.stderr.trimEnd().split("\n");
      expect(lines[0]).toBe(`linucb migrate: the embedded database in ${dataDir}`);
      expect(lines.slice(1)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^linucb migrate: the embedded database in ${dataDir} cannot be opened: it is damaged, or was written by another version of PGlite.*; ` +
              `restore the folder from a backup, or move it aside \\(mv ${dataDir} ${dataDir}\\.damaged\\) and the next run creates a new, empty one$`,
          ),
        ),
      ]);
      expect(run.stderr).not.toMatch(/Aborted|ASSERTIONS/);
      const printed = [...direct.mock.calls, ...logged.mock.calls].map((call) => String(call[0])).join("");
      expect(printed).not.toMatch(/Aborted|ASSERTIONS/);
    },
    60_000,
  );
});
