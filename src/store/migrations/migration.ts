/**
 * The shape of one schema migration. Each lives in its own file `NNN_name.ts` as SQL text constants
 * (not `.sql` files: `tsc` does not copy those into dist/, and reading them relative to the module
 * would differ between src/ under vitest and dist/src/ after the build).
 */

/** One reversible schema change, applied in one transaction. */
export interface Migration {
  /** Position in the sequence, 1, 2, 3, … without gaps. */
  readonly version: number;
  /** snake_case name, as in the file name. */
  readonly name: string;
  /** SQL that applies the change (PostgreSQL 15; several statements allowed). */
  readonly up: string;
  /** SQL that reverts exactly `up`. */
  readonly down: string;
}
