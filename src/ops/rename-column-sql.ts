/**
 * The SQL of `op.renameColumn`: a second physical column under the other name, a BEFORE trigger
 * that keeps the pair in step on every write (whichever name the statement used), unique indexes
 * repeated on it (so `ON CONFLICT (column)` infers an arbiter through either name), the swap of
 * the two names, and the statements that undo or complete it. Built from quoted names only, so
 * `tidemark plan` prints exactly what runs. See docs/steps/rename-column.md.
 */
import type { Action } from '../kind/step-kind.js';
import { quoteIdent } from '../sql/ident.js';
import { dollarQuote } from '../sql/text.js';
import { opName } from './names.js';

/** The table and the two names. `real` holds the data, indexes and constraints; `compat` is the copy. */
export interface ColumnPair {
  /** `"schema"."table"`. */
  table: string;
  schema: string;
  tableName: string;
  real: string;
  compat: string;
  /** The column's type as format_type prints it, with its collation when not the default. */
  type: string;
}

/** Names of the trigger and its function, stable for one (table, from, to). */
export function renameNames(p: { tableName: string; from: string; to: string }): { trigger: string; fn: string } {
  return {
    trigger: opName(['tidemark_rename', p.tableName, p.from, p.to], 'trg'),
    fn: opName(['tidemark_rename', p.tableName, p.from, p.to], 'fn'),
  };
}

/** The temporary name a column holds for an instant inside the swap. */
export function swapName(p: { tableName: string; from: string; to: string }): string {
  return opName(['tidemark_swap', p.tableName, p.from, p.to], 'tmp');
}

/**
 * The trigger function: an INSERT that gave the copy a value (code using its name) sets the real
 * column from it, otherwise the copy takes the real column's value (its default included); an
 * UPDATE that changed only the copy sets the real column, any other update sets the copy from the
 * real column (the real one wins when a statement changes both).
 */
export function triggerFunction(p: ColumnPair, fn: string): Action {
  const r = `NEW.${quoteIdent(p.real)}`;
  const c = `NEW.${quoteIdent(p.compat)}`;
  const body = `
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT (${c} IS NULL) THEN ${r} := ${c}; ELSE ${c} := ${r}; END IF;
  ELSIF ${c} IS DISTINCT FROM OLD.${quoteIdent(p.compat)} AND ${r} IS NOT DISTINCT FROM OLD.${quoteIdent(p.real)} THEN
    ${r} := ${c};
  ELSE
    ${c} := ${r};
  END IF;
  RETURN NEW;
END
`;
  return {
    sql: `CREATE OR REPLACE FUNCTION ${quoteIdent(p.schema)}.${quoteIdent(fn)}() RETURNS trigger LANGUAGE plpgsql AS ${dollarQuote(body)}`,
    lock: 'none',
    note: `keeps ${p.real} and ${p.compat} equal on every write`,
  };
}

/** Add the copy and its trigger: one short transaction, so no write is missed. */
export function addActions(p: ColumnPair, n: { trigger: string; fn: string }): Action[] {
  return [
    {
      sql: `ALTER TABLE ${p.table} ADD COLUMN ${quoteIdent(p.compat)} ${p.type}`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'nullable, no default: catalog change only, no rewrite',
    },
    triggerFunction(p, n.fn),
    {
      sql: `CREATE TRIGGER ${quoteIdent(n.trigger)} BEFORE INSERT OR UPDATE ON ${p.table} FOR EACH ROW EXECUTE FUNCTION ${quoteIdent(p.schema)}.${quoteIdent(n.fn)}()`,
      lock: 'SHARE ROW EXCLUSIVE',
    },
  ];
}

/** The fill's per-batch statement, as the backfill engine runs it over each key range. */
export function fillSet(p: ColumnPair): { set: Record<string, string>; where: string } {
  return {
    set: { [p.compat]: quoteIdent(p.real) },
    where: `${quoteIdent(p.compat)} IS DISTINCT FROM ${quoteIdent(p.real)}`,
  };
}

/** The swap: the real column takes the new name, the copy the old one; the trigger follows. */
export function swapActions(
  p: ColumnPair,
  n: { trigger: string; fn: string },
  names: { from: string; to: string; tmp: string },
): Action[] {
  const ren = (a: string, b: string): Action => ({
    sql: `ALTER TABLE ${p.table} RENAME COLUMN ${quoteIdent(a)} TO ${quoteIdent(b)}`,
    lock: 'ACCESS EXCLUSIVE',
  });
  return [
    { ...ren(names.from, names.tmp), note: 'one short transaction: catalog changes only' },
    ren(names.to, names.from),
    ren(names.tmp, names.to),
    triggerFunction({ ...p, real: names.to, compat: names.from }, n.fn),
  ];
}

/** Remove the copy, its trigger and function (rollback before the swap; the completion). */
export function dropCopyActions(
  p: Pick<ColumnPair, 'table' | 'schema' | 'compat'>,
  n: { trigger: string; fn: string },
) {
  return [
    { sql: `DROP TRIGGER IF EXISTS ${quoteIdent(n.trigger)} ON ${p.table}`, lock: 'ACCESS EXCLUSIVE' },
    {
      sql: `ALTER TABLE ${p.table} DROP COLUMN IF EXISTS ${quoteIdent(p.compat)}`,
      lock: 'ACCESS EXCLUSIVE',
      note: 'no rewrite; its repeated unique indexes go with it',
    },
    { sql: `DROP FUNCTION IF EXISTS ${quoteIdent(p.schema)}.${quoteIdent(n.fn)}()`, lock: 'none' },
  ] satisfies Action[];
}

/** `DROP INDEX CONCURRENTLY` of a repeated unique index (the completion drops them before the column). */
export function dropIndexConcurrently(schema: string, name: string): Action {
  return {
    sql: `DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(schema)}.${quoteIdent(name)}`,
    lock: 'SHARE UPDATE EXCLUSIVE',
    transaction: false,
    note: 'blocks neither reads nor writes',
  };
}

/** The name of the unique index repeated on the copy for `index`. */
export function copyIndexName(index: string): string {
  return opName([index], 'tmr');
}
