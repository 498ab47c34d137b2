/**
 * What `op.renameColumn` reads from the catalog: the table (kind, inheritance), its columns by
 * name, the unique indexes that hold the column (repeated on the copy so `ON CONFLICT` infers
 * through either name), and the other triggers a plan should know about. See
 * docs/steps/rename-column.md.
 */
import type { Queryable } from '../db/connection.js';
import type { Action } from '../kind/step-kind.js';
import { quoteIdent } from '../sql/ident.js';
import { copyIndexName } from './rename-column-sql.js';

/** A column as the rename needs it. */
export interface PairColumn {
  attnum: number;
  /** format_type, plus ` COLLATE "x"` when the collation is not the type's default. */
  type: string;
  generated: boolean;
}

/** The table and the columns under the names a rename uses. */
export interface PairState {
  oid: number;
  schema: string;
  name: string;
  relkind: string;
  /** It inherits or is inherited (including partitions). */
  inheritance: boolean;
  columns: Map<string, PairColumn>;
}

/** The table and its columns named `names`, or null when the table does not exist. */
export async function pairState(db: Queryable, tableOid: number, names: string[]): Promise<PairState | null> {
  const t = await db.query<{ nspname: string; relname: string; relkind: string; inh: boolean }>(
    `SELECT n.nspname, c.relname, c.relkind::text AS relkind,
            c.relhassubclass OR EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = c.oid) AS inh
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1::int8::oid`,
    [tableOid],
  );
  const x = t.rows[0];
  if (!x) return null;
  const cols = await db.query<{ attname: string; attnum: number; type: string; coll: string | null; gen: boolean }>(
    `SELECT a.attname, a.attnum, format_type(a.atttypid, a.atttypmod) AS type,
            CASE WHEN a.attcollation <> 0 AND a.attcollation <> ty.typcollation
                 THEN (SELECT quote_ident(nspname) || '.' || quote_ident(collname) FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) END AS coll,
            a.attgenerated <> '' AS gen
       FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
      WHERE a.attrelid = $1::int8::oid AND a.attname = ANY($2::text[]) AND a.attnum > 0 AND NOT a.attisdropped`,
    [tableOid, names],
  );
  return {
    oid: tableOid,
    schema: x.nspname,
    name: x.relname,
    relkind: x.relkind,
    inheritance: x.inh,
    columns: new Map(
      cols.rows.map((c) => [
        c.attname,
        { attnum: c.attnum, type: c.coll ? `${c.type} COLLATE ${c.coll}` : c.type, generated: c.gen },
      ]),
    ),
  };
}

/** A unique index of the real column, and the build of its copy on the other column. */
export interface CopyIndex {
  index: string;
  name: string;
  create: Action;
}

/** The unique indexes that hold `real`: repeated on `compat` when plain columns; the rest are listed. */
export async function uniqueIndexes(
  db: Queryable,
  tableOid: number,
  real: string,
  compat: string,
): Promise<{ copies: CopyIndex[]; skipped: string[] }> {
  const r = await db.query<{ relname: string; def: string; plain: boolean; qreal: string }>(
    `SELECT c.relname, pg_get_indexdef(i.indexrelid) AS def, i.indexprs IS NULL AND i.indpred IS NULL AS plain, quote_ident($2) AS qreal
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attname = $2
      WHERE i.indrelid = $1::int8::oid AND i.indisunique AND a.attnum = ANY(i.indkey::int2[])
      ORDER BY 1`,
    [tableOid, real],
  );
  const copies: CopyIndex[] = [];
  const skipped: string[] = [];
  for (const x of r.rows) {
    const name = copyIndexName(x.relname);
    const sql = x.plain ? copyDefinition(x.def, name, x.qreal, quoteIdent(compat)) : null;
    if (!sql) {
      skipped.push(x.relname);
      continue;
    }
    copies.push({
      index: x.relname,
      name,
      create: { sql, lock: 'SHARE UPDATE EXCLUSIVE', transaction: false, note: 'blocks neither reads nor writes' },
    });
  }
  return { copies, skipped };
}

/**
 * `CREATE UNIQUE INDEX CONCURRENTLY <name> …` from an index's definition, its column `qreal` (as
 * quote_ident prints it) replaced by `qcompat` in the key and INCLUDE lists; null when the text is
 * not the shape pg_get_indexdef gives a plain-column index.
 */
export function copyDefinition(def: string, name: string, qreal: string, qcompat: string): string | null {
  const head = /^CREATE UNIQUE INDEX (?:"(?:[^"]|"")+"|\S+) ON /.exec(def);
  if (!head) return null;
  let rest = def.slice(head[0].length);
  const using = rest.indexOf(' USING ');
  if (using < 0) return null;
  const out: string[] = [];
  let i = rest.indexOf('(', using);
  let lists = 0;
  while (i >= 0 && lists < 2) {
    const end = closing(rest, i);
    if (end < 0) return null;
    const elems = split(rest.slice(i + 1, end)).map((e) =>
      e === qreal || e.startsWith(`${qreal} `) ? qcompat + e.slice(qreal.length) : e,
    );
    out.push(rest.slice(0, i + 1), elems.join(', '), ')');
    rest = rest.slice(end + 1);
    lists++;
    i = rest.startsWith(' INCLUDE (') ? rest.indexOf('(') : -1;
  }
  return `CREATE UNIQUE INDEX CONCURRENTLY ${quoteIdent(name)} ON ${out.join('')}${rest}`;
}

/** The index of the `)` closing the `(` at `open`, skipping quoted names and literals. */
function closing(s: string, open: number): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < s.length; i++) {
    const ch = s[i];
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  return -1;
}

/** Split a list on its top-level `, `. */
function split(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(s.slice(start).trim());
  return out;
}

/** Other triggers on the table (a PL/pgSQL body names columns by name: it sees the copy under the old name). */
export async function otherTriggers(db: Queryable, tableOid: number, ours: string): Promise<string[]> {
  const r = await db.query<{ tgname: string }>(
    `SELECT tgname FROM pg_trigger WHERE tgrelid = $1::int8::oid AND NOT tgisinternal AND tgname <> $2 ORDER BY 1`,
    [tableOid, ours],
  );
  return r.rows.map((x) => x.tgname);
}
