import { describe, expect, it } from "vitest";
import {
  SYNTHETIC_DIMENSION,
  cellLoggingValue,
  convergenceReport,
  countRowsPerCell,
  formatConvergenceReport,
  generateColumns,
  generateOutcomes,
  generateWorld,
  plantedOptimum,
  plantedRewardCoefficients,
} from "../../src/synthetic/index.js";
import { PlantedThetaEngineDouble } from "./planted-theta-engine.js";

const world = generateWorld({ seed: 42 });
const key = plantedOptimum(world);
const everyCell = new Map(world.cells.map((c) => [c.id, 100]));

/** Makes the double prefer the runner-up in `cell`: lift the runner-up's intercept past the optimum. */
function preferRunnerUp(engine: PlantedThetaEngineDouble, cellId: string): void {
  const answer = key.cells.find((c) => c.cell === cellId);
  if (answer === undefined) throw new Error(cellId);
  const theta = plantedRewardCoefficients(world, cellId, answer.runnerUp);
  theta[0] += answer.gap + 0.01;
  engine.setTheta(cellId, answer.runnerUp, theta);
}

describe("convergenceReport", () => {
  it("gives a perfectly converged learner a match share of 1, zero regret, and a pass", () => {
    const report = convergenceReport(world, new PlantedThetaEngineDouble(world).fittedOn(world, everyCell), everyCell);
    expect(report.coveredCells).toBe(60);
    expect(report.coverage).toBe(1);
    expect(report.coveredTraffic).toBeCloseTo(1, 12);
    expect(report.matches).toBe(60);
    expect(report.matchShare).toBe(1);
    expect(report.pass).toBe(true);
    expect(report.value.regret).toBeCloseTo(0, 14);
    expect(report.value.optimum).toBeCloseTo(key.policyValue.optimum, 12);
    expect(report.value.learned).toBeCloseTo(key.policyValue.optimum, 12);
    expect(report.value.logging).toBeCloseTo(key.policyValue.logging, 12);
    expect(report.value.loggingRegret).toBeCloseTo(key.policyValue.optimum - key.policyValue.logging, 12);
    for (const cell of report.cells) {
      const answer = key.cells.find((c) => c.cell === cell.cell);
      expect(cell.learned).toBe(answer?.optimal);
      expect(cell.learnedEstimate).toBeCloseTo(answer?.optimalReward as number, 12);
      expect(cell.gap).toBeCloseTo(answer?.gap as number, 14);
    }
  });

  it("counts the cells where the learner prefers the runner-up, and charges their gaps as regret", () => {
    const engine = new PlantedThetaEngineDouble(world).fittedOn(world, everyCell);
    const flipped = key.cells.filter((_, i) => i % 7 === 3);
    for (const cell of flipped) preferRunnerUp(engine, cell.cell);
    const report = convergenceReport(world, engine, everyCell);
    expect(report.matches).toBe(60 - flipped.length);
    expect(report.matchShare).toBeCloseTo((60 - flipped.length) / 60, 14);
    const regret = flipped.reduce((sum, c) => sum + c.probability * c.gap, 0);
    expect(report.value.regret).toBeCloseTo(regret, 12);
    expect(report.value.relativeRegret).toBeCloseTo(regret / key.policyValue.optimum, 12);
    for (const cell of flipped) {
      const line = report.cells.find((c) => c.cell === cell.cell);
      expect(line?.match).toBe(false);
      expect(line?.learned).toBe(cell.runnerUp);
      expect(line?.regret).toBeCloseTo(cell.gap, 14);
    }
  });

  it("passes exactly at the threshold and fails just below it", () => {
    const engine = new PlantedThetaEngineDouble(world).fittedOn(world, everyCell);
    for (const cell of key.cells.slice(0, 18)) preferRunnerUp(engine, cell.cell);
    const atThreshold = convergenceReport(world, engine, everyCell, { threshold: 0.7 });
    expect(atThreshold.matchShare).toBeCloseTo(0.7, 14);
    expect(atThreshold.pass).toBe(true);
    preferRunnerUp(engine, key.cells[18].cell);
    const below = convergenceReport(world, engine, everyCell, { threshold: 0.7 });
    expect(below.matches).toBe(41);
    expect(below.pass).toBe(false);
    expect(convergenceReport(world, engine, everyCell, { threshold: 0.68 }).pass).toBe(true);
  });

  it("covers the cells with at least minRows rows and minRowsPerModel of every model, whatever form the rows come in", () => {
    const columns = generateColumns(world, { n: 1500, seed: 11 });
    const rows = generateOutcomes(world, { n: 1500, seed: 11 });
    const counts = countRowsPerCell(world, columns);
    expect(countRowsPerCell(world, rows)).toEqual(new Map([...counts].filter(([, n]) => n > 0)));
    const engine = new PlantedThetaEngineDouble(world).fittedOn(world, columns);
    const loose = { minRowsPerModel: 0 };
    const fromColumns = convergenceReport(world, engine, columns, loose);
    expect(convergenceReport(world, engine, rows, loose)).toEqual(fromColumns);
    const byCell = convergenceReport(
      world,
      new PlantedThetaEngineDouble(world).fittedOn(world, Object.fromEntries(counts)),
      Object.fromEntries(counts),
      loose,
    );
    expect(byCell.cells.map((c) => c.covered)).toEqual(fromColumns.cells.map((c) => c.covered));

    const covered = world.cells.filter((c) => (counts.get(c.id) ?? 0) >= 20);
    expect(covered.length).toBeGreaterThan(0);
    expect(covered.length).toBeLessThan(60); // 25 rows per cell on average: some fall short
    expect(fromColumns.coveredCells).toBe(covered.length);
    expect(fromColumns.coverage).toBeCloseTo(covered.length / 60, 14);
    expect(fromColumns.coveredTraffic).toBeCloseTo(
      covered.reduce((s, c) => s + c.probability, 0),
      12,
    );
    for (const line of fromColumns.cells) {
      expect(line.rows).toBe(counts.get(line.cell));
      expect(Object.values(line.rowsPerModel).reduce((a, b) => a + b, 0)).toBe(line.rows);
      expect(line.covered).toBe(line.rows >= 20);
      if (!line.covered) expect([line.learned, line.match, line.regret]).toEqual([null, null, null]);
    }
    // The per-model rule: a cell counts only when every model has enough rows in it.
    const perModel = convergenceReport(world, engine, columns, { minRowsPerModel: 2 });
    for (const line of perModel.cells) {
      expect(line.covered).toBe(line.rows >= 20 && Math.min(...Object.values(line.rowsPerModel)) >= 2);
    }
    expect(perModel.coveredCells).toBeLessThan(fromColumns.coveredCells);
    const strict = convergenceReport(world, engine, columns, { minRows: 40, minRowsPerModel: 0 });
    expect(strict.coveredCells).toBe(world.cells.filter((c) => (counts.get(c.id) ?? 0) >= 40).length);
    expect(strict.coveredCells).toBeLessThan(fromColumns.coveredCells);

    const nothing = convergenceReport(world, engine, new Map());
    expect([nothing.coveredCells, nothing.matchShare, nothing.pass]).toEqual([0, 0, false]);
  });

  it("reports the ESS of each model's importance weights and fails an engine that did not fit every row", () => {
    const columns = generateColumns(world, { n: 3000, seed: 12 });
    const fitted = new PlantedThetaEngineDouble(world).fittedOn(world, columns);
    const report = convergenceReport(world, fitted, columns, { minRowsPerModel: 0, minCoveredCells: 1 });
    expect(report.completeness).toEqual({ loggedRows: 3000, fittedRows: 3000, mismatches: 0, complete: true });
    const cell = world.cells[7];
    const model = world.models[3];
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < columns.count; i++) {
      if (columns.cellIndices[i] === cell.index && columns.modelIndices[i] === 3) {
        sum += 1 / columns.propensities[i];
        squares += 1 / columns.propensities[i] ** 2;
      }
    }
    expect(report.cells[7].essPerModel[model]).toBeCloseTo((sum * sum) / squares, 10);
    // An engine fitted on half the rows: complete is false, and the gate fails whatever it learned.
    const half = new PlantedThetaEngineDouble(world).fittedOn(world, generateColumns(world, { n: 1500, seed: 12 }));
    const incomplete = convergenceReport(world, half, columns, { minRowsPerModel: 0, minCoveredCells: 1 });
    expect(incomplete.matchShare).toBe(1);
    expect(incomplete.completeness.complete).toBe(false);
    expect(incomplete.pass).toBe(false);
  });

  it("marks the deviating cells (pooled-limit choice ≠ optimum) as the answer key does", () => {
    const report = convergenceReport(world, new PlantedThetaEngineDouble(world).fittedOn(world, everyCell), everyCell);
    expect(report.deviating.cells).toEqual(key.deviatingCells);
    expect(report.deviating.cells.length).toBeGreaterThanOrEqual(10);
    expect(report.deviating.matchShare).toBe(1);
    for (const line of report.cells) {
      const answer = key.cells.find((c) => c.cell === line.cell)!;
      expect([line.pooledChoice, line.deviating, line.localChampion]).toEqual([
        answer.pooledChoice,
        answer.deviating,
        answer.localChampion !== null,
      ]);
    }
  });

  it("counts a covered cell the engine does not have as a miss, valued at the logging policy", () => {
    const missing = world.cells[5].id;
    const engine = new PlantedThetaEngineDouble(world, {
      cells: world.cells.filter((c) => c.id !== missing).map((c) => c.id),
    });
    const report = convergenceReport(world, engine, everyCell);
    const line = report.cells[5];
    expect([line.learned, line.match, line.regret]).toEqual([null, false, null]);
    expect(report.matches).toBe(59);
    const cell = world.cells[5];
    expect(report.value.regret).toBeCloseTo(
      cell.probability * (key.cells[5].optimalReward - cellLoggingValue(world, missing)),
      12,
    );
  });

  it("chooses only among the engine's arms, and breaks ties towards the arm listed first", () => {
    const [first, second] = [key.cells[0].optimal, key.cells[0].runnerUp];
    const arms = world.models.filter((m) => m !== first);
    const report = convergenceReport(world, new PlantedThetaEngineDouble(world, { arms }), everyCell);
    expect(report.cells[0].learned).toBe(second);
    expect(report.cells[0].match).toBe(false);

    const tie = new PlantedThetaEngineDouble(world, { arms: [second, first] });
    const cellId = world.cells[0].id;
    tie.setTheta(cellId, first, plantedRewardCoefficients(world, cellId, first));
    tie.setTheta(cellId, second, plantedRewardCoefficients(world, cellId, first));
    expect(convergenceReport(world, tie, everyCell).cells[0].learned).toBe(second);
  });

  it("is JSON and prints as a table with one line per cell and the verdict", () => {
    const engine = new PlantedThetaEngineDouble(world).fittedOn(world, everyCell);
    preferRunnerUp(engine, key.cells[2].cell);
    const report = convergenceReport(world, engine, everyCell);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    const text = formatConvergenceReport(report);
    for (const cell of world.cells) expect(text).toContain(cell.id);
    expect(text).toMatch(/match share\s+59\/60 = 98\.3%/);
    expect(text).toContain("PASS");
    expect(text.split("\n").filter((l) => / NO$/.test(l))).toHaveLength(1);
    const failing = formatConvergenceReport(convergenceReport(world, engine, everyCell, { threshold: 1 }));
    expect(failing).toContain("FAIL");
  });

  it("rejects bad arguments with errors that name them", () => {
    const engine = new PlantedThetaEngineDouble(world).fittedOn(world, everyCell);
    expect(() => convergenceReport(world, engine, everyCell, { minRows: 0 })).toThrow(/options\.minRows.*0/);
    expect(() => convergenceReport(world, engine, everyCell, { threshold: 1.5 })).toThrow(/options\.threshold.*1\.5/);
    expect(() => convergenceReport(world, engine, 5 as never)).toThrow(/rows.*5/);
    expect(() => convergenceReport(world, engine, { "sql:hard": -2 })).toThrow(/"sql:hard".*-2/);
    expect(() => convergenceReport(world, engine, [{ cell: 3 }] as never)).toThrow(/rows\[0\]\.cell/);
    const wrongDimension = {
      dimension: SYNTHETIC_DIMENSION + 1,
      arms: engine.arms,
      hasCell: () => true,
      model: engine.model.bind(engine),
    };
    expect(() => convergenceReport(world, wrongDimension, everyCell)).toThrow(/engine\.dimension.*11/);
    const foreignArm = {
      dimension: engine.dimension,
      arms: [...world.models, "gpt-x"],
      hasCell: () => true,
      model: engine.model.bind(engine),
    };
    expect(() => convergenceReport(world, foreignArm, everyCell)).toThrow(/engine\.arms.*"gpt-x"/);
    expect(() => convergenceReport(world, {} as never, everyCell)).toThrow(TypeError);
    expect(() => convergenceReport({} as never, engine, everyCell)).toThrow(/world/);
  });
});
