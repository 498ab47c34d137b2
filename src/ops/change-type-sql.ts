/**
 * The statements of `op.changeType`, built once and used both by `tidemark plan` (as actions) and
 * by the run (executed): the conversion function (`using` as SQL over the column: the function's
 * parameter has the column's name, so the expression needs no rewriting), one shadow conversion
 * per converted column (shadow-sql.ts), and the single swap transaction that carries the foreign
 * keys and the owned sequence across (docs/steps/change-type.md).
 */
import type { Action } from '../kind/step-kind.js';
import { sha256 } from '../sql/checksum.js';
import { generatedName, quoteIdent } from '../sql/ident.js';
import { dollarQuote } from '../sql/text.js';
import type { RelationRef } from './archive-catalog.js';
import type { Member, TypeChange, TypeRef } from './change-type-plan.js';
import { type ShadowSpec, type ShadowSql, shadowSql } from './shadow-sql.js';

/** The direction of a conversion: to the new type (`ct`) or back (`ctb`). */
export type Direction = 'ct' | 'ctb';

/** `"schema"."fn"` of the conversion function of a direction. */
export function conversionFunction(schema: string, c: Pick<TypeChange, 'target'>, dir: Direction): string {
  const name = generatedName([c.target.table.name, c.target.column.name], `${dir}_conv`, sha256);
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** `CREATE OR REPLACE FUNCTION fn("<column>" <from>) RETURNS <to> … SELECT (<using>)::<to>`. */
export function createConversion(fn: string, column: string, from: string, to: string, using?: string): string {
  const expr = using ?? quoteIdent(column);
  return `CREATE OR REPLACE FUNCTION ${fn}(${quoteIdent(column)} ${from}) RETURNS ${to} LANGUAGE sql IMMUTABLE AS ${dollarQuote(`SELECT (${expr})::${to}`)}`;
}

/** The shadow conversion of one member. */
export function memberSpec(m: Member, to: string, fn: string, functionSchema: string, dir: Direction): ShadowSpec {
  return {
    table: m.table,
    column: m.column,
    key: m.key,
    targetType: to,
    cast: (ref) => `${fn}(${ref})`,
    newDefault: m.column.default,
    indexes: m.deps.indexes,
    // Foreign keys are carried by the swap itself (dropped, re-created NOT VALID); shadow-sql.ts skips them.
    constraints: m.deps.constraints,
    functionSchema,
    tag: dir,
  };
}

/** Every member's shadow statements, the target first. */
export async function memberSql(
  c: TypeChange,
  to: TypeRef,
  fn: string,
  functionSchema: string,
  dir: Direction,
): Promise<{ member: Member; spec: ShadowSpec; q: ShadowSql }[]> {
  const out = [];
  for (const m of [c.target, ...c.children]) {
    const spec = memberSpec(m, to.sql, fn, functionSchema, dir);
    out.push({ member: m, spec, q: await shadowSql(spec) });
  }
  return out;
}

const notValid = (def: string) => `${def.replace(/\s+NOT VALID\s*$/, '')} NOT VALID`;

/** The integer types a sequence may have. */
const SEQUENCE_TYPES = new Set(['smallint', 'integer', 'bigint']);

/** The swap: one transaction, every table locked first, catalog changes only. */
export function swapActions(
  c: TypeChange,
  members: { member: Member; q: ShadowSql }[],
  to: TypeRef,
): { swap: Action[]; validate: string[] } {
  const tables: RelationRef[] = [c.target.table, ...c.children.map((m) => m.table)];
  for (const k of c.kept) if (!tables.some((t) => t.oid === k.table.oid)) tables.push(k.table);
  const swap: Action[] = [
    {
      sql: `LOCK TABLE ${[...new Set(tables.map((t) => t.sql))].join(', ')} IN ACCESS EXCLUSIVE MODE`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'one short transaction from here: catalog changes only',
    },
  ];
  const fks = [
    ...c.children.flatMap((m) => m.fks.map((fk) => ({ table: m.table, fk }))),
    ...c.kept.map((k) => ({ table: k.table, fk: k.fk })),
  ];
  for (const { table, fk } of fks)
    swap.push({
      sql: `ALTER TABLE ${table.sql} DROP CONSTRAINT ${quoteIdent(fk.name)}`,
      lock: 'ACCESS EXCLUSIVE',
      note: 're-created NOT VALID below, validated after the swap',
    });
  const seq = c.sequence;
  if (seq)
    swap.push({
      sql: `ALTER SEQUENCE ${seq.sql} OWNED BY NONE`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'kept: dropping the old column would drop the sequence it owns',
    });
  for (const { q } of members) swap.push(...q.swap.slice(1));
  if (seq) {
    if (SEQUENCE_TYPES.has(to.sql) && seq.type !== to.sql)
      swap.push({ sql: `ALTER SEQUENCE ${seq.sql} AS ${to.sql}`, lock: 'ACCESS EXCLUSIVE', note: 'catalog only' });
    swap.push({
      sql: `ALTER SEQUENCE ${seq.sql} OWNED BY ${c.target.table.sql}.${quoteIdent(c.target.column.name)}`,
      lock: 'ACCESS EXCLUSIVE',
    });
  }
  const validate: string[] = [];
  for (const { table, fk } of fks) {
    swap.push({
      sql: `ALTER TABLE ${table.sql} ADD CONSTRAINT ${quoteIdent(fk.name)} ${notValid(fk.def)}`,
      lock: 'SHARE ROW EXCLUSIVE',
      note: 'no scan; validated right after the swap',
    });
    if (fk.validated) validate.push(`ALTER TABLE ${table.sql} VALIDATE CONSTRAINT ${quoteIdent(fk.name)}`);
  }
  for (const { q } of members) validate.push(...q.validate);
  return { swap, validate };
}

/** The in-place change: one ALTER per converted column, in one transaction. */
export function inPlaceActions(c: TypeChange, to: TypeRef): Action[] {
  return [c.target, ...c.children].map((m) => ({
    sql: `ALTER TABLE ${m.table.sql} ALTER COLUMN ${quoteIdent(m.column.name)} TYPE ${to.sql}`,
    lock: 'ACCESS EXCLUSIVE',
    note: 'binary-coercible: catalog only, no rewrite (proven: relfilenode unchanged)',
  }));
}
