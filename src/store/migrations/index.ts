/**
 * Every migration, in order. Add a new one as the next `NNN_name.ts` file and one line here; never
 * edit one that has been released (the runner records a checksum of each applied `up` and reports
 * drift).
 */
import type { Migration } from "./migration.js";
import { migration as routingOutcomes } from "./001_routing_outcomes.js";
import { migration as routingOutcomesSource } from "./002_routing_outcomes_source.js";
import { migration as routingOutcomesSynthetic } from "./003_routing_outcomes_synthetic.js";
import { migration as trainingRuns } from "./004_training_runs.js";
import { migration as policyVersions } from "./005_policy_versions.js";
import { migration as nonemptyIdsAbandonedRuns } from "./006_nonempty_ids_abandoned_runs.js";
import { migration as routingDecisions } from "./007_routing_decisions.js";
import { migration as routingOutcomesDedupeKey } from "./008_routing_outcomes_dedupe_key.js";
import { migration as judgeWatermarks } from "./009_judge_watermarks.js";
import { migration as refitShardResults } from "./010_refit_shard_results.js";
import { migration as policyVersionsRewardSquares } from "./011_policy_versions_reward_squares.js";
import { migration as routingDecisionsDropVersionFkey } from "./012_routing_decisions_drop_version_fkey.js";

export type { Migration } from "./migration.js";

/** The schema's history, oldest first; `version` is the 1-based position. */
export const migrations: readonly Migration[] = [
  routingOutcomes,
  routingOutcomesSource,
  routingOutcomesSynthetic,
  trainingRuns,
  policyVersions,
  nonemptyIdsAbandonedRuns,
  routingDecisions,
  routingOutcomesDedupeKey,
  judgeWatermarks,
  refitShardResults,
  policyVersionsRewardSquares,
  routingDecisionsDropVersionFkey,
];
