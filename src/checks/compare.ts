/**
 * Comparing values of possibly different types. Checks work on any column type: when two sides do
 * not share a type family PostgreSQL can compare directly (an enum against text, a uuid against
 * varchar), both are compared as text. Types come from the catalog, never from guessing.
 */

import { resolveRelation } from '../db/catalog.js';
import type { Queryable } from '../db/connection.js';
import type { RelationName } from '../model/plan.js';
import { displayRelation, quoteRelation } from '../sql/ident.js';

/** A column's type: oid, readable name and `pg_type.typcategory` (N numeric, S string, E enum, …). */
export interface ColumnType {
  oid: number;
  name: string;
  category: string;
}

/**
 * A table or column a check names does not exist. Evaluated, the check could not run (its message
 * says which); described by `tidemark plan`, it is a note (an earlier step may create it).
 */
export class MissingObjectError extends Error {}

/** Types of the named columns of a table; throws a {@link MissingObjectError} when the table or a column is missing. */
export async function columnTypes(
  db: Queryable,
  table: RelationName,
  columns: readonly string[],
): Promise<Map<string, ColumnType>> {
  if (!(await resolveRelation(db, table)))
    throw new MissingObjectError(`table "${displayRelation(table)}" does not exist`);
  const cols = await db.query<{ attname: string; oid: number; name: string; category: string }>(
    `SELECT a.attname, a.atttypid::int AS oid, format_type(a.atttypid, a.atttypmod) AS name, t.typcategory AS category
       FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped AND a.attname = ANY($2::text[])`,
    [quoteRelation(table), columns],
  );
  const out = new Map(cols.rows.map((c) => [c.attname, { oid: c.oid, name: c.name, category: c.category }]));
  const missing = columns.filter((c) => !out.has(c));
  if (missing.length)
    throw new MissingObjectError(
      `table "${displayRelation(table)}" has no column ${missing.map((m) => `"${m}"`).join(', ')}`,
    );
  return out;
}

/** The type category of a type oid. */
export async function typeCategory(db: Queryable, oid: number): Promise<string> {
  const r = await db.query<{ c: string }>(`SELECT typcategory AS c FROM pg_type WHERE oid = $1`, [oid]);
  return r.rows[0]?.c ?? 'X';
}

/** Families whose members PostgreSQL compares with one another directly. */
const COMPARABLE = new Set(['N', 'S', 'D', 'B', 'T']);

/** True when values of the two types can be compared as they are (same type, or same comparable family). */
export function directlyComparable(
  a: { oid: number; category: string },
  b: { oid: number; category: string },
): boolean {
  return a.oid === b.oid || (a.category === b.category && COMPARABLE.has(a.category));
}

/** `a = b`, or `a::text = b::text` when the types need it. */
export function eq(a: string, b: string, direct: boolean): string {
  return direct ? `${a} = ${b}` : `${a}::text = ${b}::text`;
}

/** True when a single-column unique index without predicate covers `column` (so it holds no duplicates). */
export async function isUniqueColumn(db: Queryable, table: RelationName, column: string): Promise<boolean> {
  const r = await db.query<{ ok: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
        WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indnkeyatts = 1 AND i.indpred IS NULL AND a.attname = $2
     ) AS ok`,
    [quoteRelation(table), column],
  );
  return r.rows[0].ok;
}
