/**
 * The loop end to end, on both back ends: serve (uniform policy) → outcomes → prod cadence →
 * promotion → the running server switches without restart → its decisions carry the new version
 * and a propensity → the next cadence reads and evaluates them with that version as incumbent.
 *
 * Traffic comes from a small planted world where one model is clearly best per cell (completion
 * probability 0.9 against 0.15), so that the candidate beats the uniform policy under any
 * reasonable gate. On PostgreSQL the cadence runs as the CLI (a second connection, its exit code);
 * on the embedded store it runs in the server's process on the same handle, since the folder is
 * locked by one process.
 */
import { expect, it } from "vitest";
import { runCadence } from "../../src/cadence/index.js";
import { openRouter, type Router } from "../../src/serve/index.js";
import { migrateUp, type Db } from "../../src/store/index.js";
import { runCli } from "../cli-run.js";
import { describeOnBackends, useFreshDatabase } from "../store/backends.js";
import { eventually, post } from "./helpers.js";
import { createSeededRandom } from "../../src/evaluation/random.js";

const MODELS = ["m-a", "m-b", "m-c"];
const BEST: Record<string, string> = { code: "m-b", chat: "m-c" };

/** Seeded uniform draws in [0, 1): the project's own generator (src/engine/random.ts). */
function seeded(seed: number): () => number {
  const random = createSeededRandom(seed);
  return () => random.nextFloat();
}

interface Routed {
  readonly decisionId: string;
  readonly model: string;
  readonly propensity: number;
  readonly policyVersion: number | null;
  readonly exploration: unknown;
  readonly cell: string;
}

/** `n` routed requests (20 at a time) and their judged outcomes posted in batches of 250. */
async function traffic(router: Router, n: number, random: () => number): Promise<Routed[]> {
  const routed: Routed[] = [];
  for (let start = 0; start < n; start += 20) {
    const replies = await Promise.all(
      Array.from({ length: Math.min(20, n - start) }, async () => {
        const cell = random() < 0.5 ? "code" : "chat";
        const features = [1, random(), random() - 0.5];
        const reply = await post(`${router.url}/v1/route`, { cell, agentId: "loop-agent", features });
        expect(reply.status).toBe(200);
        return { ...(reply.body as unknown as Omit<Routed, "cell">), cell };
      }),
    );
    routed.push(...replies);
  }
  for (let start = 0; start < routed.length; start += 250) {
    const outcomes = routed.slice(start, start + 250).map((r) => ({
      decisionId: r.decisionId,
      completed: random() < (r.model === BEST[r.cell] ? 0.9 : 0.15),
      hallucinated: false,
      refused: false,
    }));
    const reply = await post(`${router.url}/v1/outcomes`, { outcomes });
    expect(reply.status).toBe(200);
  }
  return routed;
}

async function count(db: Db, sql: string, params: unknown[] = []): Promise<number> {
  return Number(((await db.query(sql, params)).rows[0] as { n: number }).n);
}

describeOnBackends("the serving loop end to end", (backend) => {
  const database = useFreshDatabase(backend);

  it(
    "serve → outcomes → cadence → promote → hot switch → new decisions → next cadence evaluates them",
    { timeout: 240_000 },
    async () => {
      const { db } = database;
      await migrateUp(db);
      const url = database.fresh.options.databaseUrl;
      const router = await openRouter({
        db,
        ...(url === undefined ? {} : { databaseUrl: url }),
        port: 0,
        token: "secret",
        models: MODELS,
        dimension: 3,
        pollMs: 100,
        log: () => undefined,
      });
      const prodCadence = async (): Promise<{
        promoted: boolean;
        policyVersionId: number | null;
        incumbent: unknown;
        events: number;
        rowsRead: number;
      }> => {
        if (url === undefined) {
          const result = await runCadence(db, { mode: "prod", resamples: 200 });
          return {
            promoted: result.mode === "prod" && result.promoted,
            policyVersionId: result.mode === "prod" ? result.policyVersionId : null,
            incumbent: result.evaluation?.incumbent,
            events: result.evaluation?.events ?? 0,
            rowsRead: result.corpus.rowsRead,
          };
        }
        const run = await runCli([
          "cadence",
          "--mode",
          "prod",
          "--database-url",
          url,
          "--json",
          "--no-report",
          "--resamples",
          "200",
        ]);
        const result = JSON.parse(run.stdout) as {
          promoted: boolean;
          policyVersionId: number | null;
          evaluation: { incumbent: unknown; events: number };
          corpus: { rowsRead: number };
        };
        // Exit 0 exactly when promoted (a gate not passed exits non-zero: 3 by the agreed codes).
        expect(run.code === 0, run.stderr).toBe(result.promoted);
        return {
          promoted: result.promoted,
          policyVersionId: result.policyVersionId,
          incumbent: result.evaluation.incumbent,
          events: result.evaluation.events,
          rowsRead: result.corpus.rowsRead,
        };
      };
      try {
        const random = seeded(2026);
        const uniform = await traffic(router, 3000, random);
        expect(uniform.every((r) => r.policyVersion === null && r.propensity === 1 / 3)).toBe(true);

        const first = await prodCadence();
        expect(first.rowsRead).toBe(3000);
        expect(first.promoted).toBe(true);
        const versionId = first.policyVersionId!;
        expect(await eventually(() => router.policy.versionId === versionId, 10_000)).toBe(true);

        const served = await traffic(router, 1000, random);
        expect(served.every((r) => r.policyVersion === versionId)).toBe(true);
        const exploration = served[0]!.exploration as { epsilon: number };
        expect(served.every((r) => JSON.stringify(r.exploration) === JSON.stringify(exploration))).toBe(true);
        // Under ε-greedy over 3 models each propensity is 1 − ε + ε/3 (greedy) or ε/3, never 0.
        const greedy = 1 - exploration.epsilon + exploration.epsilon / 3;
        expect(
          served.every(
            (r) => Math.abs(r.propensity - greedy) < 1e-12 || Math.abs(r.propensity - exploration.epsilon / 3) < 1e-12,
          ),
        ).toBe(true);
        // The promoted policy learned the planted best model of each cell (uniform would pick it 1/3 of the time).
        const best = served.filter((r) => r.model === BEST[r.cell]).length / served.length;
        expect(best).toBeGreaterThan(0.6);
        expect(
          await count(db, "SELECT count(*) AS n FROM routing_outcomes WHERE policy_version = $1 AND source = 'prod'", [
            String(versionId),
          ]),
        ).toBe(1000);

        const second = await prodCadence();
        expect(second.rowsRead).toBe(4000);
        expect(second.incumbent).toEqual({ kind: "active", policyVersionId: versionId });
        expect(second.events).toBeGreaterThan(0);
      } finally {
        await router.close();
      }
    },
  );
});
