// Reading logged events from CSV and JSONL text, files and gzip files, and the errors a bad row gives.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { createLoggedEvents, readLoggedEvents } from "../../src/evaluation/index.js";
import { splitCsvLine } from "../../src/evaluation/csv-line.js";

const directory = mkdtempSync(join(tmpdir(), "linucb-events-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
function file(name: string, content: string | Uint8Array): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}
const text = (content: string) => Readable.from([content]);

describe("splitCsvLine", () => {
  it("splits plain and quoted fields", () => {
    expect(splitCsvLine("a,b,,c")).toEqual(["a", "b", "", "c"]);
    expect(splitCsvLine('"x, y",2,"say ""hi"""')).toEqual(["x, y", "2", 'say "hi"']);
    expect(splitCsvLine("")).toEqual([""]);
    expect(splitCsvLine("a;b", ";")).toEqual(["a", "b"]);
  });
  it("refuses an unterminated quote and text after a closing quote", () => {
    expect(() => splitCsvLine('a,"b')).toThrow(/unterminated quoted field starting at column 3/);
    expect(() => splitCsvLine('"a"b,c')).toThrow(/unexpected "b" after the closing quote/);
  });
});

describe("CSV", () => {
  const csv = "id,action,reward,propensity,x0,x1\n1,2,1,0.25,0.5,-1\n2,0,0,0.5,1e-3,2\n";

  it("reads the named columns into columnar events", async () => {
    const events = await readLoggedEvents(file("events.csv", csv), { contextFields: ["x0", "x1"], actionCount: 3 });
    expect(events).toEqual(
      createLoggedEvents({
        actions: [2, 0],
        rewards: [1, 0],
        propensities: [0.25, 0.5],
        actionCount: 3,
        contexts: [0.5, -1, 0.001, 2],
        dimension: 2,
      }),
    );
  });

  it("infers K as the largest index + 1 when neither actionCount nor actionIds is given", async () => {
    const events = await readLoggedEvents(text(csv), { format: "csv" });
    expect(events.actionCount).toBe(3);
    expect(events.dimension).toBe(0);
  });

  it("reads action ids, quoted fields, CRLF line ends, a BOM and blank lines", async () => {
    const content = '\uFEFFarm,reward,propensity\r\n"gpt, large",1,0.5\r\n\r\nsmall,0.25,1\r\n';
    const events = await readLoggedEvents(text(content), {
      format: "csv",
      actionField: "arm",
      actionIds: ["small", "gpt, large"],
    });
    expect([...events.actions]).toEqual([1, 0]);
    expect([...events.rewards]).toEqual([1, 0.25]);
    expect(events.actionIds).toEqual(["small", "gpt, large"]);
  });

  it("reads gzipped files, and more rows than the initial capacity", async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `${i % 7},${i % 2},${(1 + (i % 3)) / 10}`);
    const path = file("many.csv.gz", gzipSync(["action,reward,propensity", ...rows].join("\n")));
    const events = await readLoggedEvents(path, { actionCount: 7 });
    expect(events.length).toBe(5000);
    expect(events.actions[4999]).toBe(4999 % 7);
    expect(events.propensities[4999]).toBeCloseTo((1 + (4999 % 3)) / 10, 15);
  });

  it.each([
    ["action,reward,propensity\n0,1,0.5\n1,NaN,0.5\n", /input line 3: `reward` must be a finite number; received NaN/],
    ["action,reward,propensity\n0,1,0\n", /input line 2: `propensity` must be a probability in \(0, 1\]; received 0/],
    ["action,reward,propensity\n0,1,\n", /input line 2: `propensity` must be a number; received ""/],
    ["action,reward,propensity\n0,yes,1\n", /input line 2: `reward` must be a number; received "yes"/],
    ["action,reward,propensity\n5,1,1\n", /input line 2: `action` must be an action index in \[0, 2\]; received 5/],
    [
      "action,reward,propensity\nb,1,1\n",
      /input line 2: `action` must be an action index \(an integer ≥ 0; pass `actionIds` to read ids\); received "b"/,
    ],
    ["action,reward,propensity\n0,1\n", /input line 2: expected 3 fields like the header; received 2/],
    [
      "action,reward,p\n0,1,1\n",
      /input line 1: the header has no column "propensity" \(`propensityField`\); its columns are "action", "reward", "p"/,
    ],
    ['action,reward,propensity\n"0,1,1\n', /input line 2: unterminated quoted field/],
  ])("%j → %s", async (content, message) => {
    await expect(readLoggedEvents(text(content), { format: "csv", actionCount: 3 })).rejects.toThrow(message);
  });

  it("names the file in errors, and refuses an empty file", async () => {
    await expect(readLoggedEvents(file("bad.csv", "action,reward,propensity\n0,1,2\n"))).rejects.toThrow(
      /^bad\.csv line 2: `propensity`.*received 2$/,
    );
    await expect(readLoggedEvents(file("empty.csv", ""))).rejects.toThrow(/empty\.csv: the file is empty/);
  });
});

describe("JSONL", () => {
  it("reads objects with a context array by default, and ids", async () => {
    const content = [
      JSON.stringify({ action: "b", reward: 1, propensity: 0.5, context: [1, 2] }),
      "",
      JSON.stringify({ action: "a", reward: 0, propensity: 0.5, context: [3, 4] }),
    ].join("\n");
    const events = await readLoggedEvents(file("events.jsonl", content), { actionIds: ["a", "b"] });
    expect([...events.actions]).toEqual([1, 0]);
    expect([...events.contexts]).toEqual([1, 2, 3, 4]);
    expect(events.dimension).toBe(2);
  });

  it("reads named scalar fields as the context, and other field names", async () => {
    const content = '{"arm":1,"r":0.5,"p":0.2,"age":30,"score":0.1}\n{"arm":0,"r":1,"p":0.8,"age":40,"score":0.2}\n';
    const events = await readLoggedEvents(file("events.ndjson", content), {
      actionField: "arm",
      rewardField: "r",
      propensityField: "p",
      contextFields: ["age", "score"],
      actionCount: 2,
    });
    expect([...events.contexts]).toEqual([30, 0.1, 40, 0.2]);
    expect([...events.propensities]).toEqual([0.2, 0.8]);
  });

  it.each([
    ['{"action":0,"reward":1,"propensity":0.5}\n{"action":0,"reward":1,', /input line 2: not valid JSON/],
    [
      '{"action":0,"reward":1,"propensity":0.5}\n[1,2]\n',
      /input line 2: each line must be a JSON object; received Array\(2\)/,
    ],
    ['{"action":0,"reward":null,"propensity":0.5}\n', /input line 1: `reward` must be a number; received null/],
    ['{"reward":1,"propensity":0.5}\n', /input line 1: the event has no field "action"/],
    [
      '{"action":0,"reward":1,"propensity":0.5,"context":[1]}\n{"action":0,"reward":1,"propensity":0.5,"context":[1,2]}\n',
      /input line 2: the context must have 1 values like the rows before it; received 2/,
    ],
    [
      '{"action":0,"reward":1,"propensity":0.5,"context":["a"]}\n',
      /input line 1: `context\[0\]` must be a number; received "a"/,
    ],
  ])("%j → %s", async (content, message) => {
    await expect(readLoggedEvents(text(content), { format: "jsonl", actionCount: 2 })).rejects.toThrow(message);
  });
});

describe("sources", () => {
  it("needs a format for a stream or an unknown extension", async () => {
    await expect(readLoggedEvents(text("x"))).rejects.toThrow(/`format` must be "csv" or "jsonl".*received undefined/);
    await expect(readLoggedEvents(file("events.txt", "x"))).rejects.toThrow(/received undefined for ".*events\.txt"/);
  });

  it("passes on a missing file's error", async () => {
    await expect(readLoggedEvents(join(directory, "missing.csv"))).rejects.toThrow(/ENOENT/);
    await expect(readLoggedEvents(join(directory, "missing.csv.gz"))).rejects.toThrow(/ENOENT/);
  });

  it("reports a corrupt gzip file", async () => {
    await expect(readLoggedEvents(file("corrupt.csv.gz", "not gzip at all"))).rejects.toThrow(/incorrect header check/);
  });
});
