/**
 * The implementations under test, as contenders of each task. A contender prepares its own state
 * for a problem (creates an engine or a baseline, trains it on the warm-up block) and returns a
 * body that processes any range of a pre-generated block, so that no timed loop generates or
 * allocates its inputs and the figure is per event.
 *
 * - engine (each build): through the public API only. The per-event path is what a server calls
 *   per request — `update(cellId, armId, context, reward)` and `scores(cellId, context, out)` with a
 *   reused `out`; the batched path is `updateMany` with Int32Array indices and `selectMany`. Serving
 *   tasks use `statistics: false` (what a serving engine sets); refit needs `statistics: true`, and
 *   the update task also times the auto build with statistics on, to show their cost.
 * - reference: the pure-TypeScript oracle (explicit inverse), timed on smaller blocks. Its update
 *   only adds x·xᵀ to Σxxᵀ and defers the inversion to the next score of that model, so its update
 *   figure is not a Sherman–Morrison step; replay shows the combined cost.
 * - careful JS (bench/baselines/careful-js.ts): the ratio denominator of every figure.
 * - ml-matrix (bench/baselines/ml-matrix.ts): what an npm user writes; smaller blocks.
 */
import {
  createLinUCB,
  createReferenceLinUCB,
  type ConcreteBuild,
  type LinUCB,
  type LinUCBEngine,
  type SelectionTarget,
} from "../src/index.js";
import { CarefulLinUCB } from "./baselines/careful-js.js";
import { MlMatrixLinUCB } from "./baselines/ml-matrix.js";
import type { Problem } from "./problem.js";
import { alpha, armCount, armIds, cellIds, lambda, type Burst, type EventBlock } from "./workload.js";

/** The timed tasks of issue 3. */
export type TaskName = "update" | "select" | "batched-select" | "replay" | "refit";

/** Every task, in the order they run and are reported. */
export const taskNames: readonly TaskName[] = ["update", "select", "batched-select", "replay", "refit"];

/** What each task measures, in one line (terminal header and README). */
export const taskDescriptions: Readonly<Record<TaskName, string>> = {
  update: "one Sherman–Morrison step per event (events/s)",
  select: "score the K arms of the event's cell + argmax, per event (events/s)",
  "batched-select": "bursts of contexts of one cell scored in one call (contexts/s)",
  replay: "select, then update when the choice equals the logged arm (events/s)",
  refit: "sufficient statistics + Cholesky of every model, from rows in memory (rows/s)",
};

/** Which implementation a contender runs. */
export type Family = "engine" | "reference" | "careful-js" | "ml-matrix";

/**
 * A prepared contender. Its pre-generated block is divided into units — one event, one burst of a
 * batched select, or one whole refit — and `run(from, to)` processes units [from, to). The
 * measurement picks how many units one timed iteration processes (see measure.ts), so that every
 * contender's iterations last about as long, whatever its speed.
 */
export interface TimedBody {
  /** Units in the block. */
  readonly units: number;
  /** Events (contexts, rows) per unit: what the figures count. */
  readonly eventsPerUnit: number;
  /** Processes units [from, to); returns a checksum of the outputs (keeps the work observable). */
  run(from: number, to: number): number;
  /** A score computed from the state after timing: finite if and only if the state is sane. */
  probe(): number;
}

/** A timed loop before its probe is attached. */
type Loop = Omit<TimedBody, "probe">;

/** One implementation (and API path) competing in one task. */
export interface Contender {
  /** Stable id, unique within a task, e.g. `engine-relaxed/updateMany`. */
  readonly id: string;
  /** Row label in tables. */
  readonly label: string;
  readonly family: Family;
  /** Kernel build, for engine contenders. */
  readonly build?: ConcreteBuild;
  /** `per-event`: one API call per event; `batched`: one call per block or burst. */
  readonly path: "per-event" | "batched";
  /** Whether the engine keeps exact statistics (engine contenders only). */
  readonly statistics?: boolean;
  /** Reference and ml-matrix run on smaller blocks. */
  readonly slow: boolean;
  /** Creates and warms the state; the returned body is what gets timed. */
  prepare(problem: Problem): Promise<TimedBody>;
}

/** Index of the largest of `scores[0 … k)`; ties go to the lowest index (as in the engine). */
function argmax(scores: Float64Array, k: number): number {
  let best = 0;
  for (let a = 1; a < k; a++) if (scores[a]! > scores[best]!) best = a;
  return best;
}

// ── engines (WebAssembly builds and the reference) through the public API ─────────────────────

type EngineFactory = (problem: Problem, statistics: boolean) => Promise<LinUCBEngine>;

function wasmEngine(build: ConcreteBuild): EngineFactory {
  return async (problem, statistics) => {
    const engine: LinUCB = await createLinUCB({
      dimension: problem.shape.d,
      arms: [...armIds],
      alpha,
      lambda,
      build,
      statistics,
      cells: cellIds(problem.shape.cells),
    });
    if (engine.build !== build) throw new Error(`asked for build ${build}, got ${engine.build}`);
    return engine;
  };
}

const referenceEngine: EngineFactory = (problem) =>
  createReferenceLinUCB({
    dimension: problem.shape.d,
    arms: [...armIds],
    alpha,
    lambda,
    statistics: true,
    cells: cellIds(problem.shape.cells),
  });

/** Trains an engine on the warm-up block through its batched path. */
function warmEngine(engine: LinUCBEngine, problem: Problem): void {
  const { cellIndices, armIndices, contexts, rewards } = problem.warm;
  cellIds(problem.shape.cells).forEach((id, c) => {
    if (engine.cellIndex(id) !== c) throw new Error("cells were not created in index order");
  });
  engine.updateMany({ cells: cellIndices, arms: armIndices, contexts, rewards });
}

/** Sum of the scores of the first context in the first cell: the state's sanity probe. */
function engineProbe(engine: LinUCBEngine, problem: Problem): number {
  const scores = engine.scores("cell-0", problem.events.contextViews[0]!);
  let sum = 0;
  for (let a = 0; a < scores.length; a++) sum += scores[a]!;
  return sum;
}

function engineUpdatePerEvent(engine: LinUCBEngine, block: EventBlock): Loop {
  const { cellIds: cells, armIds: arms, contextViews, rewards } = block;
  return {
    units: block.length,
    eventsPerUnit: 1,
    run(from, to) {
      for (let e = from; e < to; e++) engine.update(cells[e]!, arms[e]!, contextViews[e]!, rewards[e]!);
      return to - from;
    },
  };
}

/** `updateAt` per event: indices resolved once (as the batched path gets them), no string lookups. */
function engineUpdatePerEventAt(engine: LinUCBEngine, block: EventBlock): Loop {
  const { cellIndices, armIndices, contextViews, rewards } = block;
  return {
    units: block.length,
    eventsPerUnit: 1,
    run(from, to) {
      for (let e = from; e < to; e++) engine.updateAt(cellIndices[e]!, armIndices[e]!, contextViews[e]!, rewards[e]!);
      return to - from;
    },
  };
}

/** `updateMany` over units [from, to) of the block: subarray views, no copies. */
function engineUpdateBatched(engine: LinUCBEngine, block: EventBlock): Loop {
  const { cellIndices, armIndices, contexts, rewards, d } = block;
  return {
    units: block.length,
    eventsPerUnit: 1,
    run(from, to) {
      engine.updateMany({
        cells: cellIndices.subarray(from, to),
        arms: armIndices.subarray(from, to),
        contexts: contexts.subarray(from * d, to * d),
        rewards: rewards.subarray(from, to),
      });
      return to - from;
    },
  };
}

function engineSelectPerEvent(engine: LinUCBEngine, block: EventBlock): Loop {
  const { cellIds: cells, contextViews } = block;
  const out = new Float64Array(armCount);
  return {
    units: block.length,
    eventsPerUnit: 1,
    run(from, to) {
      let checksum = 0;
      for (let e = from; e < to; e++) {
        engine.scores(cells[e]!, contextViews[e]!, out);
        checksum += argmax(out, armCount);
      }
      return checksum;
    },
  };
}

/**
 * `select(cellId, context, into)` per event, or `selectAt(cellIndex, context, into)`: the choice
 * written into one reused target without scores — the serving call that allocates nothing.
 */
function engineSelectInto(engine: LinUCBEngine, block: EventBlock, byIndex: boolean): Loop {
  const { cellIds: cells, cellIndices, contextViews } = block;
  const target: SelectionTarget = { arm: "", armIndex: 0, propensity: 1 };
  return {
    units: block.length,
    eventsPerUnit: 1,
    run(from, to) {
      let checksum = 0;
      for (let e = from; e < to; e++) {
        if (byIndex) engine.selectAt(cellIndices[e]!, contextViews[e]!, target);
        else engine.select(cells[e]!, contextViews[e]!, target);
        checksum += target.armIndex;
      }
      return checksum;
    },
  };
}

/** `scoresAt` per event: the cell index resolved once, scores into a reused buffer. */
function engineSelectPerEventAt(engine: LinUCBEngine, block: EventBlock): Loop {
  const { cellIndices, contextViews } = block;
  const out = new Float64Array(armCount);
  return {
    units: block.length,
    eventsPerUnit: 1,
    run(from, to) {
      let checksum = 0;
      for (let e = from; e < to; e++) {
        engine.scoresAt(cellIndices[e]!, contextViews[e]!, out);
        checksum += argmax(out, armCount);
      }
      return checksum;
    },
  };
}

function engineSelectBatched(engine: LinUCBEngine, bursts: readonly Burst[]): Loop {
  return {
    units: bursts.length,
    eventsPerUnit: bursts[0]!.count,
    run(from, to) {
      let checksum = 0;
      for (let b = from; b < to; b++)
        checksum += engine.selectMany(bursts[b]!.cellId, bursts[b]!.contexts).armIndices[0]!;
      return checksum;
    },
  };
}

function engineReplay(engine: LinUCBEngine, block: EventBlock): Loop {
  const { cellIds: cells, armIds: arms, armIndices, contextViews, rewards } = block;
  const out = new Float64Array(armCount);
  return {
    units: block.length,
    eventsPerUnit: 1,
    run(from, to) {
      let accepted = 0;
      for (let e = from; e < to; e++) {
        engine.scores(cells[e]!, contextViews[e]!, out);
        if (argmax(out, armCount) === armIndices[e]) {
          engine.update(cells[e]!, arms[e]!, contextViews[e]!, rewards[e]!);
          accepted++;
        }
      }
      return accepted;
    },
  };
}

/**
 * Refit from rows in memory: one unit is a whole refit. The reference derives A⁻¹ lazily, on the
 * next score of a model, so after its refit every cell is scored once: the figure then covers the
 * same work for everyone (every model ready to serve). The WebAssembly engine's refit already
 * finalizes every model.
 */
function engineRefit(engine: LinUCBEngine, rows: EventBlock, problem: Problem, scoreEveryCell: boolean): Loop {
  const batch = { cells: rows.cellIndices, arms: rows.armIndices, contexts: rows.contexts, rewards: rows.rewards };
  const ids = cellIds(problem.shape.cells);
  const context = problem.events.contextViews[0]!;
  const out = new Float64Array(armCount);
  return {
    units: 1,
    eventsPerUnit: rows.length,
    run(from, to) {
      let checksum = 0;
      for (let unit = from; unit < to; unit++) {
        engine.refit(batch);
        if (scoreEveryCell) for (const id of ids) checksum += engine.scores(id, context, out)[0]!;
      }
      return checksum;
    },
  };
}

/** How an engine contender runs: which task, which API path, with or without statistics. */
interface EngineRun {
  readonly task: TaskName;
  readonly path: "per-event" | "batched";
  /** The engine call timed (see engineCalls). */
  readonly call: string;
  readonly statistics: boolean;
  /** Time on the slow (smaller) blocks. */
  readonly slow: boolean;
}

/** Builds the timed body of an engine for a run, on a fresh, warmed engine. */
async function prepareEngine(factory: EngineFactory, run: EngineRun, problem: Problem): Promise<TimedBody> {
  const engine = await factory(problem, run.statistics);
  warmEngine(engine, problem);
  const events = run.slow ? problem.slowEvents : problem.events;
  let body: Loop;
  switch (run.task) {
    case "update":
      body =
        run.path === "batched"
          ? engineUpdateBatched(engine, events)
          : run.call === "updateAt"
            ? engineUpdatePerEventAt(engine, events)
            : engineUpdatePerEvent(engine, events);
      break;
    case "select":
      body =
        run.call === "scoresAt"
          ? engineSelectPerEventAt(engine, events)
          : run.call === "select" || run.call === "selectAt"
            ? engineSelectInto(engine, events, run.call === "selectAt")
            : engineSelectPerEvent(engine, events);
      break;
    case "batched-select":
      body = engineSelectBatched(engine, run.slow ? problem.slowBursts : problem.bursts);
      break;
    case "replay":
      body = engineReplay(engine, events);
      break;
    case "refit":
      body = engineRefit(
        engine,
        run.slow ? problem.slowRefitRows : problem.refitRows,
        problem,
        engine.build === "reference",
      );
      break;
  }
  return { ...body, probe: () => engineProbe(engine, problem) };
}

// ── careful JS ──────────────────────────────────────────────────────────────────────────────

async function prepareCareful(task: TaskName, problem: Problem): Promise<TimedBody> {
  const { d, cells } = problem.shape;
  const model = new CarefulLinUCB(d, armCount, cells, alpha, lambda);
  const warm = problem.warm;
  for (let e = 0; e < warm.length; e++) model.update(warm.models[e]!, warm.contexts, e * d, warm.rewards[e]!);
  const out = new Float64Array(armCount);
  const probe = (): number => {
    model.scoreCell(0, problem.events.contexts, 0, out);
    return out.reduce((sum, s) => sum + s, 0);
  };
  const { models, cellIndices, armIndices, contexts, rewards, length } = problem.events;
  switch (task) {
    case "update":
      return {
        units: length,
        eventsPerUnit: 1,
        run(from, to) {
          for (let e = from; e < to; e++) model.update(models[e]!, contexts, e * d, rewards[e]!);
          return to - from;
        },
        probe,
      };
    case "select":
      return {
        units: length,
        eventsPerUnit: 1,
        run(from, to) {
          let checksum = 0;
          for (let e = from; e < to; e++) checksum += model.scoreCell(cellIndices[e]!, contexts, e * d, out);
          return checksum;
        },
        probe,
      };
    case "batched-select": {
      const bursts = problem.bursts;
      const size = problem.sizes.burst;
      const scores = new Float64Array(size * armCount);
      const best = new Int32Array(size);
      return {
        units: bursts.length,
        eventsPerUnit: bursts[0]!.count,
        run(from, to) {
          let checksum = 0;
          for (let b = from; b < to; b++) {
            model.scoreCellMany(bursts[b]!.cell, bursts[b]!.contexts, bursts[b]!.count, scores, best);
            checksum += best[0]!;
          }
          return checksum;
        },
        probe,
      };
    }
    case "replay":
      return {
        units: length,
        eventsPerUnit: 1,
        run(from, to) {
          let accepted = 0;
          for (let e = from; e < to; e++) {
            if (model.scoreCell(cellIndices[e]!, contexts, e * d, out) === armIndices[e]) {
              model.update(models[e]!, contexts, e * d, rewards[e]!);
              accepted++;
            }
          }
          return accepted;
        },
        probe,
      };
    case "refit": {
      const rows = problem.refitRows;
      return {
        units: 1,
        eventsPerUnit: rows.length,
        run(from, to) {
          for (let unit = from; unit < to; unit++) model.refit(rows.models, rows.contexts, rows.rewards, rows.length);
          return 0;
        },
        probe,
      };
    }
  }
}

// ── ml-matrix ───────────────────────────────────────────────────────────────────────────────

async function prepareMlMatrix(task: TaskName, problem: Problem): Promise<TimedBody> {
  const { d, cells } = problem.shape;
  const model = new MlMatrixLinUCB(d, armCount, cells, alpha, lambda);
  const warm = problem.warm;
  for (let e = 0; e < warm.length; e++) model.update(warm.models[e]!, warm.contextViews[e]!, warm.rewards[e]!);
  const out = new Float64Array(armCount);
  const probe = (): number => {
    model.scoreCell(0, problem.events.contextViews[0]!, out);
    return out.reduce((sum, s) => sum + s, 0);
  };
  const { models, cellIndices, armIndices, contextViews, rewards, length } = problem.slowEvents;
  switch (task) {
    case "update":
      return {
        units: length,
        eventsPerUnit: 1,
        run(from, to) {
          for (let e = from; e < to; e++) model.update(models[e]!, contextViews[e]!, rewards[e]!);
          return to - from;
        },
        probe,
      };
    case "select":
      return {
        units: length,
        eventsPerUnit: 1,
        run(from, to) {
          let checksum = 0;
          for (let e = from; e < to; e++) checksum += model.scoreCell(cellIndices[e]!, contextViews[e]!, out);
          return checksum;
        },
        probe,
      };
    case "batched-select": {
      const bursts = problem.slowBursts;
      return {
        units: bursts.length,
        eventsPerUnit: bursts[0]!.count,
        run(from, to) {
          let checksum = 0;
          for (let b = from; b < to; b++)
            checksum += model.scoreCellMany(bursts[b]!.cell, bursts[b]!.contexts, bursts[b]!.count).best[0]!;
          return checksum;
        },
        probe,
      };
    }
    case "replay":
      return {
        units: length,
        eventsPerUnit: 1,
        run(from, to) {
          let accepted = 0;
          for (let e = from; e < to; e++) {
            if (model.scoreCell(cellIndices[e]!, contextViews[e]!, out) === armIndices[e]) {
              model.update(models[e]!, contextViews[e]!, rewards[e]!);
              accepted++;
            }
          }
          return accepted;
        },
        probe,
      };
    case "refit": {
      const rows = problem.slowRefitRows;
      return {
        units: 1,
        eventsPerUnit: rows.length,
        run(from, to) {
          for (let unit = from; unit < to; unit++) model.refit(rows.models, rows.contexts, rows.rewards, rows.length);
          return 0;
        },
        probe,
      };
    }
  }
}

// ── the line-up ─────────────────────────────────────────────────────────────────────────────

/** The careful-JS contender's id: every ratio is taken against it. */
export const baselineId = "careful-js";

/** The API call each task times on the engine, per path (the label of its row). */
const engineCalls: Readonly<Record<TaskName, { readonly path: "per-event" | "batched"; readonly call: string }[]>> = {
  update: [
    { path: "per-event", call: "update" },
    { path: "per-event", call: "updateAt" },
    { path: "batched", call: "updateMany" },
  ],
  select: [
    { path: "per-event", call: "scores" },
    { path: "per-event", call: "scoresAt" },
    { path: "per-event", call: "select" },
    { path: "per-event", call: "selectAt" },
  ],
  "batched-select": [{ path: "batched", call: "selectMany" }],
  replay: [{ path: "per-event", call: "replay" }],
  refit: [{ path: "batched", call: "refit" }],
};

function callLabel(call: string): string {
  if (call === "scores" || call === "scoresAt") return `${call}(out)`;
  if (call === "select" || call === "selectAt") return `${call}(into)`;
  return call === "replay" ? "scores+update" : `${call}()`;
}

/**
 * The contenders of `task`, for the given kernel builds (those the host supports). The engine's
 * serving tasks run with `statistics: false`; refit with `statistics: true`; the update task also
 * times `statisticsBuild` with statistics on, through both paths.
 */
export function contendersFor(
  task: TaskName,
  builds: readonly ConcreteBuild[],
  statisticsBuild: ConcreteBuild,
): Contender[] {
  const list: Contender[] = [];
  const engineContenders = (build: ConcreteBuild, statistics: boolean, tag: string): Contender[] =>
    engineCalls[task].map(({ path, call }) => {
      const run: EngineRun = { task, path, call, statistics, slow: false };
      const factory = wasmEngine(build);
      return {
        id: `engine-${build}${tag}/${call}`,
        label: `engine ${build}${tag === "" ? "" : ` ${tag}`} ${callLabel(call)}`,
        family: "engine",
        build,
        path,
        statistics,
        slow: false,
        prepare: (problem) => prepareEngine(factory, run, problem),
      };
    });
  for (const build of builds) list.push(...engineContenders(build, task === "refit", ""));
  if (task === "update" && builds.includes(statisticsBuild))
    list.push(...engineContenders(statisticsBuild, true, "+stats"));
  const path = task === "batched-select" || task === "refit" ? "batched" : "per-event";
  const referenceRun: EngineRun = { task, path, call: engineCalls[task][0]!.call, statistics: true, slow: true };
  list.push(
    {
      id: "reference",
      label: "reference (TS, explicit inverse)",
      family: "reference",
      path,
      slow: true,
      prepare: (p) => prepareEngine(referenceEngine, referenceRun, p),
    },
    {
      id: baselineId,
      label: "careful JS (Float64Array)",
      family: "careful-js",
      path,
      slow: false,
      prepare: (p) => prepareCareful(task, p),
    },
    {
      id: "ml-matrix",
      label: "ml-matrix",
      family: "ml-matrix",
      path,
      slow: true,
      prepare: (p) => prepareMlMatrix(task, p),
    },
  );
  return list;
}
