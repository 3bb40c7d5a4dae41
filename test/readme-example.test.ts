// The usage example of README.md, run as written (so the documentation cannot drift from the API).
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import * as linucb from "../src/index.js";

test("the README's usage example runs and does what it says", async () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const example = /## Using the engine\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example).toBeDefined();
  // Run the example's body against the package's exports, returning its variables for checking.
  const body = example!
    .replace(/^import .*$/m, "const { createLinUCB, restoreLinUCB } = linucb;")
    .concat("\nreturn { engine, arm, propensity, scores, bytes, again };");
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
    ...args: string[]
  ) => (lib: unknown) => Promise<Record<string, unknown>>;
  const result = await new AsyncFunction("linucb", body)(linucb);
  const engine = result.engine as linucb.LinUCB;
  const again = result.again as linucb.LinUCB;
  expect(["small", "medium", "large"]).toContain(result.arm);
  expect(result.propensity).toBeGreaterThan(0);
  expect(result.scores).toHaveLength(3);
  expect(engine.cells()).toEqual(["code:hard", "chat:easy"]);
  expect(again.snapshot()).toEqual(result.bytes);
  expect(again.model("code:hard", "large").count).toBe(engine.model("code:hard", "large").count);
});
