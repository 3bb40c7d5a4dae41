/**
 * Whether a client's string can be stored in a PostgreSQL text column as it is. Two kinds of string
 * cannot: one holding NUL (U+0000), which text refuses, and one holding half of a UTF-16 surrogate
 * pair without the other half, which has no UTF-8 form (the binary COPY writes U+FFFD in its place;
 * the JSON INSERT fails on it). Accepted, either fails the whole group write that carries it: every
 * later route (503) or every row of an import.
 */

/** A UTF-16 high surrogate not followed by a low one, or a low one not preceded by a high one. */
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `value` has neither NUL nor an unpaired surrogate (see the module comment). */
export function isStorableText(value: string): boolean {
  return !value.includes("\0") && !UNPAIRED_SURROGATE.test(value);
}

/** How a refused string is described to the client. */
export const UNSTORABLE_TEXT = "must not contain NUL or unpaired surrogates";
