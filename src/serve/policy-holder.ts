/**
 * Holds the policy being served and swaps it when the active version changes (hot reload). A swap
 * is one reference assignment after the new engine is fully restored, so every request sees one
 * version from start to end (the route reads the reference once) and none waits for a reload. A
 * version that cannot be served (damaged snapshot, malformed exploration) is reported and the
 * current policy kept; the next change is tried again.
 */
import type { Exploration } from "../engine/types.js";
import type { Db } from "../store/db.js";
import { readActivePolicy } from "../store/policy-versions.js";
import { readActivePolicyVersionId } from "../store/policy-versions.js";
import { activeVersionPolicy, type ServedPolicy } from "./served-policy.js";

/** See the module comment. */
export class PolicyHolder {
  private served: ServedPolicy;
  private checking: Promise<void> | null = null;
  private again = false;
  private failedVersion: number | null = null;

  constructor(
    private readonly db: Db,
    initial: ServedPolicy,
    private readonly fallbackExploration: Exploration,
    private readonly onSwap: (policy: ServedPolicy, previous: ServedPolicy) => void,
    private readonly onError: (message: string) => void,
  ) {
    this.served = initial;
  }

  /** The policy to route the next request with. */
  get current(): ServedPolicy {
    return this.served;
  }

  /**
   * Loads the active version if it is not the one served. Calls made while a check runs are merged
   * into one more check after it (a notification during a reload is not lost).
   */
  refresh(): Promise<void> {
    if (this.checking !== null) {
      this.again = true;
      return this.checking;
    }
    this.checking = this.check().finally(() => {
      this.checking = null;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.checking;
  }

  private async check(): Promise<void> {
    let activeId: number | null;
    try {
      activeId = await readActivePolicyVersionId(this.db);
    } catch (error) {
      this.onError(`checking the active policy failed: ${(error as Error).message}`);
      return;
    }
    if (activeId === null || activeId === this.served.versionId || activeId === this.failedVersion) return;
    try {
      const active = await readActivePolicy(this.db);
      if (active === null) return;
      const next = await activeVersionPolicy(active, this.fallbackExploration);
      const previous = this.served;
      this.served = next;
      this.failedVersion = null;
      this.onSwap(next, previous);
    } catch (error) {
      this.failedVersion = activeId;
      this.onError(
        `cannot serve policy version ${activeId}, still serving ${this.served.versionId ?? "the uniform policy"}: ` +
          (error as Error).message,
      );
    }
  }
}
