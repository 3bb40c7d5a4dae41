import { describe, expect, it } from "vitest";
import { runCli as linucb } from "../cli-run.js";
import { openDatabase } from "../../src/store/open-database.js";
import { parseDatabaseUrl, redactUrl } from "../../src/store/redact-url.js";

/** Every way a credential can travel in a connection string, with the secret it must never show. */
const FORMS: readonly { readonly url: string; readonly secrets: readonly string[]; readonly shown: string }[] = [
  {
    url: "postgres://user:hunter2@db.example:5432/app",
    secrets: ["hunter2"],
    shown: "postgres://user:***@db.example:5432/app",
  },
  {
    url: "postgresql://user:hunter2@db.example/app",
    secrets: ["hunter2"],
    shown: "postgresql://user:***@db.example/app",
  },
  {
    url: "postgres://user:hu%40nt%3Aer2@db.example/app",
    secrets: ["hu%40nt", "nt%3Aer2", "hu@nt"],
    shown: "postgres://user:***@db.example/app",
  },
  { url: "postgres://:hunter2@db.example/app", secrets: ["hunter2"], shown: "postgres://:***@db.example/app" },
  { url: "postgres://user:hunter2@[::1]:5432/app", secrets: ["hunter2"], shown: "postgres://user:***@[::1]:5432/app" },
  {
    url: "postgres://user:hunter2@%2Fvar%2Frun%2Fpostgresql/app",
    secrets: ["hunter2"],
    shown: "postgres://user:***@%2Fvar%2Frun%2Fpostgresql/app",
  },
  {
    url: "postgres://user@db.example/app?password=hunter2",
    secrets: ["hunter2"],
    shown: "postgres://user@db.example/app?password=***",
  },
  {
    url: "postgres://user@db.example/app?sslmode=disable&password=hunter2&application_name=x",
    secrets: ["hunter2"],
    shown: "postgres://user@db.example/app?sslmode=disable&password=***&application_name=x",
  },
  {
    url: "postgres://user@db.example/app?PASSWORD=hunter2",
    secrets: ["hunter2"],
    shown: "postgres://user@db.example/app?PASSWORD=***",
  },
  {
    url: "postgres://user@db.example/app?pass%77ord=hunter2",
    secrets: ["hunter2"],
    shown: "postgres://user@db.example/app?password=***",
  },
  {
    url: "postgres://user@db.example/app?password=hu%26nt%3Der2",
    secrets: ["hu%26", "nt%3D", "er2"],
    shown: "postgres://user@db.example/app?password=***",
  },
  {
    url: "postgres://user@db.example/app?password=one1&password=two2",
    secrets: ["one1", "two2"],
    shown: "postgres://user@db.example/app?password=***&password=***",
  },
  {
    url: "postgres://user@db.example/app?sslpassword=hunter2",
    secrets: ["hunter2"],
    shown: "postgres://user@db.example/app?sslpassword=***",
  },
  {
    url: "postgres://user:hunter2@db.example/app?password=hunter3",
    secrets: ["hunter2", "hunter3"],
    shown: "postgres://user:***@db.example/app?password=***",
  },
  {
    url: "host=db.example user=user password=hunter2 dbname=app",
    secrets: ["hunter2"],
    shown: "host=db.example user=user password=*** dbname=app",
  },
  {
    url: "host=db.example password = 'hun ter2' dbname=app",
    secrets: ["hun ter2", "ter2"],
    shown: "host=db.example password=*** dbname=app",
  },
  { url: "hunter2", secrets: ["hunter2"], shown: "(an unparseable database URL)" },
  {
    url: "postgres://user:hunter2@db.example:notaport/app",
    secrets: ["hunter2"],
    shown: "(an unparseable database URL)",
  },
];

describe("redactUrl", () => {
  it.each(FORMS)("hides every credential of $url", ({ url, secrets, shown }) => {
    const redacted = redactUrl(url);
    expect(redacted).toBe(shown);
    for (const secret of secrets) expect(redacted).not.toContain(secret);
  });

  it("leaves a URL without credentials as it is", () => {
    expect(redactUrl("postgres://user@db.example:5432/app?sslmode=require")).toBe(
      "postgres://user@db.example:5432/app?sslmode=require",
    );
  });
});

describe("unsupported database URL schemes", () => {
  const unsupported = [
    "file:///tmp/db",
    "http://user:hunter2@db.example/app",
    "mysql://db.example/app",
    "sqlite:app.db",
  ];
  it.each(unsupported)("refuses %s with a clear error", async (url) => {
    expect(() => parseDatabaseUrl(url)).toThrow(TypeError);
    const error = await openDatabase({ databaseUrl: url }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(
      /^databaseUrl must start with postgres:\/\/ or postgresql:\/\/; received a [a-z]+:\/\/ URL/,
    );
    expect((error as Error).message).not.toContain("hunter2");
  });

  it("is a usage error (exit 2, one line) on the command line", async () => {
    const run = await linucb(["migrate", "status", "--database-url", "file:///tmp/linucb-db"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /databaseUrl must start with postgres:\/\/ or postgresql:\/\/; received a file:\/\/ URL/,
    );
  });
});

/** The server of DATABASE_URL with other credentials: user, password in the userinfo and in the query. */
function withCredentials(base: string, user: string): string {
  const url = new URL(base);
  url.username = user;
  url.password = "hunter2";
  url.searchParams.set("password", "hunter3");
  return url.toString();
}

const server = process.env.DATABASE_URL;
const inCi = process.env.CI === "true" || process.env.CI === "1";

describe("credentials on stderr of a real connection", () => {
  if (server === undefined || server === "") {
    it(inCi ? "runs against a real PostgreSQL" : "needs DATABASE_URL (not run)", () => {
      if (inCi)
        throw new Error("CI is set but DATABASE_URL is not: this suite must run against a real PostgreSQL in CI");
    });
    return;
  }

  it("are hidden when the login succeeds", async () => {
    // The test server trusts local logins: the passwords are sent and ignored.
    const run = await linucb(["migrate", "status", "--database-url", withCredentials(server, "postgres")]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("password=***");
    expect(run.stderr + run.stdout).not.toMatch(/hunter[23]/);
  });

  it("are hidden when the login fails", async () => {
    const run = await linucb(["migrate", "status", "--database-url", withCredentials(server, "no_such_role_linucb")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /cannot connect to PostgreSQL at postgres:\/\/no_such_role_linucb:\*\*\*@[^ ]+\?password=\*\*\*: /,
    );
    expect(run.stderr + run.stdout).not.toMatch(/hunter[23]/);
  });
});
