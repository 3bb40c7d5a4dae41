/**
 * Argument checks shared by the evaluation functions. Each throws a TypeError (wrong kind of value)
 * or a RangeError (right kind, bad value) whose message names the argument and the value received.
 */

import { describeValue } from "../shared/describe-value.js";

/** Re-exported so the evaluation modules keep importing it from here; the one implementation lives in src/shared. */
export { describeValue };

/** Checks an array-like of numbers (plain array or typed array) and returns it. */
export function checkArrayLike(value: unknown, name: string): ArrayLike<number> {
  if (value === null || typeof value !== "object" || typeof (value as ArrayLike<number>).length !== "number") {
    throw new TypeError(`\`${name}\` must be an array or typed array of numbers; received ${describeValue(value)}`);
  }
  return value as ArrayLike<number>;
}

/** Checks that `actual` equals the expected length; `what` explains where the expectation comes from. */
export function checkLength(actual: number, expected: number, name: string, what: string): void {
  if (actual !== expected) {
    throw new RangeError(`\`${name}\` must have length ${expected} (${what}); received length ${actual}`);
  }
}

/** Checks a positive integer. */
export function checkPositiveInteger(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`\`${name}\` must be a positive integer; received ${describeValue(value)}`);
  }
  return value;
}

/** Checks an unsigned 32-bit integer seed. */
export function checkSeed(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`\`${name}\` must be an integer in [0, 4294967295]; received ${describeValue(value)}`);
  }
  return value;
}

/** Checks a confidence level strictly between 0 and 1. */
export function checkLevel(value: unknown, name: string): number {
  if (typeof value !== "number" || !(value > 0 && value < 1)) {
    throw new RangeError(`\`${name}\` must be a number in (0, 1), e.g. 0.95; received ${describeValue(value)}`);
  }
  return value;
}

/** Checks a weight clip: a number > 0 (Infinity means no clipping). */
export function checkClip(value: unknown, name: string): number {
  if (typeof value !== "number" || Number.isNaN(value) || !(value > 0)) {
    throw new RangeError(
      `\`${name}\` must be a number > 0 (Infinity turns clipping off); received ${describeValue(value)}`,
    );
  }
  return value;
}
