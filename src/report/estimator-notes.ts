/**
 * What each off-policy estimator is, in one line, and the diagnostics it actually has: replay keeps
 * the requests where the policy agrees with the log; IPS, SNIPS and DR weight requests, so their
 * effective sample size and weights mean something; DM weights nothing, so it shows no ESS.
 */
import type { OffPolicyEstimate, ReplayEstimate } from "../evaluation/index.js";
import { fixed, percent } from "./svg.js";

/** The estimators in the order the report shows them. */
export const ESTIMATORS = ["replay", "ips", "snips", "dr", "dm"] as const;
/** One of {@link ESTIMATORS}. */
export type EstimatorKey = (typeof ESTIMATORS)[number];

/** One line per estimator: what it computes and when to trust it. */
export const ESTIMATOR_NOTES: Readonly<Record<EstimatorKey, string>> = {
  replay:
    "Mean reward of the held-out requests where the policy would have chosen the logged model; unbiased only when " +
    "the log was uniformly random.",
  ips:
    "Every logged reward weighted by π(choice)/propensity: unbiased when the propensities are right, noisy when a " +
    "few requests carry large weights.",
  snips: "IPS divided by the mean weight: slightly biased, much steadier; the default gate estimator.",
  dr:
    "The reward model's prediction for the policy's choice, corrected by IPS-weighted residuals: unbiased if the " +
    "propensities are right, steadier when the model is good.",
  dm:
    "The reward model's prediction (the candidate's θᵀx, fitted on the training slice) for the policy's choice; no " +
    "weights, so it is as biased as the model.",
};

/** A diagnostic: its name and value as text. */
export interface Diagnostic {
  readonly name: string;
  readonly value: string;
}

function isReplay(estimate: OffPolicyEstimate): estimate is ReplayEstimate {
  return estimate.estimator === "replay" && "kept" in estimate;
}

/** The diagnostics `estimate` has (see the module comment). */
export function diagnosticsOf(estimate: OffPolicyEstimate): Diagnostic[] {
  if (isReplay(estimate)) {
    return [
      { name: "kept", value: `${estimate.kept} of ${estimate.events} (${percent(estimate.keptShare)})` },
      { name: "logging", value: estimate.uniformLogging ? "uniform" : "not uniform" },
      {
        name: "propensities",
        value: `${fixed(estimate.propensityRange.min, 3)}–${fixed(estimate.propensityRange.max, 3)}`,
      },
    ];
  }
  if (estimate.estimator === "dm") return [{ name: "weights", value: "none (no ESS)" }];
  const w = estimate.weights;
  return [
    { name: "ESS", value: fixed(estimate.effectiveSampleSize, 1) },
    { name: "mean weight", value: fixed(w.mean, 3) },
    { name: "max weight", value: fixed(w.max, 2) },
    { name: "zero weight", value: percent(w.zeroShare) },
  ];
}
