/**
 * Catalog lookups shared by steps and checks. All take a user-written relation name and resolve
 * it the way PostgreSQL would (search_path when unqualified).
 */

import type { RelationName } from '../model/plan.js';
import { quoteRelation } from '../sql/ident.js';
import type { Queryable } from './connection.js';

/** The table's oid, or null when it does not exist. */
export async function relationOid(db: Queryable, table: RelationName): Promise<number | null> {
  const r = await db.query<{ oid: number | null }>(`SELECT to_regclass($1)::oid AS oid`, [quoteRelation(table)]);
  return r.rows[0].oid == null ? null : Number(r.rows[0].oid);
}

/** Primary key columns in key order, or [] when the table has none. */
export async function primaryKeyColumns(db: Queryable, table: RelationName): Promise<string[]> {
  const r = await db.query<{ attname: string }>(
    `SELECT a.attname
       FROM pg_index i
       JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = to_regclass($1) AND i.indisprimary
      ORDER BY k.ord`,
    [quoteRelation(table)],
  );
  return r.rows.map((x) => x.attname);
}

/** Column info: name → formatted type, nullability. */
export async function columnsOf(
  db: Queryable,
  table: RelationName,
): Promise<Map<string, { type: string; notNull: boolean; hasDefault: boolean }>> {
  const r = await db.query<{ attname: string; type: string; attnotnull: boolean; atthasdef: boolean }>(
    `SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull, atthasdef
       FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [quoteRelation(table)],
  );
  return new Map(r.rows.map((x) => [x.attname, { type: x.type, notNull: x.attnotnull, hasDefault: x.atthasdef }]));
}

/** Planner's row estimate (reltuples), or null when never analyzed. */
export async function estimatedRows(db: Queryable, table: RelationName): Promise<number | null> {
  const r = await db.query<{ n: number | null }>(
    `SELECT reltuples::float8 AS n FROM pg_class WHERE oid = to_regclass($1)`,
    [quoteRelation(table)],
  );
  const n = r.rows[0]?.n;
  return n == null || n < 0 ? null : Math.round(n);
}
