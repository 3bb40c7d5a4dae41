/**
 * `openRouter` as the package exports it: loads the service (and fastify, prom-client) on first
 * use, so that importing `linucb` does not need them installed.
 */
import { importOptional } from "./optional-dependency.js";
import type { Router, RouterOptions } from "./router.js";

/** Starts the routing service; see ./router.ts. Needs the optional peers fastify and prom-client. */
export async function openRouter(options: RouterOptions = {}): Promise<Router> {
  const service = await importOptional(() => import("./router.js"), ["fastify", "prom-client"], "linucb serve");
  return service.openRouter(options);
}
