/**
 * Grades any corpus: refits the warm-up engine on an outcomes file (the JSONL `linucb synth`
 * writes) and grades it against an answer key (its planted_optimum.json) with the gate's rule — so
 * anyone can corrupt a corpus (permute its cell labels, shuffle its rewards) and watch the gate
 * fail. The world is regenerated from the key's seed (worlds are deterministic), and the key must
 * be that world's answer key: a key of another seed or generator version is refused.
 */
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { createLinUCB } from "../engine/linucb.js";
import type { LinUCBEngine } from "../engine/types.js";
import { plantedOptimum, type PlantedOptimum } from "./answer-key.js";
import { convergenceReport, type ConvergenceReport } from "./convergence.js";
import { SYNTHETIC_DIMENSION } from "./features.js";
import {
  gateRule,
  gateVerdict,
  reportOptions,
  syntheticEngineOptions,
  type GateOptions,
  type GateVerdict,
} from "./gate.js";
import { parseOutcomeJsonLine } from "./jsonl.js";
import { SYNTHETIC_SOURCE, generateWorld, type SyntheticWorld } from "./world.js";

/** The rows of an outcomes file the refit needs, columnar. */
interface CorpusRows {
  readonly cells: string[];
  readonly arms: string[];
  readonly propensities: number[];
  readonly contexts: number[];
  readonly rewards: number[];
}

/** What {@link gradeCorpus} produced. */
export interface CorpusGrade {
  readonly world: SyntheticWorld;
  readonly engine: LinUCBEngine;
  readonly report: ConvergenceReport;
  readonly verdict: GateVerdict;
}

/** Reads and checks an answer key; returns the world it is the key of. */
export async function worldOfKey(keyPath: string): Promise<SyntheticWorld> {
  let key: PlantedOptimum;
  try {
    key = JSON.parse(await readFile(keyPath, "utf8")) as PlantedOptimum;
  } catch (error) {
    throw new Error(`cannot read the answer key ${JSON.stringify(keyPath)}: ${(error as Error).message}`);
  }
  if (key === null || typeof key !== "object" || !Number.isInteger(key.seed) || !Array.isArray(key.cells)) {
    throw new Error(`${JSON.stringify(keyPath)} is not an answer key (planted_optimum.json): no seed or cells`);
  }
  if (key.source !== SYNTHETIC_SOURCE) {
    throw new Error(
      `the answer key is of generator ${JSON.stringify(key.source)}; this build grades ${SYNTHETIC_SOURCE}`,
    );
  }
  const world = generateWorld({ seed: key.seed });
  const expected = plantedOptimum(world).cells;
  const differing = key.cells.filter(
    (cell, i) => cell?.cell !== expected[i]?.cell || cell?.optimal !== expected[i]?.optimal,
  );
  if (key.cells.length !== expected.length || differing.length > 0) {
    throw new Error(
      `the answer key is not that of seed ${key.seed} of ${SYNTHETIC_SOURCE} (${differing.length} cells differ)`,
    );
  }
  return world;
}

/** Parses an outcomes file; a bad line throws an error naming its line number. */
export async function readCorpus(outcomesPath: string): Promise<CorpusRows> {
  const rows: CorpusRows = { cells: [], arms: [], propensities: [], contexts: [], rewards: [] };
  const lines = createInterface({ input: createReadStream(outcomesPath), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === "") continue;
    let row: ReturnType<typeof parseOutcomeJsonLine>;
    try {
      row = parseOutcomeJsonLine(line);
    } catch (error) {
      throw new Error(`${outcomesPath}:${number}: ${(error as Error).message}`);
    }
    if (row.reward === null)
      throw new Error(`${outcomesPath}:${number}: the row has no reward (unjudged); the gate grades judged rows`);
    if (row.features.length !== SYNTHETIC_DIMENSION) {
      throw new Error(
        `${outcomesPath}:${number}: \`features\` must have ${SYNTHETIC_DIMENSION} values, received ` +
          `${row.features.length}`,
      );
    }
    rows.cells.push(row.cell);
    rows.arms.push(row.model);
    rows.propensities.push(row.propensity);
    for (let k = 0; k < SYNTHETIC_DIMENSION; k++) rows.contexts.push(row.features[k]!);
    rows.rewards.push(row.reward);
  }
  return rows;
}

function checkRows(world: SyntheticWorld, rows: CorpusRows): void {
  const cells = new Set(world.cells.map((c) => c.id));
  const models = new Set(world.models);
  rows.cells.forEach((cell, i) => {
    if (!cells.has(cell))
      throw new Error(`outcome row ${i + 1}: cell ${JSON.stringify(cell)} is not a cell of the key's world`);
    if (!models.has(rows.arms[i]!)) {
      throw new Error(`outcome row ${i + 1}: model ${JSON.stringify(rows.arms[i])} is not a model of the key's world`);
    }
  });
}

/** Refits the warm-up engine on the file's rows and grades the refit against the key with the gate's rule. */
export async function gradeCorpus(
  outcomesPath: string,
  keyPath: string,
  options: GateOptions = {},
): Promise<CorpusGrade> {
  const world = await worldOfKey(keyPath);
  const rows = await readCorpus(outcomesPath);
  checkRows(world, rows);
  const rule = { ...gateRule(options), n: rows.cells.length };
  const engine = await createLinUCB(syntheticEngineOptions(world, options.engine));
  const contexts = Float64Array.from(rows.contexts);
  engine.refit({ cells: rows.cells, arms: rows.arms, contexts, rewards: Float64Array.from(rows.rewards) });
  const logged = rows.cells.map((cell, i) => ({ cell, model: rows.arms[i]!, propensity: rows.propensities[i]! }));
  const report = convergenceReport(world, engine, logged, reportOptions(rule, options.minRows));
  return { world, engine, report, verdict: gateVerdict(report, rule) };
}
