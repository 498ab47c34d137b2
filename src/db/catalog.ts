/**
 * Catalog lookups shared by steps and checks. A relation is found once, by {@link resolveRelation},
 * the way PostgreSQL resolves a user-written name (search_path when unqualified); the other
 * lookups take that name or the oid it resolved to. Callers that need more (quoted forms, index
 * flags) compute it from the one {@link Relation} shape.
 */

import type { RelationName } from '../model/plan.js';
import { type QualifiedName, quoteIdent, quoteRelation } from '../sql/ident.js';
import type { Queryable } from './connection.js';

/** A relation as the catalog has it. */
export interface Relation {
  oid: number;
  /** The real schema (from the catalog, also when the name was unqualified). */
  schema: string;
  name: string;
  /** `pg_class.relkind`: `r` table, `p` partitioned table, `v` view, `i` index… */
  kind: string;
}

/** A table: a relation name or the oid it resolved to. */
export type TableArg = RelationName | number;

/** `to_regclass($1)` for a name, `$1::int8::oid` for an oid, with the parameter. */
function regclass(table: TableArg): [sql: string, param: string | number] {
  return typeof table === 'number' ? ['$1::int8::oid', table] : ['to_regclass($1)', quoteRelation(table)];
}

/** The relation, or null when it does not exist. */
export async function resolveRelation(db: Queryable, rel: RelationName | QualifiedName): Promise<Relation | null> {
  const r = await db.query<{ oid: string; nspname: string; relname: string; relkind: string }>(
    `SELECT c.oid::int8 AS oid, n.nspname, c.relname, c.relkind::text AS relkind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.oid = to_regclass($1)`,
    [quoteRelation(rel)],
  );
  const x = r.rows[0];
  return x ? { oid: Number(x.oid), schema: x.nspname, name: x.relname, kind: x.relkind } : null;
}

/** `"schema"."name"` of a resolved relation: always qualified, for DDL on it. */
export function qualifiedSql(r: Pick<Relation, 'schema' | 'name'>): string {
  return `${quoteIdent(r.schema)}.${quoteIdent(r.name)}`;
}

/** A key column: its name and its SQL type (`format_type`, with typmod), for casting text cursors back. */
export interface KeyColumn {
  name: string;
  type: string;
}

/** Primary key columns in key order with their types, or [] when the table has none. */
export async function primaryKeyColumns(db: Queryable, table: TableArg): Promise<KeyColumn[]> {
  const [rel, param] = regclass(table);
  const r = await db.query<{ attname: string; type: string }>(
    `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_index i
       JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = ${rel} AND i.indisprimary
      ORDER BY k.ord`,
    [param],
  );
  return r.rows.map((x) => ({ name: x.attname, type: x.type }));
}

/** Column info: name → formatted type (with typmod), nullability, default; in column order. */
export async function columnsOf(
  db: Queryable,
  table: TableArg,
): Promise<Map<string, { type: string; notNull: boolean; hasDefault: boolean }>> {
  const [rel, param] = regclass(table);
  const r = await db.query<{ attname: string; type: string; attnotnull: boolean; atthasdef: boolean }>(
    `SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull, atthasdef
       FROM pg_attribute WHERE attrelid = ${rel} AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [param],
  );
  return new Map(r.rows.map((x) => [x.attname, { type: x.type, notNull: x.attnotnull, hasDefault: x.atthasdef }]));
}

/** Planner's row estimate (reltuples), or null when never analyzed. */
export async function estimatedRows(db: Queryable, table: TableArg): Promise<number | null> {
  const [rel, param] = regclass(table);
  const r = await db.query<{ n: number | null }>(`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = ${rel}`, [
    param,
  ]);
  const n = r.rows[0]?.n;
  return n == null || n < 0 ? null : Math.round(n);
}
