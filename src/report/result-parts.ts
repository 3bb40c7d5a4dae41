/** Parts of a cadence result that only one mode has, read the same way by every chart. */
import type { CadenceResult } from "../cadence/index.js";
import type { ConvergenceReport } from "../synthetic/index.js";

/** The warm-up's convergence report; null for a production run. */
export function convergenceOf(result: CadenceResult): ConvergenceReport | null {
  return result.mode === "warmup" ? result.convergence : null;
}
