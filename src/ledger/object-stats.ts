/**
 * Table and index sizes before and after a wave, and the WAL position, recorded in the ledger's
 * `object_stats` (plan_id, run_id, moment, stats). The runner calls {@link captureObjectStats}
 * with `before` when a plan first starts working and with `after` at the end of each run; the
 * report compares the first `before` with the latest `after` (or with the catalog now).
 */
import type { Db, Queryable } from '../db/connection.js';
import type { Plan, RelationName } from '../model/plan.js';
import { displayRelation, parseRelation, quoteRelation } from '../sql/ident.js';
import type { Ledger } from './ledger.js';

/** One table's size (the report's `sizeSchema` describes the same shape). */
export interface SizeStat {
  tableBytes: number;
  indexBytes: number;
  totalBytes: number;
  rowsEstimate: number | null;
}

/** What one capture records. */
export interface ObjectStats {
  /** `pg_current_wal_lsn()`, or null where PostgreSQL does not report it (a standby, no privilege). */
  lsn: string | null;
  tables: Record<string, SizeStat | null>;
}

/** A relation's display name with `public` left out (`Message`, `billing.invoices`), or null. */
export function tableKey(r: unknown): string | null {
  if (!r || (typeof r !== 'string' && typeof r !== 'object')) return null;
  try {
    const q = parseRelation(r as RelationName);
    return displayRelation({ schema: q.schema && q.schema !== 'public' ? q.schema : undefined, name: q.name });
  } catch {
    return null;
  }
}

/** Every table a plan names in its options, by display name (`public` left out). */
export function planTables(plan: Pick<Plan, 'steps'>): Map<string, RelationName> {
  const out = new Map<string, RelationName>();
  const add = (r: unknown) => {
    const key = tableKey(r);
    if (key) out.set(key, r as RelationName);
  };
  for (const st of plan.steps) {
    const o = st.options as Record<string, unknown>;
    add(o.table);
    add(o.from);
    add(o.into);
    add((o.references as { table?: unknown } | undefined)?.table);
    add((o.groupsFrom as { table?: unknown } | undefined)?.table);
  }
  return out;
}

/** Size of one table now, or null when it does not exist. */
export async function sizeOf(db: Queryable, table: RelationName | string): Promise<SizeStat | null> {
  const r = await db.query<{ tb: string; ib: string; tot: string; est: number }>(
    `SELECT pg_table_size(c.oid) AS tb, pg_indexes_size(c.oid) AS ib, pg_total_relation_size(c.oid) AS tot, c.reltuples::float8 AS est
       FROM pg_class c WHERE c.oid = to_regclass($1)`,
    [quoteRelation(table)],
  );
  const x = r.rows[0];
  if (!x) return null;
  return {
    tableBytes: Number(x.tb),
    indexBytes: Number(x.ib),
    totalBytes: Number(x.tot),
    rowsEstimate: x.est < 0 ? null : Math.round(x.est),
  };
}

/** The current WAL position, or null where PostgreSQL does not report it. */
export async function walLsn(db: Db): Promise<string | null> {
  try {
    return (await db.rows<{ lsn: string }>(`SELECT pg_current_wal_lsn()::text AS lsn`))[0].lsn;
  } catch {
    return null;
  }
}

/** Sizes of `tables` now, and the WAL position. */
export async function currentStats(db: Db, tables: Map<string, RelationName>): Promise<ObjectStats> {
  const out: ObjectStats = { lsn: await walLsn(db), tables: {} };
  for (const [name, rel] of tables) out.tables[name] = await sizeOf(db.pool, rel).catch(() => null);
  return out;
}

/**
 * Record the sizes of every table the plan names, and the WAL position, in `object_stats`.
 * `before` is recorded once per plan (later calls do nothing); `after` on every call. Never throws:
 * statistics must not fail a run.
 */
export async function captureObjectStats(
  db: Db,
  ledger: Ledger,
  plan: Pick<Plan, 'id' | 'steps'>,
  runId: number | null,
  moment: 'before' | 'after',
): Promise<void> {
  try {
    if (moment === 'before') {
      const had = await db.rows(
        `SELECT 1 FROM ${ledger.s}.object_stats WHERE plan_id = $1 AND moment = 'before' LIMIT 1`,
        [plan.id],
      );
      if (had.length) return;
    }
    const stats = await currentStats(db, planTables(plan));
    await db.query(`INSERT INTO ${ledger.s}.object_stats (plan_id, run_id, moment, stats) VALUES ($1, $2, $3, $4)`, [
      plan.id,
      runId,
      moment,
      JSON.stringify(stats),
    ]);
  } catch {
    /* best effort */
  }
}

/** Bytes of WAL between two positions, or null. */
export async function walBytes(db: Db, from: string | null, to: string | null): Promise<number | null> {
  if (!from || !to) return null;
  try {
    return Number(
      (await db.rows<{ d: string }>(`SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn) AS d`, [to, from]))[0].d,
    );
  } catch {
    return null;
  }
}
