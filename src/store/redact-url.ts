/**
 * Database URLs in messages: never with a credential. A URL can carry its password in the userinfo
 * (`postgres://user:secret@host/db`, percent-encoded or not) and in query parameters
 * (`?password=secret`, `&password=secret`, `?sslpassword=…`, names percent-encoded or in any case),
 * and a libpq key=value string (`host=h password=secret`) is not a URL at all: every one of them is
 * shown with the value replaced by `***`.
 */

/** The URL schemes a database URL may have (what `pg` and libpq accept for a server). */
export const DATABASE_URL_SCHEMES: readonly string[] = ["postgres:", "postgresql:"];

const HIDDEN = "***";

/** Query parameter and key=value names whose value is a secret (compared decoded, lower case). */
function isSecretName(name: string): boolean {
  return /pass|secret|token|credential/i.test(name);
}

/** The URL with every credential replaced by `***`, for messages and logs. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactKeyValueString(url);
  }
  if (parsed.password !== "") parsed.password = HIDDEN;
  if ([...parsed.searchParams.keys()].some(isSecretName)) {
    const redacted = new URLSearchParams();
    for (const [name, value] of parsed.searchParams) redacted.append(name, isSecretName(name) ? HIDDEN : value);
    // URLSearchParams would percent-encode the stars: keep them readable.
    parsed.search = redacted.toString().replaceAll(encodeURIComponent(HIDDEN), HIDDEN);
  }
  return parsed.toString();
}

/**
 * A string that is not a URL: a libpq key=value connection string (`host=h password='s e'`) keeps
 * its keys with secret values hidden; anything else is not shown at all (it may be a password typed
 * in the wrong place).
 */
function redactKeyValueString(text: string): string {
  const pair = /([A-Za-z_][A-Za-z0-9_]*)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)/g;
  if (!/^\s*([A-Za-z_][A-Za-z0-9_]*\s*=\s*('(?:[^'\\]|\\.)*'|\S*)\s*)+$/.test(text))
    return "(an unparseable database URL)";
  return text.replace(pair, (whole, name: string) => (isSecretName(name) ? `${name}=${HIDDEN}` : whole));
}

/**
 * Checks that `url` is a PostgreSQL URL (`postgres://` or `postgresql://`) and returns it parsed;
 * throws a TypeError naming the (redacted) value otherwise. `pg` itself would read `file:///x` or
 * `http://x` as "no host given" and silently connect to 127.0.0.1:5432.
 */
export function parseDatabaseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(
      `databaseUrl must be a URL like postgres://user@host:5432/dbname; received ${JSON.stringify(redactUrl(url))}`,
    );
  }
  if (!DATABASE_URL_SCHEMES.includes(parsed.protocol)) {
    throw new TypeError(
      `databaseUrl must start with postgres:// or postgresql://; received a ${parsed.protocol}// URL ` +
        `(${JSON.stringify(redactUrl(url))}), which is not supported`,
    );
  }
  return parsed;
}
