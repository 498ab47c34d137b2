/**
 * The statements of a shadow-column type change, built once from a {@link ShadowSpec} and used
 * both by `tidemark plan` (as actions) and by the engine (executed): add the shadow column, a
 * BEFORE trigger keeping it equal to the converted value on every INSERT/UPDATE, a batched
 * backfill, each index rebuilt `CONCURRENTLY` on the shadow, a validated `CHECK (shadow IS NOT
 * NULL)` when the column is NOT NULL, then the swap in one short transaction.
 */

import type { KeyColumn } from '../db/catalog.js';
import type { Action } from '../kind/step-kind.js';
import { sha256 } from '../sql/checksum.js';
import { generatedName, quoteIdent } from '../sql/ident.js';
import { keyOf, rangeShown } from '../sql/key-range.js';
import { dollarQuote, quoteLiteral } from '../sql/text.js';
import type { ColumnDef, ConstraintDef, IndexDef, RelationRef } from './archive-catalog.js';
import { RANGE } from './archive-column-sql.js';
import { rewriteIndexDef } from './shadow-rewrite.js';

/** One type change through a shadow column. */
export interface ShadowSpec {
  table: RelationRef;
  /** The column as it is now. */
  column: ColumnDef;
  key: KeyColumn[];
  /** The SQL type the column gets, e.g. `"public"."lead_status"`. */
  targetType: string;
  /** The conversion of a value, given a reference to it (`NEW."status"`). */
  cast: (ref: string) => string;
  /** The default after the swap (SQL), or null. */
  newDefault: string | null;
  /** Indexes on the column (not backing a constraint). */
  indexes: IndexDef[];
  /** The column's check and unique constraints. */
  constraints: ConstraintDef[];
  /** Schema of the sync function (Tidemark's ledger schema). */
  functionSchema: string;
  /** Distinguishes the names of the two directions (`enum`, `back`). */
  tag: string;
}

/** Deterministic names: the shadow column, its trigger (sorted last among BEFORE triggers) and function, the NOT NULL check. */
export function shadowNames(s: Pick<ShadowSpec, 'table' | 'column' | 'tag'>) {
  const shadow = generatedName([s.column.name], `tm_${s.tag}`, sha256);
  return {
    shadow,
    trigger: generatedName(['zz_tm', s.column.name], `${s.tag}_sync`, sha256),
    function: generatedName([s.table.name, s.column.name], `${s.tag}_sync`, sha256),
    notNull: generatedName([s.table.name, shadow], 'nn', sha256),
    index: (name: string) => generatedName([name], `tm_${s.tag}`, sha256),
  };
}

/** A rebuilt index: the original and the statement building its shadow twin. */
export interface ShadowIndex {
  original: IndexDef;
  /** Name of the twin until the swap. */
  temp: string;
  create: string;
  /** Set for the index of a unique constraint. */
  constraint?: ConstraintDef;
}

/** Every statement of the conversion. */
export interface ShadowSql {
  names: ReturnType<typeof shadowNames>;
  addShadow: string;
  createFunction: string;
  createTrigger: string;
  /** One batch; the range placeholder is replaced by the batch's key range. */
  backfill: string;
  indexes: ShadowIndex[];
  addNotNull: string | null;
  validateNotNull: string | null;
  /** The swap, in order, in one transaction. */
  swap: Action[];
  /** After the swap: constraints to validate. */
  validate: string[];
  /** Undo a conversion that never swapped. */
  cleanup: string[];
}

function deferrable(c: ConstraintDef): string {
  return c.deferrable ? (c.deferred ? ' DEFERRABLE INITIALLY DEFERRED' : ' DEFERRABLE') : '';
}

/** Build the statements of a conversion. */
export async function shadowSql(s: ShadowSpec): Promise<ShadowSql> {
  const n = shadowNames(s);
  const t = s.table.sql;
  const col = quoteIdent(s.column.name);
  const sh = quoteIdent(n.shadow);
  const fn = `${quoteIdent(s.functionSchema)}.${quoteIdent(n.function)}`;
  const idxSchema = quoteIdent(s.table.schema);
  const indexes: ShadowIndex[] = [];
  for (const ix of s.indexes) {
    const temp = n.index(ix.name);
    indexes.push({ original: ix, temp, create: await rewriteIndexDef(ix.def, s.column.name, n.shadow, temp) });
  }
  for (const c of s.constraints) {
    if ((c.type === 'u' || c.type === 'p') && c.index) {
      const temp = n.index(c.index.name);
      indexes.push({
        original: c.index,
        temp,
        create: await rewriteIndexDef(c.index.def, s.column.name, n.shadow, temp),
        constraint: c,
      });
    }
  }
  const swap: Action[] = [
    {
      sql: `LOCK TABLE ${t} IN ACCESS EXCLUSIVE MODE`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'one short transaction from here: catalog changes only',
    },
    { sql: `DROP TRIGGER IF EXISTS ${quoteIdent(n.trigger)} ON ${t}`, lock: 'ACCESS EXCLUSIVE' },
    {
      sql: `ALTER TABLE ${t} DROP COLUMN ${col}`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'its old indexes and constraints go with it',
    },
    { sql: `ALTER TABLE ${t} RENAME COLUMN ${sh} TO ${col}`, lock: 'ACCESS EXCLUSIVE' },
  ];
  if (s.newDefault != null)
    swap.push({ sql: `ALTER TABLE ${t} ALTER COLUMN ${col} SET DEFAULT ${s.newDefault}`, lock: 'ACCESS EXCLUSIVE' });
  if (s.column.notNull) {
    swap.push({
      sql: `ALTER TABLE ${t} ALTER COLUMN ${col} SET NOT NULL`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'no scan: the validated check proves it',
    });
    swap.push({ sql: `ALTER TABLE ${t} DROP CONSTRAINT ${quoteIdent(n.notNull)}`, lock: 'ACCESS EXCLUSIVE' });
  }
  for (const ix of indexes) {
    if (ix.constraint) {
      const what = ix.constraint.type === 'p' ? 'PRIMARY KEY' : 'UNIQUE';
      swap.push({
        sql: `ALTER TABLE ${t} ADD CONSTRAINT ${quoteIdent(ix.constraint.name)} ${what} USING INDEX ${quoteIdent(ix.temp)}${deferrable(ix.constraint)}`,
        lock: 'ACCESS EXCLUSIVE',
        note: 'instant: the index is built',
      });
    } else {
      swap.push({
        sql: `ALTER INDEX ${idxSchema}.${quoteIdent(ix.temp)} RENAME TO ${quoteIdent(ix.original.name)}`,
        lock: 'ACCESS EXCLUSIVE',
      });
    }
  }
  const validate: string[] = [];
  for (const c of s.constraints) {
    if (c.type !== 'c') continue;
    swap.push({
      sql: `ALTER TABLE ${t} ADD CONSTRAINT ${quoteIdent(c.name)} ${c.def.replace(/\s+NOT VALID\s*$/, '')} NOT VALID`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'no scan; validated right after the swap',
    });
    if (c.validated) validate.push(`ALTER TABLE ${t} VALIDATE CONSTRAINT ${quoteIdent(c.name)}`);
  }
  if (s.column.comment != null)
    swap.push({ sql: `COMMENT ON COLUMN ${t}.${col} IS ${quoteLiteral(s.column.comment)}`, lock: 'ACCESS EXCLUSIVE' });
  swap.push({ sql: `DROP FUNCTION IF EXISTS ${fn}()`, lock: 'none' });
  const body = `
BEGIN
  NEW.${sh} := ${s.cast(`NEW.${col}`)};
  RETURN NEW;
END`;
  return {
    names: n,
    addShadow: `ALTER TABLE ${t} ADD COLUMN ${sh} ${s.targetType}`,
    createFunction: `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS ${dollarQuote(body)}`,
    createTrigger: `CREATE TRIGGER ${quoteIdent(n.trigger)} BEFORE INSERT OR UPDATE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
    backfill: `UPDATE ${t} SET ${sh} = ${s.cast(col)} WHERE ${RANGE} AND ${sh} IS NULL AND ${col} IS NOT NULL`,
    indexes,
    addNotNull: s.column.notNull
      ? `ALTER TABLE ${t} ADD CONSTRAINT ${quoteIdent(n.notNull)} CHECK (${sh} IS NOT NULL) NOT VALID`
      : null,
    validateNotNull: s.column.notNull ? `ALTER TABLE ${t} VALIDATE CONSTRAINT ${quoteIdent(n.notNull)}` : null,
    swap,
    validate,
    cleanup: [
      `DROP TRIGGER IF EXISTS ${quoteIdent(n.trigger)} ON ${t}`,
      `ALTER TABLE ${t} DROP COLUMN IF EXISTS ${sh}`,
      `DROP FUNCTION IF EXISTS ${fn}()`,
    ],
  };
}

/** The whole conversion as actions, for `tidemark plan`. */
export function shadowActions(q: ShadowSql, key: readonly KeyColumn[]): Action[] {
  const range = rangeShown(keyOf(key));
  const out: Action[] = [
    { sql: q.addShadow, lock: 'ACCESS EXCLUSIVE', note: 'instant: nullable, no default' },
    { sql: q.createFunction, lock: 'none' },
    { sql: q.createTrigger, lock: 'SHARE ROW EXCLUSIVE', note: 'keeps the shadow equal on every INSERT/UPDATE' },
    {
      sql: q.backfill.replace(RANGE, () => range),
      lock: 'ROW EXCLUSIVE',
      note: 'repeated per key range, one short transaction per batch',
    },
    ...q.indexes.map(
      (ix): Action => ({
        sql: ix.create,
        lock: 'SHARE UPDATE EXCLUSIVE',
        transaction: false,
        note: `twin of ${ix.original.name}; blocks neither reads nor writes`,
      }),
    ),
  ];
  if (q.addNotNull && q.validateNotNull) {
    out.push({ sql: q.addNotNull, lock: 'ACCESS EXCLUSIVE', note: 'instant: no scan' });
    out.push({
      sql: q.validateNotNull,
      lock: 'SHARE UPDATE EXCLUSIVE',
      transaction: false,
      note: 'scans without blocking reads or writes',
    });
  }
  out.push(...q.swap);
  for (const v of q.validate)
    out.push({
      sql: v,
      lock: 'SHARE UPDATE EXCLUSIVE',
      transaction: false,
      note: 'scans without blocking reads or writes',
    });
  return out;
}
