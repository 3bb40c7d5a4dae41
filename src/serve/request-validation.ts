/**
 * Validation of request bodies, by hand rather than through fastify's JSON schemas: every message
 * must name the field and quote the value received (Ajv's do not quote it), feature vectors are
 * checked against the live policy's dimension, and a single outcome and each item of a batch share
 * one validator (whose field names then carry the item's index). Cheap enough for the route's hot
 * path: one pass over the features, no allocation (the parsed array itself goes to the engine).
 */
import { describeValue } from "../shared/describe-value.js";
import { DEFAULT_ROW_BOUNDS } from "../store/row-bounds.js";
import { HttpError } from "./http-error.js";
import { isStorableText, UNSTORABLE_TEXT } from "./storable-text.js";

/** A validated `POST /v1/route` body. */
export interface RouteRequest {
  readonly cell: string;
  readonly agentId: string;
  /** The parsed JSON array, checked: exactly the policy's dimension of finite numbers. */
  readonly features: readonly number[];
  readonly requestId: string | null;
}

/** One validated outcome of `POST /v1/outcomes`. */
export interface OutcomeRequest {
  readonly decisionId: string;
  readonly completed: boolean;
  readonly hallucinated: boolean;
  readonly refused: boolean;
  readonly judgeScore: number | null;
}

/** Longest id (cell, agent, request) accepted, in characters. */
export const MAX_ID_LENGTH = 256;
/** Outcomes per batch at most. */
export const MAX_BATCH_OUTCOMES = 10_000;

const MAX_FEATURE = DEFAULT_ROW_BOUNDS.maxFeatureMagnitude;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function badRequest(field: string, expected: string, value: unknown): HttpError {
  return new HttpError(400, `${field} must be ${expected}; received ${describeValue(value)}`);
}

function asObject(body: unknown, field: string): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest(field, "a JSON object", body);
  return body as Record<string, unknown>;
}

function rejectUnknownFields(body: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw new HttpError(
        400,
        `${prefix}${key} is not a known field (known: ${allowed.join(", ")}); received ${describeValue(body[key])}`,
      );
    }
  }
}

function id(body: Record<string, unknown>, key: string, prefix: string): string {
  const value = body[key];
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw badRequest(`${prefix}${key}`, `a non-empty string of at most ${MAX_ID_LENGTH} characters`, value);
  }
  // Accepted, such a decision would fail its group write, and the retries of that group would stop
  // every route (503) until the server is restarted.
  if (!isStorableText(value))
    throw new HttpError(400, `${prefix}${key} ${UNSTORABLE_TEXT}; received ${describeValue(value)}`);
  return value;
}

function flag(body: Record<string, unknown>, key: string, prefix: string): boolean {
  const value = body[key];
  if (typeof value !== "boolean") throw badRequest(`${prefix}${key}`, "true or false", value);
  return value;
}

/** The features, checked to be an array of exactly `dimension` finite numbers. */
function features(value: unknown, dimension: number): readonly number[] {
  if (!Array.isArray(value)) throw badRequest("features", `an array of ${dimension} finite numbers`, value);
  if (value.length !== dimension) {
    throw new HttpError(
      400,
      `features must have ${dimension} numbers (the active policy's dimension); received ${value.length}`,
    );
  }
  for (let i = 0; i < dimension; i++) {
    const x: unknown = value[i];
    // JSON has no NaN or Infinity, but 1e999 parses to Infinity. Beyond the corpus reader's bound the
    // outcome row would never reach a refit, so such a request is refused here.
    if (typeof x !== "number" || !(Math.abs(x) <= MAX_FEATURE))
      throw badRequest(`features[${i}]`, `a finite number within ±${MAX_FEATURE}`, x);
  }
  return value as number[];
}

const ROUTE_FIELDS = ["cell", "agentId", "features", "requestId"];

/** Validates a route body against the served policy's dimension (400 naming the field). */
export function parseRouteRequest(body: unknown, dimension: number): RouteRequest {
  const object = asObject(body, "the request body");
  rejectUnknownFields(object, ROUTE_FIELDS, "");
  const requestId = object.requestId === undefined || object.requestId === null ? null : id(object, "requestId", "");
  return {
    cell: id(object, "cell", ""),
    agentId: id(object, "agentId", ""),
    features: features(object.features, dimension),
    requestId,
  };
}

const OUTCOME_FIELDS = ["decisionId", "completed", "hallucinated", "refused", "judgeScore"];

function parseOutcome(value: unknown, prefix: string): OutcomeRequest {
  const object = asObject(value, prefix === "" ? "the request body" : prefix.slice(0, -1));
  rejectUnknownFields(object, OUTCOME_FIELDS, prefix);
  const decisionId = object.decisionId;
  if (typeof decisionId !== "string" || !UUID.test(decisionId))
    throw badRequest(`${prefix}decisionId`, "a decision id (a UUID from /v1/route)", decisionId);
  const score = object.judgeScore;
  if (score !== undefined && score !== null && (typeof score !== "number" || !Number.isFinite(score))) {
    throw badRequest(`${prefix}judgeScore`, "a finite number or null", score);
  }
  return {
    decisionId: decisionId.toLowerCase(),
    completed: flag(object, "completed", prefix),
    hallucinated: flag(object, "hallucinated", prefix),
    refused: flag(object, "refused", prefix),
    judgeScore: typeof score === "number" ? score : null,
  };
}

/** Validates `{ decisionId, … }` or `{ outcomes: [ … ] }`; returns the outcomes and whether it was a batch. */
export function parseOutcomesRequest(body: unknown): { readonly outcomes: OutcomeRequest[]; readonly batch: boolean } {
  const object = asObject(body, "the request body");
  if (!("outcomes" in object)) return { outcomes: [parseOutcome(object, "")], batch: false };
  rejectUnknownFields(object, ["outcomes"], "");
  const list = object.outcomes;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_BATCH_OUTCOMES) {
    throw badRequest("outcomes", `an array of 1 to ${MAX_BATCH_OUTCOMES} outcomes`, list);
  }
  return { outcomes: list.map((item, i) => parseOutcome(item, `outcomes[${i}].`)), batch: true };
}
