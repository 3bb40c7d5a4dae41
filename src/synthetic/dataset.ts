/**
 * Writes a synthetic data set to a folder: outcomes.jsonl (the log, see jsonl.ts) and
 * planted_optimum.json (the answer key, see answer-key.ts). The JSONL is streamed chunk by chunk,
 * respecting back-pressure, so 10⁶ rows never sit in memory as one string.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describeValue } from "../engine/errors.js";
import { plantedOptimum } from "./answer-key.js";
import type { SyntheticColumns } from "./generator.js";
import { outcomeJsonChunks } from "./jsonl.js";
import { checkWorld, type SyntheticWorld } from "./world.js";

/** File name of the log in a data set folder. */
export const OUTCOMES_FILE = "outcomes.jsonl";
/** File name of the answer key in a data set folder. */
export const ANSWER_KEY_FILE = "planted_optimum.json";

/** What {@link writeSyntheticDataset} wrote. */
export interface WrittenDataset {
  readonly outcomesPath: string;
  readonly answerKeyPath: string;
  readonly rows: number;
  /** Size of outcomes.jsonl in bytes. */
  readonly outcomeBytes: number;
}

/** Writes outcomes.jsonl and planted_optimum.json into `dir` (created if missing; files replaced). */
export async function writeSyntheticDataset(
  dir: string,
  world: SyntheticWorld,
  columns: SyntheticColumns,
): Promise<WrittenDataset> {
  if (typeof dir !== "string" || dir.length === 0) {
    throw new TypeError(`\`dir\` must be a non-empty path, received ${describeValue(dir)}`);
  }
  checkWorld(world);
  await mkdir(dir, { recursive: true });
  const outcomesPath = join(dir, OUTCOMES_FILE);
  const answerKeyPath = join(dir, ANSWER_KEY_FILE);

  const stream = createWriteStream(outcomesPath);
  const failed = new Promise<never>((_, reject) => stream.once("error", reject));
  // A rejection that nobody awaits yet must not crash the process; it is awaited below.
  failed.catch(() => undefined);
  for (const chunk of outcomeJsonChunks(world, columns)) {
    if (!stream.write(chunk)) await Promise.race([once(stream, "drain"), failed]);
  }
  stream.end();
  await Promise.race([once(stream, "finish"), failed]);

  await writeFile(answerKeyPath, `${JSON.stringify(plantedOptimum(world), null, 2)}\n`);
  return { outcomesPath, answerKeyPath, rows: columns.count, outcomeBytes: stream.bytesWritten };
}
