/**
 * `op.changeType`'s planning, read from the catalog: the column and the type it gets (normalised by
 * PostgreSQL itself), whether the change is binary-coercible (then it runs in place, without a
 * rewrite), the foreign-key columns that reference it (converted with it, or kept), its owned
 * sequence or identity, and every reason to refuse — all at once — before anything is written
 * (docs/steps/change-type.md).
 */
import type { KeyColumn } from '../db/catalog.js';
import { estimatedRows, primaryKeyColumns } from '../db/catalog.js';
import type { Db, Queryable } from '../db/connection.js';
import type { RelationName } from '../model/plan.js';
import { quoteIdent } from '../sql/ident.js';
import {
  type ColumnDef,
  type ColumnDependents,
  type ConstraintDef,
  columnDef,
  columnDependents,
  constraintDef,
  type RelationRef,
  refOf,
  resolveRef,
} from './archive-catalog.js';

/** Options of `op.changeType`. */
export interface ChangeTypeOptions {
  id: string;
  table: RelationName;
  column: string;
  type: string;
  using?: string;
  reverseUsing?: string;
  references?: 'convert' | 'keep';
}

/** A type as PostgreSQL names it, with its oid and modifier. */
export interface TypeRef {
  /** `format_type`, e.g. `bigint`, `character varying(40)`. */
  sql: string;
  oid: number;
  typmod: number;
}

/** One column converted: the target, or a foreign-key column that references it. */
export interface Member {
  table: RelationRef;
  column: ColumnDef;
  key: KeyColumn[];
  deps: ColumnDependents;
  /** This column's foreign keys to the target (children only). */
  fks: ConstraintDef[];
}

/** The owned sequence (serial) or identity behind the column's default. */
export interface OwnedSequence {
  /** Quoted, schema-qualified. */
  sql: string;
  display: string;
  /** `integer`, `bigint`… */
  type: string;
}

/** Everything a type change needs to know. */
export interface TypeChange {
  target: Member;
  /** Referencing columns converted with it (`references: 'convert'`). */
  children: Member[];
  /** Foreign keys into the column that are left on their old type (`references: 'keep'`): re-created around the swap. */
  kept: { table: RelationRef; fk: ConstraintDef }[];
  from: TypeRef;
  to: TypeRef;
  /** The column already has the new type. */
  converted: boolean;
  /** Binary-coercible: in place, no rewrite. */
  inPlace: boolean;
  sequence: OwnedSequence | null;
  /** Estimated rows of every table the fill walks. */
  rows: number;
  problems: string[];
}

const TYPE_SHAPE = /^[A-Za-z_][A-Za-z0-9_ ."]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])?$/;

/** The type as PostgreSQL names it, or an error message (nothing is kept: the probe rolls back). */
export async function resolveType(db: Db, type: string): Promise<TypeRef | string> {
  if (!TYPE_SHAPE.test(type.trim())) return `"${type}" is not a type name`;
  return db.withClient(async (c) => {
    await c.query('BEGIN');
    try {
      // The type text passed the shape test above (a name, an optional modifier): it cannot end the statement.
      await c.query(`CREATE TEMP TABLE ${quoteIdent('tidemark_type_probe')} (x ${type}) ON COMMIT DROP`);
      const r = await c.query<{ sql: string; oid: string; typmod: number }>(
        `SELECT format_type(atttypid, atttypmod) AS sql, atttypid::int8 AS oid, atttypmod AS typmod FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'x'`,
        ['tidemark_type_probe'],
      );
      return { sql: r.rows[0].sql, oid: Number(r.rows[0].oid), typmod: r.rows[0].typmod };
    } catch (e) {
      return `type "${type}" does not exist or is not valid: ${(e as Error).message}`;
    } finally {
      await c.query('ROLLBACK').catch(() => undefined);
    }
  });
}

async function typeOfColumn(q: Queryable, table: number, attnum: number): Promise<TypeRef> {
  const r = await q.query<{ sql: string; oid: string; typmod: number }>(
    `SELECT format_type(atttypid, atttypmod) AS sql, atttypid::int8 AS oid, atttypmod AS typmod FROM pg_attribute WHERE attrelid = $1 AND attnum = $2`,
    [table, attnum],
  );
  return { sql: r.rows[0].sql, oid: Number(r.rows[0].oid), typmod: r.rows[0].typmod };
}

/**
 * True when PostgreSQL changes the type without touching a row or an index: a binary-coercible
 * cast (`varchar` → `text`) with a modifier that only widens (a longer `varchar`, `numeric(p,s)`
 * → `numeric` or a larger precision at the same scale), or none. The run proves it (relfilenode).
 */
export async function binaryCoercible(q: Queryable, from: TypeRef, to: TypeRef): Promise<boolean> {
  if (from.oid !== to.oid) {
    const r = await q.query(`SELECT 1 FROM pg_cast WHERE castsource = $1 AND casttarget = $2 AND castmethod = 'b'`, [
      from.oid,
      to.oid,
    ]);
    if (!r.rows.length) return false;
    // A different type keeps its values only without a new limit (text → varchar unbounded, varchar → text).
    return to.typmod === -1;
  }
  if (to.typmod === -1) return true;
  if (from.typmod === -1) return false;
  const name = await q.query<{ t: string }>(`SELECT typname AS t FROM pg_type WHERE oid = $1`, [to.oid]);
  const t = name.rows[0]?.t;
  if (t === 'varchar') return to.typmod >= from.typmod;
  if (t === 'numeric') {
    const p = (m: number) => ((m - 4) >> 16) & 0xffff;
    const s = (m: number) => (m - 4) & 0xffff;
    return s(from.typmod) === s(to.typmod) && p(to.typmod) >= p(from.typmod);
  }
  return to.typmod === from.typmod;
}

async function member(q: Queryable, table: RelationRef, column: ColumnDef, fks: ConstraintDef[]): Promise<Member> {
  return {
    table,
    column,
    key: await primaryKeyColumns(q, table.oid),
    deps: await columnDependents(q, table.oid, column.attnum),
    fks,
  };
}

/** Why a member cannot be converted through a shadow column (all reasons). */
function memberProblems(m: Member, role: 'target' | 'child', ownTriggers: string[], sequence: string | null): string[] {
  const where = `${m.table.display}.${m.column.name}`;
  const out: string[] = [];
  if (!m.key.length) out.push(`${where}: the table has no primary key (the fill walks it by key ranges)`);
  if (m.column.generated) out.push(`${where} is a generated column`);
  if (m.column.identity)
    out.push(`${where} is an identity column (not supported yet: convert a serial key, or drop the identity first)`);
  if (m.deps.views.length)
    out.push(`${where}: views or rules read it: ${m.deps.views.join(', ')} (drop and recreate them around the change)`);
  if (role === 'child' && m.deps.referencedBy.length)
    out.push(`${where}: foreign keys reference it in turn: ${m.deps.referencedBy.join(', ')}`);
  for (const con of m.deps.constraints) {
    if (con.type === 'x') out.push(`${where}: exclusion constraint "${con.name}" uses it`);
    if (con.type === 'f' && !m.fks.some((f) => f.oid === con.oid))
      out.push(`${where}: foreign key "${con.name}" uses it (it references another table)`);
    if ((con.type === 'u' || con.type === 'p') && con.columns.length && !con.index)
      out.push(`${where}: constraint "${con.name}" has no index to rebuild`);
  }
  const others = m.deps.others.filter(
    (d) =>
      !ownTriggers.some((t) => d.startsWith(`trigger ${t} on `)) &&
      !(sequence && (d === `sequence ${sequence}` || d === `sequence ${sequence.split('.').pop()}`)),
  );
  if (others.length)
    out.push(
      `${where}: other objects depend on it: ${others.join(', ')} (policies, triggers with column lists, statistics: drop them around the change)`,
    );
  return out;
}

/** The owned sequence of a column (serial or identity), or null. */
async function ownedSequence(q: Queryable, table: RelationRef, column: string): Promise<OwnedSequence | null> {
  const r = await q.query<{ seq: string | null }>(`SELECT pg_get_serial_sequence($1, $2) AS seq`, [table.sql, column]);
  const seq = r.rows[0]?.seq;
  if (!seq) return null;
  const s = await q.query<{ schema: string; name: string; type: string }>(
    `SELECT n.nspname AS schema, c.relname AS name, format_type(s.seqtypid, NULL) AS type
       FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE s.seqrelid = $1::regclass`,
    [seq],
  );
  const x = s.rows[0];
  return { sql: `${quoteIdent(x.schema)}.${quoteIdent(x.name)}`, display: `${x.schema}.${x.name}`, type: x.type };
}

/** The shadow triggers this operation may have left (both directions), which are not "other objects". */
export type OwnTriggers = (m: { table: RelationRef; column: ColumnDef }) => string[];

/** Read the change; null when the table or the column does not exist. `to` is the resolved new type. */
export async function planTypeChange(
  q: Queryable,
  o: ChangeTypeOptions,
  to: TypeRef,
  own: OwnTriggers,
): Promise<TypeChange | null> {
  const table = await resolveRef(q, o.table);
  if (!table) return null;
  const column = await columnDef(q, table.oid, o.column);
  if (!column) return null;
  const target = await member(q, table, column, []);
  const from = await typeOfColumn(q, table.oid, column.attnum);
  const converted = from.oid === to.oid && from.typmod === to.typmod;
  const problems: string[] = [];
  const sequence = await ownedSequence(q, table, column.name);
  // Foreign keys into the column, grouped by referencing column.
  const refs = await q.query<{ oid: string; conrelid: string; attname: string; n: number }>(
    `SELECT c.oid::int8 AS oid, c.conrelid::int8 AS conrelid, a.attname, array_length(c.confkey, 1) AS n
       FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
      WHERE c.contype = 'f' AND c.confrelid = $1 AND $2 = ANY (c.confkey)
      ORDER BY c.conrelid, a.attname, c.conname`,
    [table.oid, column.attnum],
  );
  const children: Member[] = [];
  const kept: TypeChange['kept'] = [];
  for (const r of refs.rows) {
    const fk = await constraintDef(q, Number(r.oid));
    const rel = await q.query<{ schema: string; name: string; kind: string }>(
      `SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1`,
      [Number(r.conrelid)],
    );
    const childTable = refOf({ oid: Number(r.conrelid), ...rel.rows[0] });
    if (r.n > 1) {
      problems.push(`foreign key "${fk.name}" on ${childTable.display} spans several columns (not supported)`);
      continue;
    }
    if (Number(r.conrelid) === table.oid) {
      problems.push(`foreign key "${fk.name}" references its own table (not supported)`);
      continue;
    }
    if (o.references === 'keep') {
      kept.push({ table: childTable, fk });
      continue;
    }
    const existing = children.find((c) => c.table.oid === childTable.oid && c.column.name === r.attname);
    if (existing) existing.fks.push(fk);
    else {
      const cc = await columnDef(q, childTable.oid, r.attname);
      if (cc) children.push(await member(q, childTable, cc, [fk]));
    }
  }
  let inPlace = false;
  if (!converted) {
    inPlace = !o.using && (await binaryCoercible(q, from, to));
    if (!inPlace) {
      problems.push(...memberProblems(target, 'target', own(target), sequence?.display ?? null));
      for (const c of children) problems.push(...memberProblems(c, 'child', own(c), null));
    }
    if (target.deps.views.length && inPlace)
      problems.push(
        `${table.display}.${column.name}: views or rules read it: ${target.deps.views.join(', ')} (drop and recreate them around the change)`,
      );
  }
  let rows = 0;
  for (const m of [target, ...children])
    rows += Math.max(0, (await estimatedRows(q, { schema: m.table.schema, name: m.table.name })) ?? 0);
  return { target, children, kept, from, to, converted, inPlace, sequence, rows, problems };
}
