/**
 * Parsing of option values shared by commands: each failure is a UsageError that names the option
 * and quotes the value received (exit code 2).
 */
import { UsageError } from "./command.js";

/** An integer option in [min, max], or `fallback` when absent. */
export function integerOption(text: string | undefined, option: string, fallback: number, max: number, min = 0): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`\`${option}\` must be an integer in [${min}, ${max}]; received ${JSON.stringify(text)}`);
  }
  return value;
}

/** A finite number option in [min, max], or `fallback` when absent. */
export function numberOption(text: string | undefined, option: string, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`\`${option}\` must be a number in [${min}, ${max}]; received ${JSON.stringify(text)}`);
  }
  return value;
}
