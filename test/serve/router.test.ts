import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openRouter, type Router } from "../../src/serve/index.js";
import { migrateUp } from "../../src/store/index.js";
import { describeOnBackends, useFreshDatabase } from "../store/backends.js";
import { eventually, get, post, promoteTrainedPolicy, switchableDb } from "./helpers.js";

const MODELS = ["m-a", "m-b", "m-c"];
const ROUTE = { cell: "code:hard", agentId: "agent-1", features: [1, 0.5, -2] };
const JUDGED = { completed: true, hallucinated: false, refused: false, judgeScore: 0.8 };

async function count(db: { query: (sql: string) => Promise<{ rows: unknown[] }> }, sql: string): Promise<number> {
  return Number(((await db.query(sql)).rows[0] as { n: number }).n);
}

describeOnBackends("linucb serve: routing, outcomes, auth, hot reload", (backend) => {
  const database = useFreshDatabase(backend);
  let router: Router;

  beforeAll(async () => {
    await migrateUp(database.db);
  });
  beforeEach(async () => {
    await database.db.exec(
      "DELETE FROM routing_decisions; DELETE FROM active_policy; UPDATE training_runs SET policy_version_id = NULL; DELETE FROM policy_versions; DELETE FROM training_runs; DELETE FROM routing_outcomes",
    );
    router = await openRouter({
      db: database.db,
      // On PostgreSQL the URL is used to LISTEN for promotions; the long poll below leaves it the only fast path.
      ...(database.fresh.options.databaseUrl === undefined ? {} : { databaseUrl: database.fresh.options.databaseUrl }),
      port: 0,
      token: "secret",
      models: MODELS,
      dimension: 3,
      pollMs: backend.name === "postgres" ? 60_000 : 50,
      bodyLimit: 4096,
      log: () => undefined,
    });
  });
  afterEach(async () => {
    await router.close();
  });

  it("serves the uniform policy before any promotion: propensity 1/K, flagged, and logs each decision", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const reply = await post(`${router.url}/v1/route`, { ...ROUTE, requestId: `r${i}` });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({
        propensity: 1 / 3,
        policyVersion: null,
        exploration: "uniform",
        uniform: true,
      });
      expect(MODELS).toContain(reply.body.model);
      seen.add(reply.body.model as string);
    }
    expect(seen.size).toBe(3);
    const policy = await get(`${router.url}/v1/policy`);
    expect(policy.body).toMatchObject({
      policyVersion: null,
      uniform: true,
      models: MODELS,
      dimension: 3,
      source: "prod",
    });
    expect(
      await eventually(async () => (await count(database.db, "SELECT count(*) AS n FROM routing_decisions")) === 60),
    ).toBe(true);
    const row = (
      await database.db.query(
        "SELECT request_id, policy_version_id, propensity, exploration, source FROM routing_decisions WHERE request_id = 'r7'",
      )
    ).rows[0];
    expect(row).toEqual({
      request_id: "r7",
      policy_version_id: null,
      propensity: 1 / 3,
      exploration: "uniform",
      source: "prod",
    });
  });

  it("writes an outcome from the decision record, once: a repeat answers the same, a different one 409, an unknown decision 404", async () => {
    const decision = (await post(`${router.url}/v1/route`, ROUTE)).body;
    const first = await post(`${router.url}/v1/outcomes`, { decisionId: decision.decisionId, ...JUDGED });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ decisionId: decision.decisionId, outcomeId: expect.any(Number) });
    const repeat = await post(`${router.url}/v1/outcomes`, { decisionId: decision.decisionId, ...JUDGED });
    expect(repeat).toEqual(first);
    const conflicting = await post(`${router.url}/v1/outcomes`, {
      decisionId: decision.decisionId,
      ...JUDGED,
      refused: true,
    });
    expect(conflicting.status).toBe(409);
    expect(conflicting.body.error).toMatch(
      /already has a different outcome .*received completed true, hallucinated false, refused true/,
    );
    const unknown = await post(`${router.url}/v1/outcomes`, {
      decisionId: "00000000-0000-4000-8000-000000000000",
      ...JUDGED,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/unknown decision 00000000-0000-4000-8000-000000000000/);

    const rows = (
      await database.db.query(
        "SELECT id, agent_id, cell, model, features, propensity, completed, refused, judge_score, reward, policy_version, source FROM routing_outcomes",
      )
    ).rows;
    expect(rows).toEqual([
      {
        id: first.body.outcomeId,
        agent_id: "agent-1",
        cell: "code:hard",
        model: decision.model,
        features: [1, 0.5, -2],
        propensity: 1 / 3,
        completed: true,
        refused: false,
        judge_score: 0.8,
        reward: null,
        policy_version: "uniform",
        source: "prod",
      },
    ]);
  });

  it("takes a batch whole or not at all: an unknown decision or a conflict in it writes nothing", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await post(`${router.url}/v1/route`, ROUTE)).body.decisionId as string);
    const withUnknown = await post(`${router.url}/v1/outcomes`, {
      outcomes: [
        ...ids.map((decisionId) => ({ decisionId, ...JUDGED })),
        { decisionId: "00000000-0000-4000-8000-000000000001", ...JUDGED },
      ],
    });
    expect(withUnknown.status).toBe(404);
    const withConflict = await post(`${router.url}/v1/outcomes`, {
      outcomes: [
        { decisionId: ids[0], ...JUDGED },
        { decisionId: ids[0], ...JUDGED, completed: false },
      ],
    });
    expect(withConflict.status).toBe(409);
    const badItem = await post(`${router.url}/v1/outcomes`, {
      outcomes: [
        { decisionId: ids[0], ...JUDGED },
        { decisionId: ids[1], ...JUDGED, completed: "yes" },
      ],
    });
    expect(badItem.status).toBe(400);
    expect(badItem.body.error).toBe('outcomes[1].completed must be true or false; received "yes"');
    expect(await count(database.db, "SELECT count(*) AS n FROM routing_outcomes")).toBe(0);

    const batch = await post(`${router.url}/v1/outcomes`, {
      outcomes: ids.map((decisionId) => ({ decisionId, ...JUDGED })),
    });
    expect(batch.status).toBe(200);
    expect((batch.body.outcomes as { decisionId: string }[]).map((o) => o.decisionId)).toEqual(ids);
    expect(await count(database.db, "SELECT count(*) AS n FROM routing_outcomes")).toBe(5);
    expect(
      await post(`${router.url}/v1/outcomes`, { outcomes: ids.map((decisionId) => ({ decisionId, ...JUDGED })) }),
    ).toEqual(batch);
    expect(await count(database.db, "SELECT count(*) AS n FROM routing_outcomes")).toBe(5);
  });

  it("requires the bearer token on writes and on /v1/route; reads are open", async () => {
    for (const token of [null, "wrong", "secre", "secret2"]) {
      const route = await post(`${router.url}/v1/route`, ROUTE, token);
      expect(route.status).toBe(401);
      expect(route.body.error).toMatch(/bearer token/);
      expect(
        (
          await post(
            `${router.url}/v1/outcomes`,
            { decisionId: "00000000-0000-4000-8000-000000000000", ...JUDGED },
            token,
          )
        ).status,
      ).toBe(401);
    }
    expect((await get(`${router.url}/v1/policy`)).status).toBe(200);
    expect((await get(`${router.url}/healthz`)).body).toMatchObject({ status: "ok" });
  });

  it("answers bad input with 400 naming the field and the value, 413 past the body limit, and keeps serving", async () => {
    const cases: [unknown, string][] = [
      [{ ...ROUTE, features: [1, 2] }, "features must have 3 numbers (the active policy's dimension); received 2"],
      [{ ...ROUTE, features: [1, "x", 3] }, 'features[1] must be a finite number within ±1000000; received "x"'],
      [{ ...ROUTE, features: [1, 2, -2e6] }, "features[2] must be a finite number within ±1000000; received -2000000"],
      [{ ...ROUTE, features: "1,2,3" }, 'features must be an array of 3 finite numbers; received "1,2,3"'],
      [{ ...ROUTE, agentId: "" }, 'agentId must be a non-empty string of at most 256 characters; received ""'],
      [
        { cell: "c", features: [1, 2, 3] },
        "agentId must be a non-empty string of at most 256 characters; received undefined",
      ],
      [
        { ...ROUTE, model: "m-a" },
        'model is not a known field (known: cell, agentId, features, requestId); received "m-a"',
      ],
      [[1, 2], "the request body must be a JSON object; received Array(2)"],
    ];
    for (const [body, message] of cases) {
      const reply = await post(`${router.url}/v1/route`, body);
      expect(reply).toEqual({ status: 400, body: { error: message } });
    }
    const infinite = await post(`${router.url}/v1/route`, '{"cell":"c","agentId":"a","features":[1,2,1e999]}');
    expect(infinite).toEqual({
      status: 400,
      body: { error: "features[2] must be a finite number within ±1000000; received Infinity" },
    });
    expect((await post(`${router.url}/v1/route`, '{"cell":')).status).toBe(400);
    const tooLarge = await post(`${router.url}/v1/route`, { ...ROUTE, cell: "x".repeat(5000) });
    expect(tooLarge).toEqual({
      status: 413,
      body: { error: "the request body is larger than the limit of 4096 bytes (--body-limit)" },
    });
    const outcome = await post(`${router.url}/v1/outcomes`, { decisionId: "not-a-uuid", ...JUDGED });
    expect(outcome).toEqual({
      status: 400,
      body: { error: 'decisionId must be a decision id (a UUID from /v1/route); received "not-a-uuid"' },
    });
    const score = await post(`${router.url}/v1/outcomes`, {
      decisionId: "00000000-0000-4000-8000-000000000000",
      ...JUDGED,
      judgeScore: "high",
    });
    expect(score.body.error).toBe('judgeScore must be a finite number or null; received "high"');
    // A new cell is fine: cells are created on first use.
    expect((await post(`${router.url}/v1/route`, { ...ROUTE, cell: "brand-new-cell" })).status).toBe(200);
  });

  it("refuses ids PostgreSQL cannot store (NUL, unpaired surrogates) with 400: stops no other route", async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ ...ROUTE, agentId: "a\u0000b" }, 'agentId must not contain NUL or unpaired surrogates; received "a\\u0000b"'],
      [{ ...ROUTE, cell: "c\u0000" }, 'cell must not contain NUL or unpaired surrogates; received "c\\u0000"'],
      [{ ...ROUTE, requestId: "\u0000" }, 'requestId must not contain NUL or unpaired surrogates; received "\\u0000"'],
      [{ ...ROUTE, agentId: "a\ud800" }, 'agentId must not contain NUL or unpaired surrogates; received "a\\ud800"'],
      [{ ...ROUTE, agentId: "\udc00a" }, 'agentId must not contain NUL or unpaired surrogates; received "\\udc00a"'],
    ];
    for (const [body, message] of bad)
      expect(await post(`${router.url}/v1/route`, body)).toEqual({ status: 400, body: { error: message } });
    const good = await post(`${router.url}/v1/route`, { ...ROUTE, agentId: "ägent 😀", requestId: "r\t1" });
    expect(good.status).toBe(200);
    const one = async () => (await count(database.db, "SELECT count(*) AS n FROM routing_decisions")) === 1;
    expect(await eventually(one)).toBe(true);
    expect((await get(`${router.url}/healthz`)).status).toBe(200);
    expect((await post(`${router.url}/v1/route`, ROUTE)).status).toBe(200);
    const stored = await database.db.query<{ agent_id: string }>("SELECT agent_id FROM routing_decisions");
    expect(stored.rows).toEqual([{ agent_id: "ägent 😀" }]);
  });

  it("switches to a promoted version without restart; its decisions carry the version and a propensity from its exploration", async () => {
    const before = await post(`${router.url}/v1/route`, ROUTE);
    expect(before.body.uniform).toBe(true);
    const versionId = await promoteTrainedPolicy(database.db, {
      arms: MODELS,
      dimension: 3,
      best: "m-b",
      exploration: { epsilon: 0.3 },
    });
    expect(await eventually(() => router.policy.versionId === versionId)).toBe(true);
    const after = await post(`${router.url}/v1/route`, { ...ROUTE, features: [1, 1, 1] });
    expect(after.body).toMatchObject({ policyVersion: versionId, exploration: { epsilon: 0.3 }, uniform: false });
    // ε = 0.3 over 3 models: the greedy model with 0.8, each other with 0.1.
    expect(after.body.propensity).toBeCloseTo(after.body.model === "m-b" ? 0.8 : 0.1, 12);
    const outcome = await post(`${router.url}/v1/outcomes`, { decisionId: after.body.decisionId, ...JUDGED });
    const row = (
      await database.db.query("SELECT policy_version, propensity FROM routing_outcomes WHERE id = $1", [
        outcome.body.outcomeId,
      ])
    ).rows[0];
    expect(row).toEqual({ policy_version: String(versionId), propensity: after.body.propensity });
    const policy = await get(`${router.url}/v1/policy`);
    expect(policy.body).toMatchObject({
      policyVersion: versionId,
      uniform: false,
      exploration: { epsilon: 0.3 },
      models: MODELS,
      dimension: 3,
    });
    const metrics = await (await fetch(`${router.url}/metrics`)).text();
    expect(metrics).toContain(`linucb_active_policy_version ${versionId}`);
    expect(metrics).toMatch(/linucb_http_requests_total\{route="\/v1\/route",status="200"\} 2/);
    expect(metrics).toMatch(
      new RegExp(`linucb_decisions_total\\{model="${after.body.model}",policy_version="${versionId}"\\} 1`),
    );
    expect(metrics).toContain("linucb_outcomes_written_total 1");
    expect(metrics).toContain("linucb_policy_reloads_total 1");
  });

  it("fails no request when a promotion lands during a burst of routes", async () => {
    const burst = Array.from({ length: 300 }, (_, i) =>
      post(`${router.url}/v1/route`, { ...ROUTE, requestId: `b${i}` }),
    );
    const versionId = await promoteTrainedPolicy(database.db, {
      arms: MODELS,
      dimension: 3,
      best: "m-c",
      exploration: { epsilon: 0.1 },
    });
    const replies = await Promise.all(burst);
    expect(await eventually(() => router.policy.versionId === versionId)).toBe(true);
    const late = await Promise.all(Array.from({ length: 50 }, () => post(`${router.url}/v1/route`, ROUTE)));
    expect([...replies, ...late].every((r) => r.status === 200)).toBe(true);
    expect(late.every((r) => r.body.policyVersion === versionId)).toBe(true);
    expect(replies.every((r) => r.body.policyVersion === null || r.body.policyVersion === versionId)).toBe(true);
  });
});

describeOnBackends("linucb serve: shadow source and start-up checks", (backend) => {
  const database = useFreshDatabase(backend);
  beforeAll(async () => {
    await migrateUp(database.db);
  });

  it("with durableDecisions, answers a route only once its decision is stored (without, within the group window)", async () => {
    const storedOf = async (ids: string[]): Promise<number> =>
      count(
        { query: (sql: string) => database.db.query(sql, [ids]) },
        "SELECT count(*) AS n FROM routing_decisions WHERE id = ANY($1::uuid[])",
      );
    for (const durableDecisions of [true, false]) {
      const router = await openRouter({
        db: database.db,
        port: 0,
        token: null,
        models: ["x", "y"],
        dimension: 2,
        durableDecisions,
        // Without waiting, a window far longer than the test: no write happens before the count.
        groupCommitMs: durableDecisions ? 50 : 60_000,
        log: () => undefined,
      });
      try {
        const replies = await Promise.all(
          Array.from({ length: 20 }, () =>
            post(`${router.url}/v1/route`, { cell: "c", agentId: "a", features: [0, 1] }, null),
          ),
        );
        expect(replies.every((r) => r.status === 200)).toBe(true);
        const ids = replies.map((r) => r.body.decisionId as string);
        expect(await storedOf(ids)).toBe(durableDecisions ? 20 : 0);
      } finally {
        await router.close();
      }
    }
  });

  it("writes the server's --source on every row (shadow), whatever the client sends", async () => {
    const router = await openRouter({
      db: database.db,
      port: 0,
      token: null,
      source: "shadow",
      models: ["x", "y"],
      dimension: 2,
      log: () => undefined,
    });
    try {
      const decision = (await post(`${router.url}/v1/route`, { cell: "c", agentId: "a", features: [0, 1] }, null)).body;
      expect(decision.propensity).toBe(0.5);
      const reply = await post(`${router.url}/v1/outcomes`, { decisionId: decision.decisionId, ...JUDGED }, null);
      expect(reply.status).toBe(200);
      const row = (await database.db.query("SELECT source FROM routing_outcomes WHERE id = $1", [reply.body.outcomeId]))
        .rows[0];
      expect(row).toEqual({ source: "shadow" });
    } finally {
      await router.close();
    }
  });

  it("deletes decisions past the retention on start, keeping the recent ones", async () => {
    const { insertDecisions, readDecisions } = await import("../../src/store/index.js");
    const decision = (id: string, daysAgo: number) => ({
      id,
      createdAt: new Date(Date.now() - daysAgo * 86_400_000),
      requestId: null,
      agentId: "a",
      cell: "c",
      model: "x",
      features: [0, 1],
      propensity: 0.5,
      policyVersionId: null,
      exploration: "uniform",
      source: "prod" as const,
    });
    const old = "11111111-1111-4111-8111-111111111111";
    const recent = "22222222-2222-4222-8222-222222222222";
    await insertDecisions(database.db, [decision(old, 3), decision(recent, 1)]);
    const router = await openRouter({
      db: database.db,
      port: 0,
      token: null,
      models: ["x", "y"],
      dimension: 2,
      decisionRetentionDays: 2,
      log: () => undefined,
    });
    try {
      expect(await eventually(async () => !(await readDecisions(database.db, [old])).has(old))).toBe(true);
      expect((await readDecisions(database.db, [recent])).has(recent)).toBe(true);
      // An outcome for the expired decision is unknown.
      const reply = await post(`${router.url}/v1/outcomes`, { decisionId: old, ...JUDGED }, null);
      expect(reply.status).toBe(404);
    } finally {
      await router.close();
    }
  });

  it("refuses to start off loopback without a token, and without models or dimension on an empty corpus", async () => {
    await database.db.exec("DELETE FROM routing_outcomes");
    await expect(
      openRouter({ db: database.db, host: "0.0.0.0", port: 0, token: null, models: ["x"], dimension: 1 }),
    ).rejects.toThrow(/refusing to listen on "0.0.0.0" without a bearer token: set LINUCB_TOKEN/);
    await expect(openRouter({ db: database.db, port: 0, token: "t", log: () => undefined })).rejects.toThrow(
      /give them \(--models a,b,c --dimension D\)/,
    );
  });
});

describeOnBackends("linucb serve: database outage and unservable versions", (backend) => {
  const database = useFreshDatabase(backend);
  beforeAll(async () => {
    await migrateUp(database.db);
  });

  it("answers 503 at once while decisions cannot be stored, recovers by itself, and stores the decisions it acknowledged", async () => {
    const outage = switchableDb(database.db);
    const messages: string[] = [];
    const router = await openRouter({
      db: outage.db,
      port: 0,
      token: "secret",
      models: MODELS,
      dimension: 3,
      log: (m) => void messages.push(m),
    });
    try {
      outage.setDown(true);
      // Routes go on until the first group write fails…
      const acknowledged: string[] = [];
      let status = 200;
      for (let i = 0; i < 200 && status === 200; i++) {
        const reply = await post(`${router.url}/v1/route`, ROUTE);
        status = reply.status;
        if (status === 200) acknowledged.push(reply.body.decisionId as string);
        else expect(reply.body.error).toMatch(/the decision log cannot be stored, retry later: .*ECONNREFUSED/);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      expect(status).toBe(503);
      expect((await get(`${router.url}/healthz`)).status).toBe(503);
      const outcome = await post(`${router.url}/v1/outcomes`, {
        decisionId: "00000000-0000-4000-8000-000000000000",
        ...JUDGED,
      });
      expect(outcome.status).toBe(503);
      expect(outcome.body.error).toMatch(/^the database is unavailable, retry later/);
      outage.setDown(false);
      expect(await eventually(async () => (await post(`${router.url}/v1/route`, ROUTE)).status === 200)).toBe(true);
      expect((await get(`${router.url}/healthz`)).body.status).toBe("ok");
      expect(messages.some((m) => m.includes("reachable again"))).toBe(true);
      await eventually(
        async () =>
          (await count(database.db, "SELECT count(*) AS n FROM routing_decisions")) >= acknowledged.length + 1,
      );
      const stored = await database.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM routing_decisions WHERE id = ANY($1::uuid[])",
        [acknowledged],
      );
      expect(stored.rows[0]!.n).toBe(acknowledged.length);
    } finally {
      outage.setDown(false);
      await router.close();
    }
  });

  it("keeps serving the current policy when the newly active version cannot be served, and says why", async () => {
    const messages: string[] = [];
    const router = await openRouter({
      db: database.db,
      port: 0,
      token: "secret",
      models: MODELS,
      dimension: 3,
      pollMs: 20,
      log: (m) => void messages.push(m),
    });
    try {
      const bad = await promoteTrainedPolicy(database.db, {
        arms: MODELS,
        dimension: 3,
        best: "m-a",
        exploration: { epsilon: 5 } as never,
      });
      expect(await eventually(() => messages.some((m) => m.includes(`cannot serve policy version ${bad}`)))).toBe(true);
      expect(messages.find((m) => m.includes(`cannot serve policy version ${bad}`))).toMatch(
        /policy_versions\.parameters\.exploration\.epsilon/,
      );
      const reply = await post(`${router.url}/v1/route`, ROUTE);
      expect(reply.body).toMatchObject({ uniform: true, policyVersion: null });
      const good = await promoteTrainedPolicy(database.db, {
        arms: MODELS,
        dimension: 3,
        best: "m-a",
        exploration: { softmax: 0.5 },
      });
      expect(await eventually(() => router.policy.versionId === good)).toBe(true);
      const after = await post(`${router.url}/v1/route`, ROUTE);
      expect(after.body).toMatchObject({ policyVersion: good, exploration: { softmax: 0.5 } });
      expect(after.body.propensity as number).toBeGreaterThan(0);
    } finally {
      await router.close();
    }
  });
});

describe("openRouter options", () => {
  afterAll(() => undefined);
  it("rejects bad options naming them", async () => {
    await expect(openRouter({ port: 70000 })).rejects.toThrow("port must be an integer in [0, 65535]; received 70000");
    await expect(openRouter({ source: "synthetic" as "prod" })).rejects.toThrow(
      "source must be 'prod' or 'shadow'; received \"synthetic\"",
    );
  });
});
