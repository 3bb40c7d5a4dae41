import type { Migration } from "./migration.js";

/**
 * TEMPORARY placeholder holding version 6 for the ops helper's migration 006 (being written in
 * parallel), so that 007 and 008 can be numbered as agreed. Replaced by the real 006 on merge.
 */
export const migration: Migration = {
  version: 6,
  name: "reserved",
  up: "SELECT 1;",
  down: "SELECT 1;",
};
