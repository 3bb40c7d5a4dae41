/**
 * Policy versions and the active-policy pointer. A snapshot is opaque bytes to the store (the
 * engine's own format, with its own checks); the store adds a SHA-256 of them, computed on insert
 * and verified on every read, so a snapshot damaged at rest or in transit is refused here with a
 * clear error instead of failing somewhere inside a restore.
 *
 * Activation is guarded: the pointer only ever names a version whose training run succeeded and
 * whose stored bytes pass the checksum and the caller's {@link SnapshotValidator}, all checked
 * inside the transaction that flips it. The validator is a required parameter because the store
 * never imports the engine (README "Architecture"): the cadence passes the engine's own check.
 */
import { createHash } from "node:crypto";
import type { Db, Queryable } from "./db.js";
import { atomically } from "./db.js";
import { StoreError, describeValue } from "./errors.js";
import { ACTIVE_POLICY_CHANNEL } from "./policy-notifications.js";
import type { JsonObject } from "./training-runs.js";
import { jsonParameter } from "./training-runs.js";

/** A policy version without its bytes. */
export interface PolicyVersionInfo {
  readonly id: number;
  readonly createdAt: Date;
  readonly trainingRunId: number;
  /** Lower-case hex SHA-256 of the snapshot. */
  readonly sha256: string;
  /** Snapshot size in bytes. */
  readonly byteLength: number;
  readonly parameters: JsonObject;
}

/** A policy version with its verified snapshot bytes. */
export interface PolicyVersion extends PolicyVersionInfo {
  readonly snapshot: Uint8Array;
}

/** The active policy: the version, its bytes, and when it became active. */
export interface ActivePolicy extends PolicyVersion {
  readonly activatedAt: Date;
  /**
   * Σr² of every (cell, arm) model in the snapshot's model order (cell-major, then arm), stored
   * with the version for the next incremental refit (migration 011); null when none was stored.
   */
  readonly rewardSquares: Float64Array | null;
}

/**
 * Checks that bytes are a valid policy snapshot (decodes them, validates every field); throws,
 * or rejects, with the reason when they are not. The store calls it before activating a version.
 */
export type SnapshotValidator = (snapshot: Uint8Array) => void | Promise<void>;

/** A policy version as listed by {@link listPolicyVersions}: without bytes, with whether it is the active one. */
export interface PolicyVersionListing extends PolicyVersionInfo {
  readonly active: boolean;
  /** When it became active, if it is the active one. */
  readonly activatedAt: Date | null;
}

/** What {@link activatePolicyVersion} changed. */
export interface Activation {
  readonly policyVersionId: number;
  /** The version that was active before, or null if none was. */
  readonly previousPolicyVersionId: number | null;
  readonly activatedAt: Date;
}

/** What a new version is made of. */
export interface NewPolicyVersion {
  readonly trainingRunId: number;
  readonly snapshot: Uint8Array;
  readonly parameters?: JsonObject;
  /** Σr² per (cell, arm) model in the snapshot's model order, for the next incremental refit (finite, ≥ 0). */
  readonly rewardSquares?: Float64Array;
}

interface PolicyVersionRow {
  id: number;
  created_at: Date;
  training_run_id: number;
  snapshot_sha256: string;
  byte_length: number;
  parameters: JsonObject;
  snapshot?: Uint8Array;
  activated_at?: Date;
  reward_squares?: Uint8Array | null;
}

const INFO_COLUMNS =
  "id, created_at, training_run_id, snapshot_sha256, octet_length(snapshot) AS byte_length, parameters";

/** Lower-case hex SHA-256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function toInfo(row: PolicyVersionRow): PolicyVersionInfo {
  return {
    id: row.id,
    createdAt: row.created_at,
    trainingRunId: row.training_run_id,
    sha256: row.snapshot_sha256,
    byteLength: row.byte_length,
    parameters: row.parameters,
  };
}

/** The row with its bytes, after checking them against the stored checksum. */
function toVerified(row: PolicyVersionRow): PolicyVersion {
  const snapshot = row.snapshot as Uint8Array;
  const actual = sha256Hex(snapshot);
  if (actual !== row.snapshot_sha256) {
    throw new StoreError(
      "CHECKSUM",
      `policy version ${row.id}: the stored snapshot (${snapshot.length} bytes) has SHA-256 ${actual}, ` +
        `but ${row.snapshot_sha256} was recorded; the snapshot is damaged`,
    );
  }
  return { ...toInfo(row), snapshot };
}

function assertId(id: unknown, name: string): asserts id is number {
  if (!Number.isSafeInteger(id) || (id as number) < 1)
    throw new RangeError(`${name} must be a positive integer id; received ${describeValue(id)}`);
}

/** Σr² values as little-endian f64 bytes (the column's format), after checking each is finite and ≥ 0. */
function rewardSquaresBytes(values: unknown): Uint8Array | null {
  if (values === undefined) return null;
  if (!(values instanceof Float64Array))
    throw new TypeError(`rewardSquares must be a Float64Array; received ${describeValue(values)}`);
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => {
    if (!(value >= 0 && value < Infinity))
      throw new RangeError(`rewardSquares[${i}] must be finite and ≥ 0; received ${describeValue(value)}`);
    view.setFloat64(i * 8, value, true);
  });
  return bytes;
}

/** The column's bytes back as values (null stays null). */
function rewardSquaresValues(bytes: Uint8Array | null | undefined): Float64Array | null {
  if (bytes === null || bytes === undefined) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float64Array(bytes.byteLength / 8);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat64(i * 8, true);
  return values;
}

/** Stores a snapshot as a new (inactive) policy version, with its checksum. */
export async function insertPolicyVersion(q: Queryable, version: NewPolicyVersion): Promise<PolicyVersionInfo> {
  if (typeof version !== "object" || version === null)
    throw new TypeError(`version must be an object; received ${describeValue(version)}`);
  assertId(version.trainingRunId, "trainingRunId");
  if (!(version.snapshot instanceof Uint8Array) || version.snapshot.length === 0) {
    throw new TypeError(`snapshot must be a non-empty Uint8Array; received ${describeValue(version.snapshot)}`);
  }
  const parameters = version.parameters ?? {};
  if (typeof parameters !== "object" || parameters === null || Array.isArray(parameters)) {
    throw new TypeError(`parameters must be a plain object; received ${describeValue(parameters)}`);
  }
  const rewardSquares = rewardSquaresBytes(version.rewardSquares);
  const result = await q.query<PolicyVersionRow>(
    `INSERT INTO policy_versions (training_run_id, snapshot, snapshot_sha256, parameters, reward_squares)
     VALUES ($1, $2, $3, $4::text::jsonb, $5) RETURNING ${INFO_COLUMNS}`,
    [
      version.trainingRunId,
      version.snapshot,
      sha256Hex(version.snapshot),
      jsonParameter(parameters, "parameters"),
      rewardSquares,
    ],
  );
  return toInfo(result.rows[0] as PolicyVersionRow);
}

/** One policy version with verified bytes, or null if there is none with this id. */
export async function readPolicyVersion(q: Queryable, id: number): Promise<PolicyVersion | null> {
  assertId(id, "id");
  const result = await q.query<PolicyVersionRow>(
    `SELECT ${INFO_COLUMNS}, snapshot FROM policy_versions WHERE id = $1`,
    [id],
  );
  const row = result.rows[0];
  return row === undefined ? null : toVerified(row);
}

/** Runs the caller's validator on a version's bytes; its refusal becomes StoreError INVALID_SNAPSHOT. */
async function validateStored(version: PolicyVersion, validateSnapshot: SnapshotValidator): Promise<void> {
  try {
    await validateSnapshot(version.snapshot);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const what =
      `policy version ${version.id} cannot be activated: its ${version.snapshot.length} bytes ` +
      `are not a valid snapshot`;
    throw new StoreError("INVALID_SNAPSHOT", `${what} (${reason})`, { cause: error });
  }
}

/**
 * Makes `policyVersionId` the active policy and marks its training run promoted, atomically: in a
 * new transaction when given a Db, inside the caller's when given a `tx` (to promote together with
 * finishing the run, say). Concurrent activations serialise on the pointer row. Refuses (StoreError,
 * nothing changed) a version that does not exist (NOT_FOUND), whose run has not succeeded
 * (NOT_FOUND), whose bytes fail their checksum (CHECKSUM) or `validateSnapshot` (INVALID_SNAPSHOT).
 */
export async function activatePolicyVersion(
  target: Db | Queryable,
  policyVersionId: number,
  validateSnapshot: SnapshotValidator,
): Promise<Activation> {
  assertId(policyVersionId, "policyVersionId");
  if (typeof validateSnapshot !== "function") {
    throw new TypeError(
      `validateSnapshot must be a function (the engine's snapshot check); received ${describeValue(validateSnapshot)}`,
    );
  }
  return atomically(target, async (tx) => {
    const found = await tx.query<PolicyVersionRow & { run_status: string }>(
      `SELECT v.id, v.created_at, v.training_run_id, v.snapshot_sha256, octet_length(v.snapshot) AS byte_length, ` +
        `v.parameters, v.snapshot,
              r.status AS run_status
       FROM policy_versions v JOIN training_runs r ON r.id = v.training_run_id
       WHERE v.id = $1 FOR SHARE OF r`,
      [policyVersionId],
    );
    const row = found.rows[0];
    if (row === undefined) throw new StoreError("NOT_FOUND", `policy version ${policyVersionId} does not exist`);
    const trainingRunId = row.training_run_id;
    if (row.run_status !== "succeeded") {
      throw new StoreError(
        "NOT_FOUND",
        `policy version ${policyVersionId} cannot be activated: its training run ${trainingRunId} ` +
          `has status ${row.run_status}, not succeeded`,
      );
    }
    await validateStored(toVerified(row), validateSnapshot);
    // Lock the pointer row (if any) so the previous id we report is the one we replace.
    const previous = await tx.query<{ policy_version_id: number }>(
      "SELECT policy_version_id FROM active_policy FOR UPDATE",
    );
    const flipped = await tx.query<{ activated_at: Date }>(
      `INSERT INTO active_policy (singleton, policy_version_id) VALUES (true, $1)
       ON CONFLICT (singleton) DO UPDATE SET policy_version_id = EXCLUDED.policy_version_id, activated_at = now()
       RETURNING activated_at`,
      [policyVersionId],
    );
    await tx.query("UPDATE training_runs SET promoted = true WHERE id = $1", [trainingRunId]);
    // Tell running servers (LISTEN linucb_active_policy, ./policy-notifications.ts); sent on commit only.
    await tx.query("SELECT pg_notify($1, $2)", [ACTIVE_POLICY_CHANNEL, String(policyVersionId)]);
    return {
      policyVersionId,
      previousPolicyVersionId: previous.rows[0]?.policy_version_id ?? null,
      activatedAt: (flipped.rows[0] as { activated_at: Date }).activated_at,
    };
  });
}

/** Policy versions, newest first (at most `limit`), each marked whether it is the active one. */
export async function listPolicyVersions(
  q: Queryable,
  options: { readonly limit?: number } = {},
): Promise<PolicyVersionListing[]> {
  const limit = options.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer; received ${describeValue(limit)}`);
  const result = await q.query<PolicyVersionRow & { active: boolean; activated_at: Date | null }>(
    `SELECT v.id, v.created_at, v.training_run_id, v.snapshot_sha256, octet_length(v.snapshot) AS byte_length, ` +
      `v.parameters,
            a.policy_version_id IS NOT NULL AS active, a.activated_at
     FROM policy_versions v LEFT JOIN active_policy a ON a.policy_version_id = v.id
     ORDER BY v.id DESC LIMIT $1`,
    [limit],
  );
  return result.rows.map((row) => ({ ...toInfo(row), active: row.active, activatedAt: row.activated_at ?? null }));
}

/** The id of the active policy version, or null before the first activation (no bytes read). */
export async function readActivePolicyVersionId(q: Queryable): Promise<number | null> {
  const result = await q.query<{ id: number }>("SELECT policy_version_id AS id FROM active_policy");
  return result.rows[0]?.id ?? null;
}

/** The active policy with verified bytes, or null before the first activation. */
export async function readActivePolicy(q: Queryable): Promise<ActivePolicy | null> {
  const result = await q.query<PolicyVersionRow>(
    `SELECT v.id, v.created_at, v.training_run_id, v.snapshot_sha256, octet_length(v.snapshot) AS byte_length, ` +
      `v.parameters, v.snapshot,
            v.reward_squares, a.activated_at
     FROM active_policy a JOIN policy_versions v ON v.id = a.policy_version_id`,
  );
  const row = result.rows[0];
  if (row === undefined) return null;
  return {
    ...toVerified(row),
    activatedAt: row.activated_at as Date,
    rewardSquares: rewardSquaresValues(row.reward_squares),
  };
}
