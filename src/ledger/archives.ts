/**
 * The ledger's `archives`: one row per object a contract-phase drop archived (plan, step, kind,
 * object, where the data went, and the definition needed to rebuild it), so that `rollback` can
 * restore exactly what was removed (docs/ledger.md). Writes take the transaction that archives
 * or restores the object, so the record and the work commit together.
 */
import type { Queryable } from '../db/connection.js';
import type { Ledger } from './ledger.js';

/** What was archived. */
export type ArchiveKind = 'table' | 'column' | 'index' | 'constraint';

/** One row of the ledger's `archives` table. */
export interface ArchiveRecord {
  id: number;
  planId: string;
  stepId: string;
  kind: ArchiveKind;
  /** The archived object, e.g. `public.orders` or `public.orders.status`. */
  object: string;
  archiveSchema: string;
  archiveTable: string | null;
  definition: Record<string, unknown>;
  restoredAt: Date | null;
}

type Row = {
  id: string;
  plan_id: string;
  step_id: string;
  kind: ArchiveKind;
  object: string;
  archive_schema: string;
  archive_table: string | null;
  definition: Record<string, unknown>;
  restored_at: Date | null;
};

function fromRow(r: Row): ArchiveRecord {
  return {
    id: Number(r.id),
    planId: r.plan_id,
    stepId: r.step_id,
    kind: r.kind,
    object: r.object,
    archiveSchema: r.archive_schema,
    archiveTable: r.archive_table,
    definition: r.definition ?? {},
    restoredAt: r.restored_at,
  };
}

/** Insert a new archive record; pass the transaction that creates the archive so both commit together. */
export async function insertArchive(
  l: Ledger,
  client: Queryable,
  a: Omit<ArchiveRecord, 'id' | 'restoredAt'>,
): Promise<ArchiveRecord> {
  const r = await client.query<Row>(
    `INSERT INTO ${l.s}.archives (plan_id, step_id, kind, object, archive_schema, archive_table, definition)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
    [a.planId, a.stepId, a.kind, a.object, a.archiveSchema, a.archiveTable, JSON.stringify(a.definition)],
  );
  return fromRow(r.rows[0]);
}

/** The step's archive that is not restored yet (the newest), if any. */
export async function activeArchive(
  l: Ledger,
  planId: string,
  stepId: string,
  client?: Queryable,
): Promise<ArchiveRecord | undefined> {
  const r = await (client ?? l.db.pool).query<Row>(
    `SELECT * FROM ${l.s}.archives WHERE plan_id = $1 AND step_id = $2 AND restored_at IS NULL ORDER BY id DESC LIMIT 1`,
    [planId, stepId],
  );
  return r.rows[0] ? fromRow(r.rows[0]) : undefined;
}

/** The active archive when the ledger exists (describe and dry runs may have none). */
export async function activeArchiveIfAny(
  l: Ledger | undefined,
  planId: string,
  stepId: string,
): Promise<ArchiveRecord | undefined> {
  if (!l) return undefined;
  try {
    return await activeArchive(l, planId, stepId);
  } catch {
    return undefined;
  }
}

/** Replace an archive's definition (captured again under the final lock, so it is exact). */
export async function updateArchiveDefinition(
  l: Ledger,
  client: Queryable,
  id: number,
  definition: Record<string, unknown>,
): Promise<void> {
  await client.query(`UPDATE ${l.s}.archives SET definition = $2 WHERE id = $1`, [id, JSON.stringify(definition)]);
}

/** Mark an archive restored (or discarded after a partial apply); in the transaction that restores it. */
export async function markArchiveRestored(l: Ledger, client: Queryable, id: number): Promise<void> {
  await client.query(`UPDATE ${l.s}.archives SET restored_at = clock_timestamp() WHERE id = $1`, [id]);
}
