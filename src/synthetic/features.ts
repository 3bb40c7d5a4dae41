/**
 * The fixed feature layout of the synthetic world: what each of the {@link SYNTHETIC_DIMENSION}
 * context features means, and the one function that builds a context vector from its parts.
 *
 * | index | name                | range  | varies with                                   |
 * |-------|---------------------|--------|-----------------------------------------------|
 * | 0     | intercept           | 1      | —                                             |
 * | 1     | difficulty          | [0, 1) | the request (uniform within the cell's bucket)|
 * | 2     | agent.autonomy      | [0, 1] | the agent (multi-step, tool-driven callers)   |
 * | 3     | agent.strictness    | [0, 1] | the agent (how strictly it validates answers) |
 * | 4     | agent.context_load  | [0, 1] | the agent (how much context it sends along)   |
 * | 5     | task.reasoning      | [0, 1] | the task type                                 |
 * | 6     | task.coding         | [0, 1] | the task type                                 |
 * | 7     | task.knowledge      | [0, 1] | the task type                                 |
 * | 8     | task.writing        | [0, 1] | the task type                                 |
 * | 9     | request.input_size  | [0, 1) | the request (uniform within the task's range) |
 *
 * The task features make the cells' structure visible to a model pooled over cells: two cells of
 * similar task types have similar contexts, so a per-arm model shared by all cells (hybrid LinUCB,
 * or a pooled prior) can transfer what it learns in one cell to the others.
 */

/** Number of context features of the synthetic world. */
export const SYNTHETIC_DIMENSION = 10;

/** Feature names, in index order (see the table above). */
export const SYNTHETIC_FEATURE_NAMES: readonly string[] = Object.freeze([
  "intercept",
  "difficulty",
  "agent.autonomy",
  "agent.strictness",
  "agent.context_load",
  "task.reasoning",
  "task.coding",
  "task.knowledge",
  "task.writing",
  "request.input_size",
]);

/** Where each group of features starts in the vector. */
export const FeatureIndex = {
  intercept: 0,
  difficulty: 1,
  /** First of the {@link AGENT_FEATURE_COUNT} agent features. */
  agent: 2,
  /** First of the {@link TASK_FEATURE_COUNT} task features. */
  task: 5,
  inputSize: 9,
} as const;

/** Number of agent features (autonomy, strictness, context load). */
export const AGENT_FEATURE_COUNT = 3;
/** Number of task features (reasoning, coding, knowledge, writing). */
export const TASK_FEATURE_COUNT = 4;

/**
 * Writes the context vector of one request into `out` at `offset` (so that a generator can fill a
 * row-major n × d buffer without allocating), and returns `out`.
 *
 * @param difficulty the request's difficulty in [0, 1]
 * @param agentFeatures the agent's {@link AGENT_FEATURE_COUNT} features
 * @param taskFeatures the task type's {@link TASK_FEATURE_COUNT} features
 * @param inputSize the request's normalised input size in [0, 1]
 */
export function writeSyntheticFeatures(
  out: Float64Array,
  offset: number,
  difficulty: number,
  agentFeatures: ArrayLike<number>,
  taskFeatures: ArrayLike<number>,
  inputSize: number,
): Float64Array {
  out[offset + FeatureIndex.intercept] = 1;
  out[offset + FeatureIndex.difficulty] = difficulty;
  for (let k = 0; k < AGENT_FEATURE_COUNT; k++) out[offset + FeatureIndex.agent + k] = agentFeatures[k];
  for (let k = 0; k < TASK_FEATURE_COUNT; k++) out[offset + FeatureIndex.task + k] = taskFeatures[k];
  out[offset + FeatureIndex.inputSize] = inputSize;
  return out;
}

/** The context vector of one request, as a new array of length {@link SYNTHETIC_DIMENSION}. */
export function buildSyntheticFeatures(
  difficulty: number,
  agentFeatures: ArrayLike<number>,
  taskFeatures: ArrayLike<number>,
  inputSize: number,
): Float64Array {
  return writeSyntheticFeatures(
    new Float64Array(SYNTHETIC_DIMENSION),
    0,
    difficulty,
    agentFeatures,
    taskFeatures,
    inputSize,
  );
}
