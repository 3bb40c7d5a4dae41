/**
 * The engine's check of a policy snapshot, handed to the store's guards (promoteTrainingRun,
 * activatePolicyVersion), which run it on the stored bytes inside the transaction that would make
 * them the active policy. The store cannot make it itself: it never imports the engine.
 */
import { restoreLinUCB } from "../engine/linucb.js";
import type { SnapshotValidator } from "../store/index.js";

/**
 * Restores the bytes as the serving side will (every check restoreLinUCB makes: magic, length,
 * checksum, versions, header, options, model contents); rejects with the engine's error if any fails.
 */
export const validatePolicySnapshot: SnapshotValidator = async (snapshot) => {
  await restoreLinUCB(snapshot);
};
