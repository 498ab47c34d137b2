/**
 * `op.convertToEnum`'s planning: the table and column as they are, the enum (created from `values`
 * or found), the column's default converted to the enum, what depends on the column and must be
 * refused (views, policies, foreign keys, …), and the path — in place under one short lock when the
 * rewrite's estimated lock time (table + index size over the rewrite rate measured on this server)
 * is at most `maxRewriteLockMs` (and the rows at most `shadowThresholdRows` when that is set),
 * through a shadow column otherwise. The same plan gives the
 * SQL `tidemark plan` prints and the SQL `run` executes, in both directions.
 */

import type { KeyColumn } from '../db/catalog.js';
import { estimatedRows, primaryKeyColumns } from '../db/catalog.js';
import { type Db, type Queryable, sqlState } from '../db/connection.js';
import { estimateRewrite, type RewriteEstimate, type RewriteRate } from '../db/rewrite-rate.js';
import type { Action } from '../kind/step-kind.js';
import type { RelationName } from '../model/plan.js';
import { displayRelation, quoteIdent, quoteRelation } from '../sql/ident.js';
import { quoteLiteral } from '../sql/text.js';
import {
  type ColumnDef,
  type ColumnDependents,
  columnDef,
  columnDependents,
  type RelationRef,
  resolveRef,
} from './archive-catalog.js';
import { findType } from './catalog.js';
import { type ShadowSpec, shadowNames } from './shadow-sql.js';

/** Options of `op.convertToEnum`. */
export interface ConvertOptions {
  id: string;
  table: RelationName;
  column: string;
  enum: RelationName;
  values?: string[];
}

/** The column's definition before the conversion, kept for `down`. */
export interface Original {
  type: string;
  collation: string | null;
  default: string | null;
}

/** Everything a conversion needs to know, read from the catalog. */
export interface EnumConversion {
  table: RelationRef;
  column: ColumnDef;
  key: KeyColumn[];
  deps: ColumnDependents;
  /** Quoted enum type, e.g. `"public"."lead_status"` as written. */
  enumSql: string;
  /** The allowed values: `values`, or the existing enum's labels. */
  labels: string[] | null;
  enumOid: number | null;
  /** `CREATE TYPE …` when the enum does not exist yet. */
  createEnum: string | null;
  /** The column already has the enum type. */
  converted: boolean;
  newDefault: string | null;
  path: 'in-place' | 'shadow';
  rows: number;
  /** The in-place rewrite's estimated lock time, and why the path was chosen. */
  estimate: RewriteEstimate;
  reason: string;
  /** Reasons to refuse, all at once. */
  problems: string[];
}

/** The default as the enum: `'new'::"lead_status"` for a literal, a cast otherwise; null when none. */
export function enumDefault(
  def: string | null,
  enumSql: string,
  labels: string[] | null,
): { sql: string | null; problem?: string } {
  if (def == null || /^NULL(::.+)?$/i.test(def)) return { sql: null };
  const m = /^'((?:[^']|'')*)'(?:::[\w\s."]+(?:\(\d+(?:,\s*\d+)?\))?)*$/.exec(def);
  if (m) {
    const v = m[1].replace(/''/g, "'");
    if (labels && !labels.includes(v)) return { sql: null, problem: `its default ${def} is not a value of the enum` };
    return { sql: `${quoteLiteral(v)}::${enumSql}` };
  }
  return { sql: `(${def})::text::${enumSql}` };
}

/** Rows by the planner's estimate, or counted up to `limit + 1` when the table was never analyzed. */
export async function rowsUpTo(q: Queryable, table: RelationRef, limit: number): Promise<number> {
  const est = await estimatedRows(q, { schema: table.schema, name: table.name });
  if (est != null && est > 0) return est;
  const r = await q.query<{ n: string }>(`SELECT count(*) AS n FROM (SELECT 1 FROM ${table.sql} LIMIT $1) x`, [
    limit + 1,
  ]);
  return Number(r.rows[0].n);
}

/** Objects that stop a type change, in words. */
export function conversionProblems(
  c: ColumnDef,
  key: KeyColumn[],
  deps: ColumnDependents,
  ownTriggers: string[],
): string[] {
  const out: string[] = [];
  if (key.some((k) => k.name === c.name)) out.push('the column is part of the primary key');
  if (!key.length) out.push('the table has no primary key (needed to backfill a shadow column by key ranges)');
  if (c.generated) out.push('it is a generated column');
  if (deps.views.length)
    out.push(
      `views or rules depend on it: ${deps.views.join(', ')} (PostgreSQL cannot change the type of a column a view reads; drop and recreate the view around the conversion)`,
    );
  if (deps.referencedBy.length) out.push(`foreign keys reference it: ${deps.referencedBy.join(', ')}`);
  for (const con of deps.constraints) {
    if (con.type === 'f')
      out.push(`foreign key "${con.name}" uses it: its referenced column would no longer have the same type`);
    if (con.type === 'x') out.push(`exclusion constraint "${con.name}" uses it`);
  }
  const others = deps.others.filter((d) => !ownTriggers.some((t) => d.startsWith(`trigger ${t} on `)));
  if (others.length) out.push(`other objects depend on it: ${others.join(', ')}`);
  return out;
}

/** How the path is chosen: the lock-time budget, the optional row cap, the server's rewrite rate. */
export interface PathPolicy {
  maxLockMs: number;
  /** Legacy row cap (`shadowThresholdRows`): above it the shadow path is taken whatever the estimate. */
  maxRows?: number;
  rate: () => Promise<RewriteRate>;
}

/** The path by estimated lock time (and the legacy row cap), with the reason in words. */
export function choosePath(
  rows: number,
  est: RewriteEstimate,
  p: PathPolicy,
): { path: 'in-place' | 'shadow'; reason: string } {
  const mb = (est.bytes / 1024 / 1024).toFixed(1);
  const how = `${mb} MB of table and indexes at ${est.mbPerS} MB/s (${est.measured ? 'measured on this server' : 'default rate: could not measure'})`;
  if (p.maxRows != null && rows > p.maxRows)
    return {
      path: 'shadow',
      reason: `about ${rows} row(s), above shadowThresholdRows (${p.maxRows}); an in-place rewrite would lock about ${est.ms} ms: ${how}`,
    };
  if (est.ms > p.maxLockMs)
    return {
      path: 'shadow',
      reason: `an in-place rewrite would lock the table about ${est.ms} ms, above maxRewriteLockMs (${p.maxLockMs}): ${how}`,
    };
  return {
    path: 'in-place',
    reason: `an in-place rewrite locks the table about ${est.ms} ms, within maxRewriteLockMs (${p.maxLockMs}): ${how}`,
  };
}

/** Read the conversion's state; null when the table or column does not exist. */
export async function planConversion(
  q: Queryable,
  o: ConvertOptions,
  policy: PathPolicy,
  path?: 'in-place' | 'shadow',
): Promise<EnumConversion | null> {
  const table = await resolveRef(q, o.table);
  if (!table) return null;
  const column = await columnDef(q, table.oid, o.column);
  if (!column) return null;
  const enumSql = quoteRelation(o.enum);
  const type = await findType(q, o.enum);
  const problems: string[] = [];
  let labels: string[] | null = o.values ?? null;
  let createEnum: string | null = null;
  if (type && type.typtype !== 'e') problems.push(`type ${displayRelation(o.enum)} exists and is not an enum`);
  else if (type && o.values && type.labels.join('\u0000') !== o.values.join('\u0000')) {
    problems.push(
      `enum ${displayRelation(o.enum)} already exists with values (${type.labels.join(', ')}), not (${o.values.join(', ')})`,
    );
  } else if (type) labels = type.labels;
  else if (o.values) createEnum = `CREATE TYPE ${enumSql} AS ENUM (${o.values.map(quoteLiteral).join(', ')})`;
  else
    problems.push(
      `enum ${displayRelation(o.enum)} does not exist: give \`values\` to create it, or create it first with op.createEnum`,
    );
  const colType = await q.query<{ t: string }>(
    `SELECT atttypid::int8::text AS t FROM pg_attribute WHERE attrelid = $1 AND attnum = $2`,
    [table.oid, column.attnum],
  );
  const converted = type != null && Number(colType.rows[0].t) === type.oid;
  const key = await primaryKeyColumns(q, table.oid);
  const deps = await columnDependents(q, table.oid, column.attnum);
  const own = ['enum', 'back'].map((tag) => shadowNames({ table, column, tag }).trigger);
  if (!converted) problems.push(...conversionProblems(column, key, deps, own));
  const d = converted ? { sql: column.default } : enumDefault(column.default, enumSql, labels);
  if (d.problem) problems.push(d.problem);
  const rows = await rowsUpTo(q, table, policy.maxRows ?? 1_000_000);
  const estimate = await estimateRewrite(q, table.oid, await policy.rate());
  const chosen = choosePath(rows, estimate, policy);
  return {
    table,
    column,
    key,
    deps,
    enumSql,
    labels,
    enumOid: type?.oid ?? null,
    createEnum,
    converted,
    newDefault: d.sql,
    path: path ?? chosen.path,
    rows,
    estimate,
    reason: path && path !== chosen.path ? `${path}, as the first attempt chose` : chosen.reason,
    problems,
  };
}

/** The in-place conversion: drop the default, change the type with a cast through text, set the default back. */
export function inPlaceActions(
  table: RelationRef,
  column: string,
  toType: string,
  castType: string,
  oldDefault: string | null,
  newDefault: string | null,
): Action[] {
  const t = table.sql;
  const c = quoteIdent(column);
  const out: Action[] = [];
  if (oldDefault != null)
    out.push({ sql: `ALTER TABLE ${t} ALTER COLUMN ${c} DROP DEFAULT`, lock: 'ACCESS EXCLUSIVE' });
  out.push({
    sql: `ALTER TABLE ${t} ALTER COLUMN ${c} TYPE ${toType} USING ${c}::text::${castType}`,
    lock: 'ACCESS EXCLUSIVE',
    note: 'rewrites the table and its indexes under the lock: small tables only',
  });
  if (newDefault != null)
    out.push({ sql: `ALTER TABLE ${t} ALTER COLUMN ${c} SET DEFAULT ${newDefault}`, lock: 'ACCESS EXCLUSIVE' });
  return out;
}

/** The shadow conversion to the enum. */
export function upSpec(c: EnumConversion, functionSchema: string): ShadowSpec {
  return {
    table: c.table,
    column: c.column,
    key: c.key,
    targetType: c.enumSql,
    cast: (ref) => `${ref}::text::${c.enumSql}`,
    newDefault: c.newDefault,
    indexes: c.deps.indexes,
    constraints: c.deps.constraints,
    functionSchema,
    tag: 'enum',
  };
}

/** The shadow conversion back to the original type. */
export function downSpec(c: EnumConversion, original: Original, functionSchema: string): ShadowSpec {
  return {
    table: c.table,
    column: c.column,
    key: c.key,
    targetType: `${original.type}${original.collation ? ` COLLATE ${original.collation}` : ''}`,
    cast: (ref) => `${ref}::text::${original.type}`,
    newDefault: original.default,
    indexes: c.deps.indexes,
    constraints: c.deps.constraints,
    functionSchema,
    tag: 'back',
  };
}

/**
 * A trial of the conversion on an empty copy of the table (`CREATE TEMP TABLE … (LIKE … INCLUDING
 * ALL)`, the same ALTERs, then ROLLBACK): PostgreSQL re-checks every index, constraint and default
 * against the new type, so what cannot exist on it (an index casting an enum to text: not
 * immutable) is refused before anything changes. Takes only ACCESS SHARE on the table. Returns the
 * error message, or null when the trial passed (or could not get its lock: the real run decides).
 */
export async function trialConversion(
  db: Db,
  lockTimeoutMs: number,
  table: RelationRef,
  column: string,
  toType: string,
  castType: string,
  oldDefault: string | null,
  newDefault: string | null,
  createEnum: string | null,
): Promise<string | null> {
  return db.withClient(async (c) => {
    await c.query('BEGIN');
    try {
      await c.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
      if (createEnum) await c.query(createEnum);
      // Both names are quoted identifiers (quoteIdent, the resolved relation's quoted form); no value is interpolated.
      const probe = quoteIdent('tidemark_probe');
      await c.query(`CREATE TEMP TABLE ${probe} (LIKE ${table.sql} INCLUDING ALL) ON COMMIT DROP`);
      const probeRef = { ...table, sql: probe };
      for (const a of inPlaceActions(probeRef, column, toType, castType, oldDefault, newDefault)) await c.query(a.sql);
      return null;
    } catch (e) {
      // No lock in time, or no right to create a temporary table: inconclusive, the real run decides.
      if (sqlState(e) === '55P03' || sqlState(e) === '42501') return null;
      return (e as Error).message;
    } finally {
      await c.query('ROLLBACK').catch(() => undefined);
    }
  });
}

/** `DROP TYPE` for an enum this step created (refused by PostgreSQL while something still uses it). */
export function dropEnumAction(enumSql: string): Action {
  return { sql: `DROP TYPE IF EXISTS ${enumSql}`, lock: 'none', note: 'the enum this step created' };
}
