/**
 * The type a column will have when a given step of a plan runs, known before the run starts: from
 * the database when the column exists there, else from the definition of the earlier step of the
 * same plan that creates it — an `op.createTable` column (the step itself, for a self-reference) or
 * an `op.addColumn` type. Unknown (null) when neither says: a raw `sql` step creates it, or a step in
 * between changes its type. The pre-flights compare foreign key types with it, so a mismatch is
 * refused before the run's first step (seed 001: a text column pointing at a uuid key).
 */

import { primaryKeyColumns, resolveRelation } from '../db/catalog.js';
import type { Queryable } from '../db/connection.js';
import type { Plan, PlannedStep, RelationName } from '../model/plan.js';
import { parseRelation, type QualifiedName } from '../sql/ident.js';
import { findColumn, resolveTypeName } from './catalog.js';
import { parseColumnDef } from './column-def.js';

/** A column's type as it will be: its base type (under any domain) and how PostgreSQL writes it. */
export interface KnownColumnType {
  /** The base type's oid, for {@link typesMatch}. */
  oid: number;
  /** As PostgreSQL writes it (`uuid`, `character varying(20)`), for messages. */
  type: string;
  /** The column (the table's primary key when none was named). */
  column: string;
  /** The step of the plan that creates it, when the database does not have it yet. */
  stepId?: string;
}

/** Kinds whose step changes a column's type in a way not read here: past one, the type is unknown. */
const RETYPES = new Set(['op.convertToEnum']);

const opt = (o: Record<string, unknown>) =>
  o as {
    table?: RelationName;
    column?: string;
    columns?: Record<string, string>;
    type?: string;
    primaryKey?: string[];
  };

/** Whether two relation names denote the same table (unqualified = the current schema). */
function same(a: RelationName | QualifiedName, b: RelationName | QualifiedName, current: string): boolean {
  const x = typeof a === 'string' ? parseRelation(a) : a;
  const y = typeof b === 'string' ? parseRelation(b) : b;
  return x.name === y.name && (x.schema ?? current) === (y.schema ?? current);
}

/** The single-column primary key of an existing table, or undefined. */
async function primaryKeyColumn(db: Queryable, tableOid: number): Promise<string | undefined> {
  const pk = await primaryKeyColumns(db, tableOid);
  return pk.length === 1 ? pk[0].name : undefined;
}

/** The type an `op.createTable` step gives `column` (or its primary key), or null. */
async function fromCreateTable(
  db: Queryable,
  st: PlannedStep,
  column: string | undefined,
): Promise<KnownColumnType | null> {
  const o = opt(st.options);
  const columns = o.columns ?? {};
  let name = column;
  if (!name) {
    if (o.primaryKey) name = o.primaryKey.length === 1 ? o.primaryKey[0] : undefined;
    else for (const [n, d] of Object.entries(columns)) if ((await parseColumnDef(d))?.primaryKey) name = n;
  }
  if (!name || !Object.hasOwn(columns, name)) return null;
  const def = await parseColumnDef(columns[name]);
  return def ? typed(db, def.type, name, st.id) : null;
}

async function typed(db: Queryable, typeText: string, column: string, stepId: string): Promise<KnownColumnType | null> {
  const t = await resolveTypeName(db, typeText);
  return t ? { oid: t.oid, type: t.name, column, stepId } : null;
}

/**
 * The type `table`.`column` will have when step `at` runs (`column` undefined: the table's
 * single-column primary key, as `REFERENCES t` without a column list means). Earlier steps are the
 * plan's steps before `at`; `at` itself counts when it is the `op.createTable` of that table.
 */
export async function plannedColumnType(
  db: Queryable,
  plan: Plan,
  at: PlannedStep,
  table: RelationName | QualifiedName,
  column: string | undefined,
): Promise<KnownColumnType | null> {
  const existing = await resolveRelation(db, table);
  if (existing) {
    const name = column ?? (await primaryKeyColumn(db, existing.oid));
    const c = name ? await findColumn(db, existing.oid, name) : null;
    if (c) return { oid: c.baseTypeOid, type: c.type, column: name! };
  }
  const current = (await db.query<{ s: string }>(`SELECT current_schema() AS s`)).rows[0].s;
  const earlier = plan.steps.filter(
    (st) => st.index < at.index || (st.index === at.index && st.kind === 'op.createTable'),
  );
  for (const st of earlier.reverse()) {
    const o = opt(st.options);
    if (!o.table || !same(o.table, table, current)) continue;
    if (st.kind === 'op.createTable') return existing ? null : fromCreateTable(db, st, column);
    if (column === undefined) continue;
    if (st.kind === 'op.addColumn' && o.column === column && o.type) return typed(db, o.type.trim(), column, st.id);
    if (RETYPES.has(st.kind) && o.column === column) return null;
  }
  return null;
}
