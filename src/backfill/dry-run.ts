/**
 * `--dry-run` for backfills: the exact number of rows each would change (its `where` applied) and
 * a before/after sample of a few rows, computed in a READ ONLY transaction that is rolled back
 * (so a volatile expression such as nextval() cannot write either). For columns or tables a
 * pending expand step creates: "up to N rows, after expand". Nothing is written, the ledger included.
 */
import type pg from 'pg';
import type { DryRunReport, ReadContext } from '../kind/step-kind.js';
import type { PlannedStep, RelationName } from '../model/plan.js';
import { parseRelation, quoteIdent } from '../sql/ident.js';
import { keyOrder } from '../sql/key-range.js';
import { columnTypes, type KeyInfo, KeyProblem, resolveKey, resolveTable, type TableInfo } from './key.js';
import { listTenants, type PerTenant, rlsRefusal, rlsState } from './rls.js';

/** How many rows the before/after sample shows. */
export const SAMPLE_ROWS = 5;

/** Expand steps before `step` that have not run yet. */
export function pendingExpand(ctx: ReadContext): PlannedStep[] {
  return ctx.plan.steps.filter((s) => s.phase === 'expand' && s.index < ctx.step.index && !ctx.appliedSteps.has(s.id));
}

function sameTable(a: unknown, b: RelationName): boolean {
  if (typeof a !== 'string' && (typeof a !== 'object' || a === null)) return false;
  const x = parseRelation(a as RelationName);
  const y = parseRelation(b);
  return x.name === y.name && (x.schema ?? 'public') === (y.schema ?? 'public');
}

/** Pending expand steps that create `table` (or one of `columns` on it); raw SQL steps count as "may". */
export function creators(pending: PlannedStep[], table: RelationName, columns?: string[]): string[] {
  return pending
    .filter((s) => {
      const o = s.options as Record<string, unknown>;
      if (s.kind === 'op.createTable') return sameTable(o.table, table);
      if (s.kind === 'op.addColumn')
        return columns !== undefined && sameTable(o.table, table) && columns.includes(o.column as string);
      return s.kind === 'sql' || s.kind === 'sqlFile';
    })
    .map((s) => s.id);
}

/** Run `fn` in a READ ONLY transaction that is always rolled back. */
export async function readOnly<T>(ctx: ReadContext, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  return ctx.db.withClient(async (c) => {
    await c.query('BEGIN TRANSACTION READ ONLY');
    try {
      return await fn(c);
    } finally {
      await c.query('ROLLBACK').catch(() => undefined);
    }
  });
}

/** A value for a sample line. */
export function show(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'string') return `'${v.length > 60 ? `${v.slice(0, 57)}…` : v}'`;
  return String(v);
}

/** What a dry run knows about a table before counting: refusals, or missing objects. */
export interface Prepared {
  table: TableInfo;
  key: KeyInfo;
  types: Map<string, string>;
}

/** Resolve table and key, or explain in lines why the backfill cannot be previewed or would be refused. */
export async function prepare(
  ctx: ReadContext,
  rel: RelationName,
  given: string[] | undefined,
  needed: string[],
  label: string,
): Promise<Prepared | DryRunReport> {
  const table = await resolveTable(ctx.db.pool, rel);
  const pending = pendingExpand(ctx);
  if (!table) {
    const by = creators(pending, rel);
    if (by.length)
      return {
        lines: [
          `${label}: table does not exist yet (pending expand step ${by.map((x) => `"${x}"`).join(', ')}): up to 0 rows, after expand`,
        ],
        rows: 0,
      };
    return { lines: [`${label}: would fail: table does not exist and no pending expand step creates it`], rows: null };
  }
  const types = await columnTypes(ctx.db.pool, table.oid);
  const missing = needed.filter((c) => !types.has(c));
  if (missing.length) {
    const by = creators(pending, rel, missing);
    const n = await readOnly(ctx, async (c) =>
      Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${table.sql}`)).rows[0].n),
    );
    if (by.length)
      return {
        lines: [
          `${label}: up to ${n} rows, after expand (column ${missing.map((c) => `"${c}"`).join(', ')} created by pending expand step ${by.map((x) => `"${x}"`).join(', ')})`,
        ],
        rows: n,
      };
    return {
      lines: [
        `${label}: would fail: ${table.display} has no column ${missing.map((c) => `"${c}"`).join(', ')} and no pending expand step creates it`,
      ],
      rows: null,
    };
  }
  try {
    const key = await resolveKey(ctx.db.pool, table, given);
    return { table, key, types };
  } catch (e) {
    if (e instanceof KeyProblem) return { lines: [`${label}: would be refused: ${e.message}`], rows: null };
    throw e;
  }
}

/**
 * Count rows matching `where` (per tenant under its setting when perTenant applies), or explain
 * why the backfill would be refused under row-level security.
 */
export async function countMatching(
  ctx: ReadContext,
  p: Prepared,
  where: string | undefined,
  perTenant: PerTenant | undefined,
): Promise<{ n: number } | { refused: string }> {
  const rls = await rlsState(ctx.db.pool, p.table);
  const cond = where ? ` WHERE (${where})` : '';
  if (rls.active && !perTenant) return { refused: rlsRefusal(p.table, rls)! };
  if (!perTenant)
    return {
      n: await readOnly(ctx, async (c) =>
        Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${p.table.sql}${cond}`)).rows[0].n),
      ),
    };
  const { tenants } = await listTenants(ctx.db.pool, p.table, perTenant, rls.active);
  return {
    n: await readOnly(ctx, async (c) => {
      let n = 0;
      for (const t of tenants) {
        await c.query('SELECT set_config($1, $2, true)', [perTenant.setting, t]);
        const r = await c.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${p.table.sql} WHERE ${quoteIdent(perTenant.column)} = $1${where ? ` AND (${where})` : ''}`,
          [t],
        );
        n += Number(r.rows[0].n);
      }
      return n;
    }),
  };
}

/** The first rows (key order) matching `where`, with extra select-list items. */
export async function sampleRows(
  ctx: ReadContext,
  p: Prepared,
  selectList: string,
  where: string | undefined,
): Promise<Record<string, unknown>[]> {
  return readOnly(
    ctx,
    async (c) =>
      (
        await c.query(
          `SELECT ${selectList} FROM ${p.table.sql}${where ? ` WHERE (${where})` : ''} ORDER BY ${keyOrder(p.key, false, p.table.sql)} LIMIT ${SAMPLE_ROWS}`,
        )
      ).rows,
  );
}
