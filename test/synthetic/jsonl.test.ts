import { describe, expect, it } from "vitest";
import {
  generateColumns,
  generateWorld,
  outcomeAt,
  outcomeJsonChunks,
  parseOutcomeJsonLine,
} from "../../src/synthetic/index.js";

const world = generateWorld({ seed: 42 });
const columns = generateColumns(world, { n: 2500, seed: 42 });

describe("outcome JSON Lines", () => {
  it("writes one line per row, in chunks of whole lines, that parse back to the very same outcome", () => {
    const chunks = [...outcomeJsonChunks(world, columns, { chunkRows: 1000 })];
    expect(chunks).toHaveLength(3);
    for (const chunk of chunks) expect(chunk.endsWith("\n")).toBe(true);
    const lines = chunks.join("").split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(2500);
    lines.forEach((line, i) => {
      const parsed = parseOutcomeJsonLine(line);
      const expected = outcomeAt(world, columns, i);
      // Bit-exact doubles: features, propensity, reward all survive the text round trip.
      expect({ ...parsed, features: Array.from(parsed.features) }).toEqual({
        ...expected,
        features: Array.from(expected.features),
      });
    });
  });

  it("uses the table's snake_case keys and the documented provenance", () => {
    const [first] = [...outcomeJsonChunks(world, columns, { chunkRows: 1 })];
    const record = JSON.parse(first) as Record<string, unknown>;
    expect(Object.keys(record)).toEqual([
      "id",
      "created_at",
      "agent_id",
      "cell",
      "model",
      "features",
      "propensity",
      "completed",
      "hallucinated",
      "refused",
      "judge_score",
      "judge_model",
      "reward",
      "policy_version",
      "source",
      "synthetic",
      "seed",
      "affinity_version",
      "difficulty",
    ]);
    expect(record).toMatchObject({
      id: 1,
      source: "synthetic_coldstart_v2",
      synthetic: true,
      seed: 42,
      judge_model: "planted_oracle",
    });
  });

  it("yields nothing for an empty log", () => {
    expect([...outcomeJsonChunks(world, generateColumns(world, { n: 0 }))]).toEqual([]);
  });

  it("rejects malformed lines and options with errors that name the field", () => {
    const [line] = [...outcomeJsonChunks(world, columns, { chunkRows: 1 })];
    const record = JSON.parse(line) as Record<string, unknown>;
    const broken = (patch: Record<string, unknown>): string => JSON.stringify({ ...record, ...patch });
    expect(() => parseOutcomeJsonLine("{not json")).toThrow(SyntaxError);
    expect(() => parseOutcomeJsonLine("[1,2]")).toThrow(/JSON object/);
    expect(() => parseOutcomeJsonLine(broken({ propensity: 0 }))).toThrow(/`propensity`.*0/);
    expect(() => parseOutcomeJsonLine(broken({ features: [1, "x"] }))).toThrow(/`features`/);
    expect(() => parseOutcomeJsonLine(broken({ created_at: "yesterday" }))).toThrow(/`created_at`.*yesterday/);
    expect(() => parseOutcomeJsonLine(broken({ synthetic: false }))).toThrow(/`synthetic`.*false/);
    expect(() => parseOutcomeJsonLine(broken({ cell: undefined }))).toThrow(/`cell`.*undefined/);
    expect(() => parseOutcomeJsonLine(42 as never)).toThrow(/`line`/);
    expect(() => [...outcomeJsonChunks(world, columns, { chunkRows: 0 })]).toThrow(/options\.chunkRows.*0/);
  });
});
