import { randomUUID } from "node:crypto";
import { beforeAll, beforeEach, expect, it } from "vitest";
import {
  insertDecisionOutcomes,
  readDecisionOutcomes,
  type DecisionOutcomeInput,
} from "../../src/store/decision-outcomes.js";
import { decisionOutcomeKey, insertDecisions, type Decision } from "../../src/store/decisions.js";
import { migrateUp } from "../../src/store/migrator.js";
import { describeOnBackends, useFreshDatabase } from "./backends.js";

function decision(overrides: Partial<Decision> = {}): Decision {
  return {
    id: randomUUID(),
    createdAt: new Date(),
    requestId: null,
    agentId: "agent-a",
    cell: "code:hard",
    model: "m1",
    features: [1, 0.25, -3e-7],
    propensity: 0.35,
    policyVersionId: null,
    exploration: "uniform",
    source: "prod",
    ...overrides,
  };
}

const judged = { completed: true, hallucinated: false, refused: true, judgeScore: 0.5, source: "shadow" } as const;

describeOnBackends("outcomes written from their decision", (backend) => {
  const database = useFreshDatabase(backend);
  beforeAll(async () => {
    await migrateUp(database.db);
  });
  beforeEach(async () => {
    await database.db.exec("DELETE FROM routing_decisions; DELETE FROM routing_outcomes");
  });

  it("takes a stored decision's context from the table and an unstored one's as given; a repeat adds nothing", async () => {
    const { db } = database;
    const stored = decision({ model: "m2", features: [0.5, -1, 2e-9], propensity: 0.9 });
    const inMemory = decision({ cell: "chat", agentId: "agent-b", propensity: 0.1 });
    await insertDecisions(db, [stored]);
    const items: DecisionOutcomeInput[] = [
      { decisionId: stored.id, decision: null, ...judged },
      { decisionId: inMemory.id, decision: inMemory, ...judged, completed: false, judgeScore: null },
    ];
    const written = await insertDecisionOutcomes(db, items);
    expect([...written.keys()].sort()).toEqual([decisionOutcomeKey(stored.id), decisionOutcomeKey(inMemory.id)].sort());
    const rows = await db.query(
      `SELECT dedupe_key, agent_id, cell, model, features, propensity, completed, hallucinated, refused, judge_score,
              policy_version, source FROM routing_outcomes ORDER BY propensity DESC`,
    );
    expect(rows.rows).toEqual([
      {
        dedupe_key: decisionOutcomeKey(stored.id),
        agent_id: "agent-a",
        cell: "code:hard",
        model: "m2",
        features: [0.5, -1, 2e-9],
        propensity: 0.9,
        completed: true,
        hallucinated: false,
        refused: true,
        judge_score: 0.5,
        policy_version: "uniform",
        source: "shadow",
      },
      {
        dedupe_key: decisionOutcomeKey(inMemory.id),
        agent_id: "agent-b",
        cell: "chat",
        model: "m1",
        features: [1, 0.25, -3e-7],
        propensity: 0.1,
        completed: false,
        hallucinated: false,
        refused: true,
        judge_score: null,
        policy_version: "uniform",
        source: "shadow",
      },
    ]);
    expect((await insertDecisionOutcomes(db, items)).size).toBe(0);
    expect(Number((await db.query<{ n: number }>("SELECT count(*) AS n FROM routing_outcomes")).rows[0]!.n)).toBe(2);
  });

  it("writes nothing for a decision that is not stored and not given, and reads back which decisions exist", async () => {
    const { db } = database;
    const known = decision();
    await insertDecisions(db, [known]);
    const unknown = randomUUID();
    expect((await insertDecisionOutcomes(db, [{ decisionId: unknown, decision: null, ...judged }])).size).toBe(0);
    const before = await readDecisionOutcomes(db, [known.id, unknown]);
    expect([...before]).toEqual([[known.id, null]]);
    const written = await insertDecisionOutcomes(db, [{ decisionId: known.id, decision: null, ...judged }]);
    const after = await readDecisionOutcomes(db, [known.id]);
    expect(after.get(known.id)).toEqual({
      id: written.get(decisionOutcomeKey(known.id)),
      dedupeKey: decisionOutcomeKey(known.id),
      completed: true,
      hallucinated: false,
      refused: true,
      judgeScore: 0.5,
    });
  });
});
