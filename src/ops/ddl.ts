/**
 * The DDL statements the `op.*` steps share, as {@link Action}s with the lock each takes — built
 * from names through `quoteIdent`/`quoteRelation`, so `tidemark plan` prints exactly what runs.
 */

import type { Action } from '../kind/step-kind.js';
import type { RelationName } from '../model/plan.js';
import { quoteIdent, quoteRelation } from '../sql/ident.js';

/** `ON DELETE` / `ON UPDATE` actions as a plan writes them. */
export type FkAction = 'cascade' | 'restrict' | 'set null' | 'set default' | 'no action';

/** `FOREIGN KEY ("a") REFERENCES "p" ("x") ON DELETE CASCADE`. */
export function foreignKeyClause(
  columns: string[],
  refTable: RelationName,
  refColumns: string[],
  onDelete?: FkAction,
  onUpdate?: FkAction,
): string {
  let s = `FOREIGN KEY (${columns.map(quoteIdent).join(', ')}) REFERENCES ${quoteRelation(refTable)} (${refColumns.map(quoteIdent).join(', ')})`;
  if (onDelete) s += ` ON DELETE ${onDelete.toUpperCase()}`;
  if (onUpdate) s += ` ON UPDATE ${onUpdate.toUpperCase()}`;
  return s;
}

/** `ALTER TABLE t ADD CONSTRAINT "n" <body> NOT VALID`: a short lock, no scan. */
export function addConstraintNotValid(
  table: RelationName,
  name: string,
  body: string,
  lock: Action['lock'] = 'ACCESS EXCLUSIVE',
  note?: string,
): Action {
  return {
    sql: `ALTER TABLE ${quoteRelation(table)} ADD CONSTRAINT ${quoteIdent(name)} ${body} NOT VALID`,
    lock,
    note: note ?? 'no scan: checks new writes only',
  };
}

/** `ALTER TABLE t VALIDATE CONSTRAINT "n"`: scans without blocking reads or writes; waits for older transactions. */
export function validateConstraint(table: RelationName, name: string): Action {
  return {
    sql: `ALTER TABLE ${quoteRelation(table)} VALIDATE CONSTRAINT ${quoteIdent(name)}`,
    lock: 'SHARE UPDATE EXCLUSIVE',
    transaction: false,
    note: 'scans the table; blocks neither reads nor writes',
  };
}

/** `ALTER TABLE t DROP CONSTRAINT IF EXISTS "n"`. */
export function dropConstraint(table: RelationName, name: string, ifExists = true): Action {
  return {
    sql: `ALTER TABLE ${quoteRelation(table)} DROP CONSTRAINT ${ifExists ? 'IF EXISTS ' : ''}${quoteIdent(name)}`,
    lock: 'ACCESS EXCLUSIVE',
  };
}

/** `ALTER TABLE t DROP COLUMN IF EXISTS "c"` (its constraints and indexes go with it). */
export function dropColumn(table: RelationName, column: string): Action {
  return {
    sql: `ALTER TABLE ${quoteRelation(table)} DROP COLUMN IF EXISTS ${quoteIdent(column)}`,
    lock: 'ACCESS EXCLUSIVE',
    note: 'no rewrite',
  };
}
