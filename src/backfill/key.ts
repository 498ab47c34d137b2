/**
 * Key discovery: the columns a backfill walks in order. The primary key by default; a given `key`
 * must match a valid, non-partial unique index whose columns are all NOT NULL. A table with neither
 * is refused with the reason (and the candidates it does have).
 */
import { columnsOf, qualifiedSql, type Relation, resolveRelation } from '../db/catalog.js';
import type { Queryable } from '../db/connection.js';
import type { RelationName } from '../model/plan.js';
import { displayRelation, quoteRelation } from '../sql/ident.js';

/** The key a backfill walks: columns in index order with the types their cursor values are cast to. */
export interface KeyInfo {
  columns: string[];
  /** Base type of each column (no typmod), e.g. `bigint`, `text`, `timestamp with time zone`. */
  types: string[];
  /** The index that makes the walk cheap. */
  index: string;
}

/** The resolved table (db/catalog.ts) with the quoted forms a backfill's SQL uses. */
export interface TableInfo extends Relation {
  /** How SQL names it, as the user wrote it (unqualified stays unqualified, so `"T"."col"` resolves). */
  sql: string;
  /** Always schema-qualified, for DDL on it (triggers). */
  qualified: string;
  display: string;
}

/** A problem with the key, phrased for the user; `field` names the option to change. */
export class KeyProblem extends Error {
  constructor(
    message: string,
    readonly field: string = 'key',
  ) {
    super(message);
  }
}

/** Resolve a table or return null when it does not exist. */
export async function resolveTable(db: Queryable, rel: RelationName): Promise<TableInfo | null> {
  const r = await resolveRelation(db, rel);
  return r && { ...r, sql: quoteRelation(rel), qualified: qualifiedSql(r), display: displayRelation(rel) };
}

/** A stand-in for a table that does not exist yet (a pending step creates it), for `tidemark plan`. */
export function standInTable(rel: RelationName): TableInfo {
  const sql = quoteRelation(rel);
  const name = typeof rel === 'string' ? rel.split('.').pop()! : rel.name;
  return { oid: 0, schema: 'public', name, kind: 'r', sql, qualified: sql, display: displayRelation(rel) };
}

interface IndexRow {
  name: string;
  primary: boolean;
  cols: string[];
  types: string[];
  notnull: boolean[];
}

async function uniqueIndexes(db: Queryable, oid: number): Promise<IndexRow[]> {
  const r = await db.query<IndexRow>(
    `SELECT ic.relname AS name, i.indisprimary AS primary,
            array_agg(a.attname::text ORDER BY k.ord) AS cols,
            array_agg(format_type(a.atttypid, NULL) ORDER BY k.ord) AS types,
            array_agg(a.attnotnull ORDER BY k.ord) AS notnull
       FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON k.ord <= i.indnkeyatts
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = $1 AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
      GROUP BY ic.relname, i.indisprimary, i.indexrelid
      ORDER BY i.indisprimary DESC, count(*), ic.relname`,
    [oid],
  );
  return r.rows;
}

/**
 * The key to walk. With `given`, its columns must be exactly those of a unique index (their order
 * follows the index) and NOT NULL; without, the primary key. Throws {@link KeyProblem}.
 */
export async function resolveKey(db: Queryable, table: TableInfo, given?: readonly string[]): Promise<KeyInfo> {
  const indexes = await uniqueIndexes(db, table.oid);
  const usable = indexes.filter((i) => i.notnull.every(Boolean));
  const candidates = () =>
    usable.length
      ? `; usable unique keys: ${usable.map((i) => `[${i.cols.map((c) => `'${c}'`).join(', ')}]`).join(', ')}`
      : '';
  if (!given) {
    const pk = indexes.find((i) => i.primary);
    if (pk) return { columns: pk.cols, types: pk.types, index: pk.name };
    throw new KeyProblem(
      `table ${table.display} has no primary key, so there is no key to walk in order; give \`key\` naming NOT NULL columns with a unique index${candidates()}`,
    );
  }
  const existing = new Set((await columnsOf(db, table.oid)).keys());
  const missing = given.filter((c) => !existing.has(c));
  if (missing.length)
    throw new KeyProblem(`table ${table.display} has no column ${missing.map((c) => `"${c}"`).join(', ')}`);
  const want = [...given].sort().join('\u0000');
  const same = indexes.filter((i) => [...i.cols].sort().join('\u0000') === want);
  if (!same.length) {
    throw new KeyProblem(
      `no unique index on (${given.join(', ')}) of ${table.display}: a key must identify each row (add one with op.addUnique)${candidates()}`,
    );
  }
  const exact = same.find((i) => i.cols.join('\u0000') === given.join('\u0000')) ?? same[0];
  const nullable = exact.cols.filter((_, i) => !exact.notnull[i]);
  if (nullable.length) {
    throw new KeyProblem(
      `key column ${nullable.map((c) => `"${c}"`).join(', ')} of ${table.display} is nullable: rows with a NULL key cannot be walked (make it NOT NULL with op.setNotNull)${candidates()}`,
    );
  }
  return { columns: exact.cols, types: exact.types, index: exact.name };
}

/** Column name → type (with typmod, as `format_type` prints it) of a table. */
export async function columnTypes(db: Queryable, oid: number): Promise<Map<string, string>> {
  return new Map([...(await columnsOf(db, oid))].map(([name, c]) => [name, c.type]));
}
