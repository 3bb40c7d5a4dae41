/**
 * Turning UCB scores into a choice, with the exact probability of that choice (its propensity),
 * so that logs written by this engine can be evaluated later by IPS or doubly robust estimators.
 */
import type { SeededRandom } from "./random.js";
import type { Exploration } from "./types.js";

/** A choice among arms and the probability with which it was made. */
export interface Choice {
  readonly armIndex: number;
  readonly propensity: number;
}

/** Index of the largest score; ties (and NaN) go to the lowest index. */
export function argmax(scores: ArrayLike<number>, offset = 0, count = scores.length - offset): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let a = 0; a < count; a++) {
    const s = scores[offset + a]!;
    if (s > bestScore) {
      bestScore = s;
      best = a;
    }
  }
  return best;
}

/**
 * The probability of every arm under `exploration`, given the scores of one context (written into
 * `out`, which has one slot per arm).
 * - ucb: 1 on the argmax;
 * - epsilon: ε/K everywhere plus 1 − ε on the argmax;
 * - softmax: exp((s − max)/T) / Σ, computed with the maximum subtracted so it never overflows.
 */
export function armProbabilities(
  scores: ArrayLike<number>,
  exploration: Exploration,
  out: Float64Array,
  offset = 0,
): Float64Array {
  const k = out.length;
  if (exploration === "ucb") {
    out.fill(0);
    out[argmax(scores, offset, k)] = 1;
  } else if ("epsilon" in exploration) {
    const epsilon = exploration.epsilon;
    out.fill(epsilon / k);
    out[argmax(scores, offset, k)]! += 1 - epsilon;
  } else {
    const temperature = exploration.softmax;
    let max = -Infinity;
    for (let a = 0; a < k; a++) max = Math.max(max, scores[offset + a]!);
    let total = 0;
    for (let a = 0; a < k; a++) {
      const weight = Math.exp((scores[offset + a]! - max) / temperature);
      out[a] = weight;
      total += weight;
    }
    for (let a = 0; a < k; a++) out[a]! /= total;
  }
  return out;
}

/**
 * Draws an arm. For 'ucb' no random number is consumed; for epsilon, one uniform decides explore
 * or exploit and a second picks the arm when exploring; for softmax one uniform walks the CDF.
 * The propensity returned is the arm's probability from {@link armProbabilities}.
 */
export function chooseArm(
  scores: ArrayLike<number>,
  exploration: Exploration,
  random: SeededRandom,
  scratch: Float64Array,
  offset = 0,
): Choice {
  const choice = { armIndex: 0, propensity: 1 };
  chooseArmInto(scores, exploration, random, scratch, choice, offset);
  return choice;
}

/** {@link chooseArm}, writing the choice into `into` (no allocation: the per-event select path). */
export function chooseArmInto(
  scores: ArrayLike<number>,
  exploration: Exploration,
  random: SeededRandom,
  scratch: Float64Array,
  into: { armIndex: number; propensity: number },
  offset = 0,
): void {
  const k = scratch.length;
  if (exploration === "ucb") {
    into.armIndex = argmax(scores, offset, k);
    into.propensity = 1;
    return;
  }
  armProbabilities(scores, exploration, scratch, offset);
  if ("epsilon" in exploration) {
    const greedy = argmax(scores, offset, k);
    into.armIndex = random.nextFloat() < exploration.epsilon ? random.nextBelow(k) : greedy;
    into.propensity = scratch[into.armIndex]!;
    return;
  }
  const u = random.nextFloat();
  let cumulative = 0;
  let armIndex = k - 1;
  for (let a = 0; a < k; a++) {
    cumulative += scratch[a]!;
    if (u < cumulative) {
      armIndex = a;
      break;
    }
  }
  // Rounding can leave the total just below 1; the fall-through arm must be one with mass.
  while (scratch[armIndex] === 0 && armIndex > 0) armIndex--;
  into.armIndex = armIndex;
  into.propensity = scratch[armIndex]!;
}
