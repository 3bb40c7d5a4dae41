/**
 * The routing service: `openRouter` (what `linucb serve` runs) and the pieces it is made of.
 */
export { openRouter } from "./load-router.js";
export { ROUTER_DEFAULTS } from "./router-defaults.js";
export type { Router, RouterOptions } from "./router.js";
export type { ServedPolicy, PolicyChoice } from "./served-policy.js";
export type { OutcomeAck } from "./outcome-service.js";
