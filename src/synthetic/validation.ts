/**
 * Argument checks shared by the synthetic world's public functions. A bad value is a TypeError
 * (wrong type) or a RangeError (right type, out of range), and the message names the argument and
 * the value received.
 */
import { describeValue } from "../engine/errors.js";

/** Throws unless `value` is an object (or undefined, when `optional`); returns it typed. */
export function checkOptionsObject<T extends object>(value: unknown, name: string): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`\`${name}\` must be an options object, received ${describeValue(value)}`);
  }
  return value as Partial<T>;
}

/** Throws unless `value` is an integer in [min, max]. */
export function checkInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== "number") {
    throw new TypeError(`\`${name}\` must be an integer, received ${describeValue(value)}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`\`${name}\` must be an integer in [${min}, ${max}], received ${describeValue(value)}`);
  }
  return value;
}

/** Throws unless `value` is a finite number in [min, max] (bounds inclusive unless `open`). */
export function checkNumber(
  value: unknown,
  name: string,
  min: number,
  max: number,
  open: { readonly min?: boolean; readonly max?: boolean } = {},
): number {
  if (typeof value !== "number") {
    throw new TypeError(`\`${name}\` must be a number, received ${describeValue(value)}`);
  }
  const belowMin = open.min === true ? value <= min : value < min;
  const aboveMax = open.max === true ? value >= max : value > max;
  if (!Number.isFinite(value) || belowMin || aboveMax) {
    const range = `${open.min === true ? "(" : "["}${min}, ${max}${open.max === true ? ")" : "]"}`;
    throw new RangeError(`\`${name}\` must be a finite number in ${range}, received ${describeValue(value)}`);
  }
  return value;
}

/** The largest seed: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffffffff;

/** Throws unless `value` is a seed (an unsigned 32-bit integer). */
export function checkSeed(value: unknown, name: string): number {
  return checkInteger(value, name, 0, MAX_SEED);
}
