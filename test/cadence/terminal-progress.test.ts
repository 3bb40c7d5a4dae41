import { PassThrough } from "node:stream";
import { expect, it } from "vitest";
import { terminalProgress } from "../../src/report/index.js";

function capture(tty: boolean) {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => (text += chunk.toString()));
  return { progress: terminalProgress(stream, { tty, width: 10 }), text: () => text };
}

it("draws an in-place bar on a terminal and clears it when the step ends", () => {
  const { progress, text } = capture(true);
  progress.stepStarted("refit", "streaming rows");
  progress.stepAdvanced("refit", 4000, 4000);
  progress.stepFinished("refit", "4000 rows", 0.5);
  expect(text()).toBe(
    "linucb cadence: refit    streaming rows…\n" +
      "\r\x1b[2K  refit [██████████] 4,000/4,000 100%" +
      "\r\x1b[2K" +
      "linucb cadence: refit    done in 0.50 s: 4000 rows\n",
  );
});

it("writes plain lines at each quarter when the stream is not a terminal", () => {
  const { progress, text } = capture(false);
  progress.stepStarted("load", "loading");
  for (let done = 100; done <= 1000; done += 100) progress.stepAdvanced("load", done, 1000);
  const lines = text().trim().split("\n");
  expect(lines).toEqual([
    "linucb cadence: load     loading…",
    "linucb cadence: load     300/1000 (30%)",
    "linucb cadence: load     500/1000 (50%)",
    "linucb cadence: load     800/1000 (80%)",
    "linucb cadence: load     1000/1000 (100%)",
  ]);
  expect(text()).not.toContain("\r");
});
