/**
 * The fixed vocabulary of the synthetic world: its task types (with their task features and input
 * sizes), difficulty buckets, models and agents. What is random per seed (skills, affinities, agent
 * features, mixes) lives in the world; what is here is the same for every seed, so that cell and
 * model ids mean the same thing in every generated data set.
 *
 * Continuous per-request features are drawn on a grid of 10⁻⁴ (see {@link GridRange}): the values
 * print as short decimals in JSONL and read back as the very same doubles.
 */
import { TASK_FEATURE_COUNT } from "./features.js";

/** Resolution of every per-request feature value: values are multiples of 10⁻⁴. */
export const FEATURE_GRID = 10_000;

/**
 * A uniform draw on the grid: `(start + j) / FEATURE_GRID` for j uniform in {0, …, count − 1}.
 * Its exact mean is `(start + (count − 1) / 2) / FEATURE_GRID`.
 */
export interface GridRange {
  readonly start: number;
  readonly count: number;
}

/** The exact mean of a {@link GridRange}. */
export function gridMean(range: GridRange): number {
  return (range.start + (range.count - 1) / 2) / FEATURE_GRID;
}

/** The smallest and largest value of a {@link GridRange}. */
export function gridBounds(range: GridRange): readonly [number, number] {
  return [range.start / FEATURE_GRID, (range.start + range.count - 1) / FEATURE_GRID];
}

/** One task type: its id, its task features, and the range of its requests' input sizes. */
export interface TaskType {
  readonly id: string;
  /** reasoning, coding, knowledge, writing: see the feature layout in features.ts. */
  readonly features: readonly number[];
  /** Normalised input size of its requests. */
  readonly inputSize: GridRange;
}

function task(id: string, features: readonly number[], inputFrom: number, inputTo: number): TaskType {
  if (features.length !== TASK_FEATURE_COUNT) throw new Error(`task ${id}: ${features.length} features`);
  const start = Math.round(inputFrom * FEATURE_GRID);
  return Object.freeze({
    id,
    features: Object.freeze([...features]),
    inputSize: Object.freeze({ start, count: Math.round(inputTo * FEATURE_GRID) - start }),
  });
}

/** The 12 task types. Features: [reasoning, coding, knowledge, writing]. */
export const TASK_TYPES: readonly TaskType[] = Object.freeze([
  task("code_gen", [0.6, 1.0, 0.3, 0.1], 0.2, 0.7),
  task("code_review", [0.7, 0.9, 0.4, 0.3], 0.4, 1.0),
  task("debugging", [0.9, 0.9, 0.3, 0.1], 0.3, 0.9),
  task("sql", [0.5, 0.8, 0.4, 0.0], 0.1, 0.5),
  task("math", [1.0, 0.3, 0.2, 0.1], 0.0, 0.4),
  task("data_analysis", [0.8, 0.6, 0.5, 0.3], 0.3, 0.9),
  task("summarization", [0.3, 0.0, 0.5, 0.9], 0.5, 1.0),
  task("extraction", [0.3, 0.2, 0.7, 0.4], 0.3, 0.8),
  task("classification", [0.4, 0.1, 0.6, 0.3], 0.0, 0.4),
  task("translation", [0.2, 0.0, 0.4, 1.0], 0.1, 0.6),
  task("planning", [0.9, 0.3, 0.6, 0.6], 0.2, 0.6),
  task("creative_writing", [0.3, 0.0, 0.3, 1.0], 0.0, 0.5),
]);

/** One difficulty bucket: its id, how often requests fall in it, and its range of difficulty. */
export interface DifficultyBucket {
  readonly id: string;
  /** Share of requests in this bucket (the same for every task type). */
  readonly share: number;
  /** Difficulty values of its requests: the bucket's fifth of [0, 1). */
  readonly difficulty: GridRange;
}

const BUCKET_IDS = ["trivial", "easy", "medium", "hard", "expert"] as const;
const BUCKET_SHARES = [0.16, 0.22, 0.24, 0.22, 0.16] as const;

/** The 5 difficulty buckets, easiest first; bucket b holds difficulties in [b/5, (b+1)/5). */
export const DIFFICULTY_BUCKETS: readonly DifficultyBucket[] = Object.freeze(
  BUCKET_IDS.map((id, b) =>
    Object.freeze({
      id,
      share: BUCKET_SHARES[b],
      difficulty: Object.freeze({ start: (b * FEATURE_GRID) / 5, count: FEATURE_GRID / 5 }),
    }),
  ),
);

/** Number of cells: one per (task type, difficulty bucket). */
export const CELL_COUNT = TASK_TYPES.length * DIFFICULTY_BUCKETS.length;

/** The id of the cell of a task type and a difficulty bucket, e.g. `"sql:hard"`. */
export function cellId(taskType: number, bucket: number): string {
  return `${TASK_TYPES[taskType].id}:${DIFFICULTY_BUCKETS[bucket].id}`;
}

/** The 8 models, the arms. Neutral names: their strengths are drawn per seed. */
export const MODEL_IDS: readonly string[] = Object.freeze(
  ["a", "b", "c", "d", "e", "f", "g", "h"].map((letter) => `model-${letter}`),
);

/** Number of agents that call the router. */
export const AGENT_COUNT = 24;

/** Agent ids: `agent-01` … `agent-24`. */
export const AGENT_IDS: readonly string[] = Object.freeze(
  Array.from({ length: AGENT_COUNT }, (_, i) => `agent-${String(i + 1).padStart(2, "0")}`),
);
