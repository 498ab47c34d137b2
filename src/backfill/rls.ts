/**
 * Row-level security. A backfill on a table whose policies apply to the migrating role (RLS
 * enabled and `row_security_active`: not a superuser, no BYPASSRLS, not the owner unless FORCE)
 * would silently skip the rows they hide, so it is refused with the reason — unless `perTenant`
 * runs it tenant by tenant under `SET LOCAL <setting> = <tenant>`. Tenants come from
 * `perTenant.tenants` (SQL), else the table the tenant column references, else the column's
 * distinct values when nothing hides them.
 */
import type { Queryable } from '../db/connection.js';
import type { StepContext } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import { quoteIdent } from '../sql/ident.js';
import type { TableInfo } from './key.js';
import { readProgress } from './progress.js';

/** What RLS means for the current role on one table. */
export interface RlsState {
  enabled: boolean;
  forced: boolean;
  /** Policies apply to the current role here. */
  active: boolean;
  policies: string[];
  role: string;
}

/** `perTenant` as the plan gives it. */
export interface PerTenant {
  column: string;
  setting: string;
  tenants?: string;
}

export async function rlsState(db: Queryable, table: TableInfo): Promise<RlsState> {
  const r = await db.query<{
    enabled: boolean;
    forced: boolean;
    active: boolean;
    policies: string[] | null;
    role: string;
  }>(
    `SELECT c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced, row_security_active(c.oid) AS active,
            (SELECT array_agg(polname::text ORDER BY polname) FROM pg_policy WHERE polrelid = c.oid) AS policies, current_user::text AS role
       FROM pg_class c WHERE c.oid = $1`,
    [table.oid],
  );
  const row = r.rows[0];
  return { enabled: row.enabled, forced: row.forced, active: row.active, policies: row.policies ?? [], role: row.role };
}

/** Why the backfill is refused on this table, or null. */
export function rlsRefusal(t: TableInfo, s: RlsState): string | null {
  if (!s.active) return null;
  const pol = s.policies.length
    ? `policies ${s.policies.map((p) => `"${p}"`).join(', ')}`
    : 'no policy at all (so every row is hidden)';
  return (
    `table ${t.display} has row-level security${s.forced ? ' (FORCE)' : ''} that applies to role "${s.role}" (${pol}): ` +
    'rows those policies hide would be skipped silently. Run as the table owner or a role with BYPASSRLS, ' +
    'or give perTenant: { column, setting } to run the backfill tenant by tenant'
  );
}

/** The tenants to walk, in a stable order, as text. */
export async function listTenants(
  db: Queryable,
  table: TableInfo,
  pt: PerTenant,
  rlsActive: boolean,
): Promise<{ tenants: string[]; source: string }> {
  if (pt.tenants) {
    const r = await db.query(pt.tenants);
    const f = r.fields[0]?.name;
    if (!f) throw new Error('perTenant.tenants returned no column');
    const tenants = [
      ...new Set(
        r.rows
          .map((x) => x[f])
          .filter((v) => v != null)
          .map(String),
      ),
    ].sort();
    return { tenants, source: 'perTenant.tenants' };
  }
  if (!rlsActive) {
    const r = await db.query<{ t: string }>(
      `SELECT DISTINCT ${quoteIdent(pt.column)}::text AS t FROM ${table.sql} WHERE ${quoteIdent(pt.column)} IS NOT NULL ORDER BY 1`,
    );
    return { tenants: r.rows.map((x) => x.t), source: `the distinct values of ${table.display}.${pt.column}` };
  }
  const fk = await db.query<{ reftable: string; refcol: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS reftable, fa.attname::text AS refcol
       FROM pg_constraint k
       JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
       JOIN pg_class c ON c.oid = k.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute fa ON fa.attrelid = k.confrelid AND fa.attnum = k.confkey[1]
      WHERE k.conrelid = $1 AND k.contype = 'f' AND array_length(k.conkey, 1) = 1 AND a.attname = $2
      LIMIT 1`,
    [table.oid, pt.column],
  );
  if (!fk.rows.length) {
    throw new Error(
      `cannot list the tenants of ${table.display}: row-level security hides its rows and "${pt.column}" references no tenant table; give perTenant.tenants (SQL returning the tenant ids)`,
    );
  }
  const { reftable, refcol } = fk.rows[0];
  const r = await db.query<{ t: string }>(
    `SELECT DISTINCT ${quoteIdent(refcol)}::text AS t FROM ${reftable} WHERE ${quoteIdent(refcol)} IS NOT NULL ORDER BY 1`,
  );
  return { tenants: r.rows.map((x) => x.t), source: `${reftable}.${refcol} (referenced by ${pt.column})` };
}

/** The live-row estimate of a table from the statistics collector (0 when unknown). */
export async function liveRows(db: Queryable, table: TableInfo): Promise<number> {
  const r = await db.query<{ n: string | null }>(
    `SELECT greatest(coalesce(s.n_live_tup, 0), coalesce(c.reltuples, 0)::bigint) AS n FROM pg_class c LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid WHERE c.oid = $1`,
    [table.oid],
  );
  return Number(r.rows[0]?.n ?? 0);
}

/** The tenants a perTenant backfill walks: those saved by an earlier run, else listed now (and said). */
export async function tenantWalk(
  ctx: StepContext,
  stepId: string,
  table: TableInfo,
  pt: PerTenant,
  rlsActive: boolean,
): Promise<{ column: string; setting: string; tenants: string[] }> {
  let tenants = readProgress(ctx.progress)?.tenants;
  if (!tenants) {
    try {
      const l = await listTenants(ctx.db.pool, table, pt, rlsActive);
      tenants = l.tenants;
      ctx.emit({
        type: 'notice',
        level: 'info',
        stepId,
        message: `perTenant: ${tenants.length} tenant(s) from ${l.source}`,
      });
    } catch (e) {
      throw new StepFailedError(stepId, `step "${stepId}": ${(e as Error).message}`, 'Nothing was changed.');
    }
  }
  return { column: pt.column, setting: pt.setting, tenants };
}
