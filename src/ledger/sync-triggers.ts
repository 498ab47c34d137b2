/**
 * The ledger's `sync_triggers`: the keepInSync triggers backfills installed (table, trigger and
 * function), so the contract phase and rollback can remove exactly those (docs/backfill.md). Writes
 * take the transaction that installs or drops the trigger, so the record and the DDL commit together.
 */
import type { Queryable } from '../db/connection.js';
import type { Ledger } from './ledger.js';

/** One installed trigger, as recorded. */
export interface SyncTriggerRecord {
  step_id: string;
  /** The table, qualified and quoted as when installed. */
  table_name: string;
  trigger_name: string;
  /** The function, qualified and quoted. */
  function_name: string;
}

/** Record (or record again, after a reinstall) a step's trigger, in the transaction that installs it. */
export async function recordSyncTrigger(
  l: Ledger,
  client: Queryable,
  t: { planId: string; stepId: string; table: string; trigger: string; fn: string },
): Promise<void> {
  await client.query(
    `INSERT INTO ${l.s}.sync_triggers (plan_id, step_id, table_name, trigger_name, function_name) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (plan_id, step_id, trigger_name) DO UPDATE SET table_name = EXCLUDED.table_name, function_name = EXCLUDED.function_name, installed_at = clock_timestamp(), removed_at = NULL`,
    [t.planId, t.stepId, t.table, t.trigger, t.fn],
  );
}

/** The triggers of a plan (or of one of its steps) not removed yet, oldest first. */
export async function installedSyncTriggers(
  l: Ledger,
  planId: string,
  stepId?: string,
  client: Queryable = l.db.pool,
): Promise<SyncTriggerRecord[]> {
  return (
    await client.query<SyncTriggerRecord>(
      `SELECT step_id, table_name, trigger_name, function_name FROM ${l.s}.sync_triggers
      WHERE plan_id = $1 AND removed_at IS NULL AND ($2::text IS NULL OR step_id = $2) ORDER BY installed_at`,
      [planId, stepId ?? null],
    )
  ).rows;
}

/** Mark a trigger removed, in the transaction that drops it. */
export async function markSyncTriggerRemoved(
  l: Ledger,
  client: Queryable,
  planId: string,
  stepId: string,
  trigger: string,
): Promise<void> {
  await client.query(
    `UPDATE ${l.s}.sync_triggers SET removed_at = clock_timestamp() WHERE plan_id = $1 AND step_id = $2 AND trigger_name = $3`,
    [planId, stepId, trigger],
  );
}
