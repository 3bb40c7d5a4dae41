/**
 * Who may write: requests must carry `Authorization: Bearer <LINUCB_TOKEN>`. The token received is
 * copied into a fixed buffer and its first bytes compared with timingSafeEqual over the expected
 * token's whole length, whatever was received: the time depends neither on how much of the token
 * matches nor on the secret's content (only on its length, which is fixed). No hash per request —
 * this runs on every route.
 */
import { timingSafeEqual } from "node:crypto";

const BEARER = /^Bearer\s+(.+)$/i;

/** A check of `Authorization` header values against `token`. */
export function bearerTokenCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = Buffer.from(token, "utf8");
  // Room for the expected token and a whole UTF-8 character more (write() stops before a character
  // that does not fit), so that a longer token always writes more bytes than the expected one.
  const received = Buffer.alloc(Math.max(1024, expected.length + 4));
  const head = received.subarray(0, expected.length);
  return (authorization) => {
    const match = authorization === undefined ? null : BEARER.exec(authorization);
    const length = received.write(match?.[1]?.trim() ?? "", 0, "utf8");
    // Always compare (even for a missing header): no early exit to time.
    const same = timingSafeEqual(head, expected);
    return same && length === expected.length && match !== null;
  };
}

/** Whether `host` is a loopback address (where running without a token is allowed). */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
