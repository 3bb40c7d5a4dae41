/**
 * Who may write: requests must carry `Authorization: Bearer <LINUCB_TOKEN>`. Both sides are hashed
 * to fixed-length SHA-256 digests and compared with timingSafeEqual, so the comparison takes the
 * same time whatever the token received (its length included).
 */
import { createHash, timingSafeEqual } from "node:crypto";

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/** A check of `Authorization` header values against `token`. */
export function bearerTokenCheck(token: string): (authorization: string | undefined) => boolean {
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer\s+(.+)$/i.exec(authorization ?? "");
    const received = digest(match?.[1]?.trim() ?? "");
    // Always compare (even for a missing header): no early exit to time.
    return timingSafeEqual(received, expected) && match !== null;
  };
}

/** Whether `host` is a loopback address (where running without a token is allowed). */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
