/**
 * Whether a plan completed, read from the ledger's `plans` for `check.migrationApplied({ tool:
 * 'tidemark' })` (docs/checks/migration-applied.md). The check may run where the ledger does not
 * exist yet, so it asks for {@link ledgerPlansTable} first (`to_regclass`), and shows the statement
 * itself in `describe`.
 */
import type { Db } from '../db/connection.js';
import { quoteIdent } from '../sql/ident.js';

/** The ledger's `plans` table in `schema`, qualified and quoted (for `to_regclass`). */
export function ledgerPlansTable(schema: string): string {
  return `${quoteIdent(schema)}.plans`;
}

/** The statement that reads a plan's status and completion time; `$1` is the plan id. */
export function planCompletionSql(schema: string): string {
  return `SELECT status, completed_at FROM ${ledgerPlansTable(schema)} WHERE plan_id = $1`;
}

/** A plan's status and completion time, or undefined when it never ran in this database. */
export async function readPlanCompletion(
  db: Db,
  schema: string,
  planId: string,
): Promise<{ status: string; completed_at: Date | null } | undefined> {
  return (await db.rows<{ status: string; completed_at: Date | null }>(planCompletionSql(schema), [planId]))[0];
}
