/**
 * Synthetic outcomes as JSON Lines: one object per line, keys in snake_case as in the
 * `routing_outcomes_synthetic` table:
 *
 *     {"id":1,"created_at":"2025-01-01T00:00:00.012Z","agent_id":"agent-07","cell":"sql:hard",
 *      "model":"model-c","features":[1,0.6123,…],"propensity":0.0934…,"completed":true,
 *      "hallucinated":false,"refused":false,"judge_score":1,"judge_model":"planted_oracle",
 *      "reward":1,"policy_version":null,"source":"synthetic_coldstart_v2","synthetic":true,
 *      "seed":42,"affinity_version":"affinity_v1","difficulty":0.6123}
 *
 * Numbers are written with JavaScript's shortest round-trip formatting, so parsing a line gives
 * back the very same doubles (features are on a 10⁻⁴ grid, so they also stay short).
 */
import { describeValue } from "../engine/errors.js";
import type { SyntheticOutcome } from "../outcomes/outcome.js";
import { FEATURE_GRID, TASK_TYPES } from "./catalog.js";
import { FeatureIndex, SYNTHETIC_DIMENSION } from "./features.js";
import type { SyntheticColumns } from "./generator.js";
import { checkInteger, checkOptionsObject } from "./validation.js";
import { SYNTHETIC_JUDGE_MODEL, checkWorld, type SyntheticWorld } from "./world.js";

/** Options of {@link outcomeJsonChunks}. */
export interface JsonChunkOptions {
  /** Rows per yielded chunk, an integer ≥ 1. @default 8192 */
  readonly chunkRows?: number;
}

/**
 * Yields the JSONL text of generated columns in chunks of whole lines (each line ends with "\n"),
 * without building per-row objects: stream them to a file or socket.
 */
export function* outcomeJsonChunks(
  world: SyntheticWorld,
  columns: SyntheticColumns,
  options?: JsonChunkOptions,
): Generator<string, void, undefined> {
  checkWorld(world);
  const opts = checkOptionsObject<JsonChunkOptions>(options, "options");
  const chunkRows = checkInteger(opts.chunkRows ?? 8192, "options.chunkRows", 1, 1_000_000);
  if (columns.dimension !== SYNTHETIC_DIMENSION) {
    throw new RangeError(
      `\`columns.dimension\` must be ${SYNTHETIC_DIMENSION}, received ${describeValue(columns.dimension)}`,
    );
  }
  const d = columns.dimension;
  const models = world.models.length;
  // Formatting numbers dominates the cost of a line, and almost every value comes from a small
  // table: the agent's and the task's features, the propensities (one per cell, agent and model),
  // and the grid values of difficulty and input size. Each is formatted once, up front.
  const agentIds = world.agents.map((a) => JSON.stringify(a.id));
  const cellIds = world.cells.map((c) => JSON.stringify(c.id));
  const modelIds = world.models.map((m) => JSON.stringify(m));
  const agentFeatures = world.agents.map((a) => a.features.map((v) => `,${v}`).join(""));
  const taskFeatures = world.cells.map((c) => TASK_TYPES[c.taskIndex].features.map((v) => `,${v}`).join(""));
  const propensities = Array.from(world.propensities, (p) => String(p));
  const gridValues = Array.from({ length: FEATURE_GRID + 1 }, (_, j) => String(j / FEATURE_GRID));
  const gridValue = (value: number): string => {
    const j = Math.round(value * FEATURE_GRID);
    return j >= 0 && j <= FEATURE_GRID && j / FEATURE_GRID === value ? gridValues[j] : String(value);
  };
  const tail =
    `,"policy_version":null,"source":${JSON.stringify(world.source)},"synthetic":true,` +
    `"seed":${columns.seed},"affinity_version":${JSON.stringify(world.affinityVersion)},"difficulty":`;
  const judge = `,"judge_model":${JSON.stringify(SYNTHETIC_JUDGE_MODEL)},"reward":`;
  const x = columns.contexts;
  for (let start = 0; start < columns.count; start += chunkRows) {
    const end = Math.min(columns.count, start + chunkRows);
    const lines = new Array<string>(end - start);
    for (let i = start; i < end; i++) {
      const row = i * d;
      const agent = columns.agentIndices[i];
      const cell = columns.cellIndices[i];
      const model = columns.modelIndices[i];
      const difficulty = gridValue(x[row + FeatureIndex.difficulty]);
      const reward = String(columns.rewards[i]);
      const inputSize = gridValue(x[row + FeatureIndex.inputSize]);
      const propensity = propensities[(cell * world.agents.length + agent) * models + model];
      lines[i - start] =
        `{"id":${i + 1},"created_at":"${new Date(columns.createdAtMs[i]).toISOString()}",` +
        `"agent_id":${agentIds[agent]},"cell":${cellIds[cell]},"model":${modelIds[model]},` +
        `"features":[1,${difficulty}${agentFeatures[agent]}${taskFeatures[cell]},${inputSize}],` +
        `"propensity":${propensity},"completed":${columns.completed[i] === 1},` +
        `"hallucinated":${columns.hallucinated[i] === 1},"refused":${columns.refused[i] === 1},` +
        `"judge_score":${reward}${judge}${reward}${tail}${difficulty}}\n`;
    }
    yield lines.join("");
  }
}

function field<T>(record: Record<string, unknown>, key: string, check: (v: unknown) => boolean, expected: string): T {
  const value = record[key];
  if (!check(value))
    throw new TypeError(`outcome line: \`${key}\` must be ${expected}, received ${describeValue(value)}`);
  return value as T;
}

const isFiniteNumber = (v: unknown): boolean => typeof v === "number" && Number.isFinite(v);
const isString = (v: unknown): boolean => typeof v === "string";
const isBoolean = (v: unknown): boolean => typeof v === "boolean";

/**
 * Parses one line written by {@link outcomeJsonChunks} back into a {@link SyntheticOutcome}.
 * Throws a SyntaxError on invalid JSON and a TypeError naming the field on a missing or mistyped one.
 */
export function parseOutcomeJsonLine(line: string): SyntheticOutcome {
  if (typeof line !== "string") throw new TypeError(`\`line\` must be a string, received ${describeValue(line)}`);
  const parsed: unknown = JSON.parse(line);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new TypeError(`outcome line must be a JSON object, received ${describeValue(parsed)}`);
  }
  const record = parsed as Record<string, unknown>;
  const features = field<unknown[]>(
    record,
    "features",
    (v) => Array.isArray(v) && v.every(isFiniteNumber),
    "an array of finite numbers",
  );
  const createdAt = new Date(field<string>(record, "created_at", isString, "an ISO date string"));
  if (Number.isNaN(createdAt.getTime())) {
    throw new TypeError(
      `outcome line: \`created_at\` must be an ISO date string, received ${describeValue(record.created_at)}`,
    );
  }
  const nullableNumber = (v: unknown): boolean => v === null || isFiniteNumber(v);
  return {
    id: field<number>(record, "id", (v) => Number.isSafeInteger(v) && (v as number) > 0, "a positive integer"),
    createdAt,
    agentId: field<string>(record, "agent_id", isString, "a string"),
    cell: field<string>(record, "cell", isString, "a string"),
    model: field<string>(record, "model", isString, "a string"),
    features: Float64Array.from(features as number[]),
    propensity: field<number>(
      record,
      "propensity",
      (v) => isFiniteNumber(v) && (v as number) > 0 && (v as number) <= 1,
      "a number in (0, 1]",
    ),
    completed: field<boolean>(record, "completed", isBoolean, "a boolean"),
    hallucinated: field<boolean>(record, "hallucinated", isBoolean, "a boolean"),
    refused: field<boolean>(record, "refused", isBoolean, "a boolean"),
    judgeScore: field<number | null>(record, "judge_score", nullableNumber, "a number or null"),
    judgeModel: field<string | null>(record, "judge_model", (v) => v === null || isString(v), "a string or null"),
    reward: field<number | null>(record, "reward", nullableNumber, "a number or null"),
    policyVersion: field<string | null>(record, "policy_version", (v) => v === null || isString(v), "a string or null"),
    source: field<string>(record, "source", isString, "a string"),
    synthetic: field<true>(record, "synthetic", (v) => v === true, "true"),
    seed: field<number>(record, "seed", (v) => Number.isInteger(v) && (v as number) >= 0, "a seed"),
    affinityVersion: field<string>(record, "affinity_version", isString, "a string"),
    difficulty: field<number>(record, "difficulty", isFiniteNumber, "a finite number"),
  };
}
