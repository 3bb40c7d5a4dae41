/**
 * The row shapes of logged routing outcomes, shared by the synthetic world (which produces them),
 * the store (which loads and reads them) and the cadence (which judges and refits on them).
 * Types only: this module imports nothing and is imported by every layer that handles rows.
 */

/** Where an outcome came from. Only `'prod'` rows may ever feed a production policy. */
export type OutcomeSource = "prod" | "synthetic" | "shadow";

/** One logged routing decision and its outcome, as stored in `routing_outcomes`. */
export interface RoutingOutcome {
  /** Primary key; monotone in insertion order, so it doubles as the keyset for streaming reads. */
  readonly id: number;
  readonly createdAt: Date;
  readonly agentId: string;
  /** The policy cell (context bucket), e.g. "code:hard". */
  readonly cell: string;
  /** The model the request was routed to: the arm. */
  readonly model: string;
  /** The context feature vector x (length = the engine's dimension). */
  readonly features: Float64Array;
  /** Probability with which the logging policy chose `model`, in (0, 1]. */
  readonly propensity: number;
  readonly completed: boolean;
  readonly hallucinated: boolean;
  readonly refused: boolean;
  /** Score the judge gave, or null until judged. */
  readonly judgeScore: number | null;
  /** Which judge labelled the row, or null until judged. */
  readonly judgeModel: string | null;
  /** The reward the learner sees, or null until judged. */
  readonly reward: number | null;
  /** The policy version that made the decision (its id as text, `"uniform"` before any promotion), if known. */
  readonly policyVersion: string | null;
  readonly source: OutcomeSource;
}

/** A synthetic outcome, as stored in `routing_outcomes_synthetic`, with its provenance. */
export interface SyntheticOutcome extends Omit<RoutingOutcome, "source"> {
  /** Generator name and version, e.g. `'synthetic_coldstart_v1'`. */
  readonly source: string;
  readonly synthetic: true;
  /** Seed of the generator run that produced the row. */
  readonly seed: number;
  /** Version of the planted agent-affinity structure. */
  readonly affinityVersion: string;
  /** Task difficulty in [0, 1] that the row was drawn with. */
  readonly difficulty: number;
}
