/**
 * One set of text-format value parsers, installed on both back ends, so that a query returns the
 * same JavaScript values from PostgreSQL (`pg`) and from PGlite. Left alone, the two disagree:
 * `pg` returns int8 as a string and bytea as a Buffer; PGlite returns int8 as a bigint; both return
 * numeric as a string. Here:
 *
 * | type              | value                                                                 |
 * |-------------------|-----------------------------------------------------------------------|
 * | int8, int8[]      | number (a {@link StoreError} `UNREPRESENTABLE` beyond ±(2^53 − 1))    |
 * | numeric, numeric[]| number (nearest double)                                               |
 * | bytea             | a plain Uint8Array (not a Buffer)                                     |
 *
 * Every other type keeps the drivers' own parsers, which already agree (int2/int4/float8 and their
 * arrays → numbers, bool → boolean, text → string, json/jsonb → parsed JSON, timestamptz → Date).
 * Ids in this schema are int8 identities; a corpus would need 9·10^15 rows to leave the exact range.
 */
import { StoreError } from "./errors.js";

/** Postgres type OIDs that get a parser of ours. */
export const TypeOid = {
  bytea: 17,
  int8: 20,
  int8Array: 1016,
  numeric: 1700,
  numericArray: 1231,
} as const;

/** int8 text → number, refusing values that a double cannot hold exactly. */
export function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new StoreError(
      "UNREPRESENTABLE",
      `the database returned the int8 ${text}, beyond the exact range of a JavaScript number ` +
        `(±${Number.MAX_SAFE_INTEGER})`,
    );
  }
  return value;
}

/** numeric text → the nearest number (`'NaN'` → NaN). */
export function parseNumeric(text: string): number {
  return Number(text);
}

/** bytea in Postgres' hex output format (`\x0102ff`) → a plain Uint8Array. */
export function parseBytea(text: string): Uint8Array {
  if (!text.startsWith("\\x")) {
    // The escape format only appears with `bytea_output = 'escape'`, which this library never sets.
    throw new StoreError(
      "UNREPRESENTABLE",
      `bytea value in an unexpected output format (${JSON.stringify(text.slice(0, 12))}…); set bytea_output = 'hex'`,
    );
  }
  const buffer = Buffer.from(text.slice(2), "hex");
  // Copy into a fresh ArrayBuffer: a Buffer may be a view into Node's shared pool.
  return new Uint8Array(buffer);
}

/**
 * A Postgres array literal of unquoted scalars (numbers; `NULL` for null), of any depth, parsed
 * with `element` for each scalar. Numeric arrays never contain quotes or escapes.
 */
export function parseScalarArray<T>(text: string, element: (value: string) => T): unknown[] {
  // An array with non-default bounds starts with its dimensions: "[0:1]={1,2}".
  const start = text.indexOf("{");
  let position = start;
  const parseLevel = (): unknown[] => {
    const out: unknown[] = [];
    position++; // past "{"
    if (text[position] === "}") {
      position++;
      return out;
    }
    for (;;) {
      if (text[position] === "{") {
        out.push(parseLevel());
      } else {
        let end = position;
        while (text[end] !== "," && text[end] !== "}") end++;
        const token = text.slice(position, end);
        out.push(token === "NULL" ? null : element(token));
        position = end;
      }
      const separator = text[position++];
      if (separator === "}") return out;
    }
  };
  return parseLevel();
}

/** The parser for each OID we override, keyed by OID (the shape both drivers accept). */
export const sharedTypeParsers: Readonly<Record<number, (text: string) => unknown>> = {
  [TypeOid.int8]: parseInt8,
  [TypeOid.numeric]: parseNumeric,
  [TypeOid.bytea]: parseBytea,
  [TypeOid.int8Array]: (text) => parseScalarArray(text, parseInt8),
  [TypeOid.numericArray]: (text) => parseScalarArray(text, parseNumeric),
};
