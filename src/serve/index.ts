/**
 * The routing service: `openRouter` (what `linucb serve` runs) and the pieces it is made of.
 */
export { openRouter, ROUTER_DEFAULTS, type Router, type RouterOptions } from "./router.js";
export type { ServedPolicy, PolicyChoice } from "./served-policy.js";
export type { OutcomeAck } from "./outcome-service.js";
