import { expect, it } from "vitest";
import { importOptional } from "../../src/serve/optional-dependency.js";

it("turns a missing optional peer into an error that says what to install, and passes other errors through", async () => {
  const missing = "linucb-no-such-package";
  await expect(importOptional(() => import(/* @vite-ignore */ missing), [missing], "linucb serve")).rejects.toThrow(
    `linucb serve needs the optional peer dependencies ${missing}: npm install ${missing}`,
  );
  await expect(importOptional(() => Promise.reject(new RangeError("other")), ["fastify"], "x")).rejects.toThrow(
    RangeError,
  );
  expect(await importOptional(() => import("node:path"), ["fastify"], "x")).toHaveProperty("join");
});
