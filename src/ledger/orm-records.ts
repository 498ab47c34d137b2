/**
 * The ledger's side of a plan's ORM records (docs/orm-records.md): which ORM history rows this plan
 * wrote, and what undoing each needs. Each write takes the transaction client that writes the ORM's
 * row, so the two commit together or not at all.
 */
import type { Queryable } from '../db/connection.js';
import type { Ledger } from './ledger.js';

/** One ORM history entry a plan wrote, as the ledger keeps it. */
export interface OrmRecordRow {
  planId: string;
  tool: string;
  migration: string;
  /** What the writer needs to undo it (the row's id, Alembic's previous revision…). */
  detail: Record<string, unknown>;
  runId: number | null;
  writtenAt: Date;
}

/**
 * The plan's records that are in place (written and not removed). None on a ledger older than the
 * table: `rollback` and `status` read a ledger without upgrading it.
 */
export async function activeOrmRecords(l: Ledger, planId: string, c: Queryable = l.db.pool): Promise<OrmRecordRow[]> {
  const table = await c.query<{ r: string | null }>(`SELECT to_regclass($1)::text AS r`, [`${l.s}.orm_records`]);
  if (table.rows[0].r === null) return [];
  const r = await c.query<{
    tool: string;
    migration: string;
    detail: Record<string, unknown>;
    run_id: string | null;
    written_at: Date;
  }>(
    `SELECT tool, migration, detail, run_id, written_at FROM ${l.s}.orm_records
      WHERE plan_id = $1 AND removed_at IS NULL ORDER BY written_at, tool, migration`,
    [planId],
  );
  return r.rows.map((x) => ({
    planId,
    tool: x.tool,
    migration: x.migration,
    detail: x.detail,
    runId: x.run_id === null ? null : Number(x.run_id),
    writtenAt: x.written_at,
  }));
}

/** Note a record as written (again, after a rollback removed it). */
export async function saveOrmRecord(
  l: Ledger,
  r: { planId: string; tool: string; migration: string; detail: Record<string, unknown>; runId: number | null },
  c: Queryable,
): Promise<void> {
  await c.query(
    `INSERT INTO ${l.s}.orm_records (plan_id, tool, migration, detail, run_id) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (plan_id, tool, migration) DO UPDATE
       SET detail = EXCLUDED.detail, run_id = EXCLUDED.run_id, written_at = clock_timestamp(), removed_at = NULL`,
    [r.planId, r.tool, r.migration, JSON.stringify(r.detail), r.runId],
  );
}

/** Note a record as removed by a whole-plan rollback. */
export async function markOrmRecordRemoved(
  l: Ledger,
  planId: string,
  tool: string,
  migration: string,
  c: Queryable,
): Promise<void> {
  await c.query(
    `UPDATE ${l.s}.orm_records SET removed_at = clock_timestamp() WHERE plan_id = $1 AND tool = $2 AND migration = $3`,
    [planId, tool, migration],
  );
}
