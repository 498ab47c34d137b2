/**
 * Catalog lookups the `op.*` steps make before each action (the table itself: `resolveRelation`
 * in db/catalog.ts), so that a rerun after a crash repairs
 * instead of repeating: does the table, column, index, constraint, type or extension exist, is the
 * index valid, is someone still building it, do two column types match.
 */
import { type Relation, resolveRelation } from '../db/catalog.js';
import type { Queryable } from '../db/connection.js';
import type { StepContext } from '../kind/step-kind.js';
import { StepFailedError } from '../model/errors.js';
import type { RelationName } from '../model/plan.js';
import { displayRelation, quoteRelation } from '../sql/ident.js';

/** The step's table, which must exist: a step cannot change a table that is not there. */
export async function existingTable(ctx: StepContext, table: RelationName): Promise<Relation> {
  const ref = await resolveRelation(ctx.db.pool, table);
  if (!ref)
    throw new StepFailedError(ctx.step.id, `step "${ctx.step.id}": table ${displayRelation(table)} does not exist`);
  return ref;
}

/** An index (or whatever relation holds the name) in a schema. */
export interface IndexState {
  oid: number;
  /** `i` index, `I` partitioned index; anything else is not an index. */
  relkind: string;
  tableOid: number | null;
  valid: boolean;
  ready: boolean;
  unique: boolean;
}

/** The relation named `name` in `schema`, with its index flags, or null. */
export async function findIndex(db: Queryable, schema: string, name: string): Promise<IndexState | null> {
  const r = await db.query<{
    oid: string;
    relkind: string;
    indrelid: string | null;
    indisvalid: boolean | null;
    indisready: boolean | null;
    indisunique: boolean | null;
  }>(
    `SELECT c.oid::int8 AS oid, c.relkind::text AS relkind, i.indrelid::int8 AS indrelid, i.indisvalid, i.indisready, i.indisunique
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_index i ON i.indexrelid = c.oid
      WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, name],
  );
  const x = r.rows[0];
  if (!x) return null;
  return {
    oid: Number(x.oid),
    relkind: x.relkind,
    tableOid: x.indrelid == null ? null : Number(x.indrelid),
    valid: !!x.indisvalid,
    ready: !!x.indisready,
    unique: !!x.indisunique,
  };
}

/** The backend still building index `indexOid` (CREATE INDEX CONCURRENTLY in progress), or null. */
export async function indexBuilder(db: Queryable, indexOid: number): Promise<{ pid: number; phase: string } | null> {
  const r = await db.query<{ pid: number; phase: string }>(
    `SELECT pid, phase FROM pg_stat_progress_create_index WHERE index_relid = $1::int8::oid LIMIT 1`,
    [indexOid],
  );
  return r.rows[0] ?? null;
}

/** A constraint on a table. */
export interface ConstraintState {
  /** `c` check, `f` foreign key, `u` unique, `p` primary key, `n` not null (PostgreSQL 18). */
  type: string;
  validated: boolean;
  definition: string;
}

/** The constraint named `name` on the table, or null. */
export async function findConstraint(db: Queryable, tableOid: number, name: string): Promise<ConstraintState | null> {
  const r = await db.query<{ contype: string; convalidated: boolean; def: string }>(
    `SELECT contype::text AS contype, convalidated, pg_get_constraintdef(oid) AS def
       FROM pg_constraint WHERE conrelid = $1::int8::oid AND conname = $2`,
    [tableOid, name],
  );
  const x = r.rows[0];
  return x ? { type: x.contype, validated: x.convalidated, definition: x.def } : null;
}

/** A column: its type as written by PostgreSQL, the type under any domain, and nullability. */
export interface ColumnState {
  type: string;
  typeOid: number;
  baseTypeOid: number;
  baseType: string;
  notNull: boolean;
}

/** The type under any domains (a domain over uuid → uuid). */
export async function baseTypeOf(db: Queryable, typeOid: number): Promise<{ oid: number; name: string }> {
  const r = await db.query<{ base: string }>(
    `WITH RECURSIVE d(oid, depth) AS (
       SELECT $1::int8::oid, 0
       UNION ALL SELECT t.typbasetype, d.depth + 1 FROM d JOIN pg_type t ON t.oid = d.oid WHERE t.typtype = 'd' AND d.depth < 20)
     SELECT oid::int8 AS base FROM d ORDER BY depth DESC LIMIT 1`,
    [typeOid],
  );
  const oid = Number(r.rows[0].base);
  const n = await db.query<{ name: string }>(`SELECT format_type($1::int8::oid, NULL) AS name`, [oid]);
  return { oid, name: n.rows[0].name };
}

/** The column, or null when the table or column does not exist. */
export async function findColumn(db: Queryable, tableOid: number, column: string): Promise<ColumnState | null> {
  const r = await db.query<{ type: string; atttypid: string; attnotnull: boolean }>(
    `SELECT format_type(atttypid, atttypmod) AS type, atttypid::int8 AS atttypid, attnotnull
       FROM pg_attribute WHERE attrelid = $1::int8::oid AND attname = $2 AND attnum > 0 AND NOT attisdropped`,
    [tableOid, column],
  );
  const x = r.rows[0];
  if (!x) return null;
  const base = await baseTypeOf(db, Number(x.atttypid));
  return {
    type: x.type,
    typeOid: Number(x.atttypid),
    baseTypeOid: base.oid,
    baseType: base.name,
    notNull: x.attnotnull,
  };
}

/** The type a SQL type name denotes (`uuid`, `varchar(36)`, `"MyEnum"`), under any domain; null when unknown. */
export async function resolveTypeName(db: Queryable, typeText: string): Promise<{ oid: number; name: string } | null> {
  let oid: string | null;
  try {
    oid = (await db.query<{ oid: string | null }>(`SELECT to_regtype($1)::int8 AS oid`, [typeText])).rows[0].oid;
  } catch {
    return null; // not a bare type name (e.g. it carries COLLATE): PostgreSQL decides when it runs
  }
  return oid == null ? null : baseTypeOf(db, Number(oid));
}

/**
 * True when a foreign key from a column of type `a` to one of type `b` can be created, as PostgreSQL
 * decides it (ATAddForeignKeyConstraint): the same type under any domain, types binary-coercible both
 * ways (varchar ↔ text), or — in the btree operator family of `b`'s default operator class — an
 * equality operator between `b` and `a` (integer → bigint, timestamp → timestamptz), or an implicit
 * cast from `a` to `b`'s operator class type (integer → numeric). text → uuid has none of these.
 * Pass base types ({@link baseTypeOf}).
 */
export async function typesMatch(db: Queryable, a: number, b: number): Promise<boolean> {
  if (a === b) return true;
  const r = await db.query<{ ok: boolean }>(
    `WITH opc AS (
       SELECT c.opcfamily, c.opcintype FROM pg_opclass c JOIN pg_am am ON am.oid = c.opcmethod
        WHERE am.amname = 'btree' AND c.opcdefault
          AND (c.opcintype = $2::int8::oid OR EXISTS (SELECT 1 FROM pg_cast WHERE castsource = $2::int8::oid AND casttarget = c.opcintype AND castmethod = 'b'))
        ORDER BY c.opcintype = $2::int8::oid DESC LIMIT 1),
     eq(l, r) AS (SELECT o.amoplefttype, o.amoprighttype FROM pg_amop o JOIN opc ON o.amopfamily = opc.opcfamily WHERE o.amopstrategy = 3)
     SELECT (EXISTS (SELECT 1 FROM pg_cast WHERE castsource = $1::int8::oid AND casttarget = $2::int8::oid AND castmethod = 'b')
             AND EXISTS (SELECT 1 FROM pg_cast WHERE castsource = $2::int8::oid AND casttarget = $1::int8::oid AND castmethod = 'b'))
         OR EXISTS (SELECT 1 FROM opc
                     WHERE (EXISTS (SELECT 1 FROM eq WHERE l = opc.opcintype AND r = $1::int8::oid) AND EXISTS (SELECT 1 FROM eq WHERE l = $1::int8::oid AND r = $1::int8::oid))
                        OR opc.opcintype = $1::int8::oid
                        OR EXISTS (SELECT 1 FROM pg_cast WHERE castsource = $1::int8::oid AND casttarget = opc.opcintype AND castcontext = 'i')) AS ok`,
    [a, b],
  );
  return r.rows[0].ok;
}

/** True when the table holds at least one row (stops at the first one it finds). */
export async function hasRows(db: Queryable, table: RelationName): Promise<boolean> {
  const r = await db.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${quoteRelation(table)}) AS any`);
  return r.rows[0].any;
}

/** A type by name: its oid, kind (`e` enum…) and, for an enum, its labels in order. */
export async function findType(
  db: Queryable,
  name: RelationName,
): Promise<{ oid: number; typtype: string; labels: string[] } | null> {
  const r = await db.query<{ oid: string; typtype: string }>(
    `SELECT t.oid::int8 AS oid, t.typtype::text AS typtype FROM pg_type t WHERE t.oid = to_regtype($1)`,
    [quoteRelation(name)],
  );
  const x = r.rows[0];
  if (!x) return null;
  const labels = await db.query<{ enumlabel: string }>(
    `SELECT enumlabel FROM pg_enum WHERE enumtypid = $1::int8::oid ORDER BY enumsortorder`,
    [Number(x.oid)],
  );
  return { oid: Number(x.oid), typtype: x.typtype, labels: labels.rows.map((l) => l.enumlabel) };
}

/** The installed version of an extension, or null. */
export async function extensionVersion(db: Queryable, name: string): Promise<string | null> {
  const r = await db.query<{ extversion: string }>(`SELECT extversion FROM pg_extension WHERE extname = $1`, [name]);
  return r.rows[0]?.extversion ?? null;
}

/** Whether an extension can be installed here at all (its control file is on the server). */
export async function extensionAvailable(db: Queryable, name: string): Promise<boolean> {
  const r = await db.query(`SELECT 1 FROM pg_available_extensions WHERE name = $1`, [name]);
  return (r.rowCount ?? 0) > 0;
}
