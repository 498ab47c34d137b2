/**
 * The statements of a column archive (`op.dropColumn`) and of its restore, built once and used
 * both by `tidemark plan` (as actions) and by apply/rollback (executed), so what is printed is what
 * runs. The archive table `tidemark_archive.<table>_<column>_<hash>` holds (key, value) for every
 * row; a trigger upserts rows written while the copy runs, so the final transaction that drops
 * the column has nothing left to copy and stays short.
 */

import type { KeyColumn } from '../db/catalog.js';
import type { Action } from '../kind/step-kind.js';
import { sha256 } from '../sql/checksum.js';
import { generatedName, quoteIdent } from '../sql/ident.js';
import { keyOf, keyOrder, keyTuple, rangeShown } from '../sql/key-range.js';
import { dollarQuote, quoteLiteral } from '../sql/text.js';
import { ARCHIVE_SCHEMA, archiveName } from './archive.js';
import type { ColumnDef, ConstraintDef, IndexDef, RelationRef } from './archive-catalog.js';

/** Placeholder for a batch's key range in a statement template (a NUL cannot occur in SQL text). */
export const RANGE = '\u0000range\u0000';

/** Everything recorded in the ledger (`archives.definition`) for a dropped column. */
export interface ColumnArchiveDef {
  table: { schema: string; name: string };
  column: ColumnDef;
  key: KeyColumn[];
  indexes: IndexDef[];
  constraints: ConstraintDef[];
  archiveTable: string;
  trigger: string;
  function: string;
  /** Set in the transaction that drops the column. */
  dropped?: boolean;
}

/** Deterministic names of the archive table, its sync trigger and function. */
export function columnArchiveNames(
  planId: string,
  stepId: string,
  table: string,
  column: string,
): { archiveTable: string; trigger: string; function: string } {
  return {
    archiveTable: archiveName(planId, stepId, [table, column]),
    trigger: generatedName([column], 'tm_archive', sha256),
    function: archiveName(planId, stepId, [table, column, 'sync']),
  };
}

/** The statements of one column archive, from its definition. */
export function columnArchiveSql(
  d: Pick<ColumnArchiveDef, 'archiveTable' | 'trigger' | 'function' | 'key'> & {
    column: Pick<ColumnDef, 'name' | 'type'>;
  },
  table: Pick<RelationRef, 'sql'>,
) {
  const arch = `${quoteIdent(ARCHIVE_SCHEMA)}.${quoteIdent(d.archiveTable)}`;
  const fn = `${quoteIdent(ARCHIVE_SCHEMA)}.${quoteIdent(d.function)}`;
  const col = quoteIdent(d.column.name);
  const key = keyOf(d.key);
  const keys = keyOrder(key);
  const newKeys = keyOrder(key, false, 'NEW');
  const body = `
BEGIN
  IF TG_OP = 'INSERT' AND NEW.${col} IS NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO ${arch} (${keys}, ${col}) VALUES (${newKeys}, NEW.${col})
  ON CONFLICT (${keys}) DO UPDATE SET ${col} = EXCLUDED.${col};
  RETURN NULL;
END`;
  return {
    arch,
    fn,
    createSchema: `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(ARCHIVE_SCHEMA)}`,
    createTable: `CREATE TABLE IF NOT EXISTS ${arch} (${d.key.map((k) => `${quoteIdent(k.name)} ${k.type}`).join(', ')}, ${col} ${d.column.type}, PRIMARY KEY (${keys}))`,
    createFunction: `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS ${dollarQuote(body)}`,
    createTrigger: `CREATE TRIGGER ${quoteIdent(d.trigger)} AFTER INSERT OR UPDATE OF ${col}, ${keys} ON ${table.sql} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
    /** One batch of the copy; the range placeholder is replaced by the batch's key range. */
    copy: `INSERT INTO ${arch} (${keys}, ${col}) SELECT ${keys}, ${col} FROM ${table.sql} WHERE ${RANGE} ON CONFLICT (${keys}) DO NOTHING`,
    lock: `LOCK TABLE ${table.sql} IN ACCESS EXCLUSIVE MODE`,
    dropTrigger: `DROP TRIGGER IF EXISTS ${quoteIdent(d.trigger)} ON ${table.sql}`,
    dropColumn: `ALTER TABLE ${table.sql} DROP COLUMN ${col}`,
    dropFunction: `DROP FUNCTION IF EXISTS ${fn}()`,
    dropArchive: `DROP TABLE IF EXISTS ${arch}`,
    addColumn: `ALTER TABLE ${table.sql} ADD COLUMN ${col} ${d.column.type}`,
    /** One batch of the refill; the range is over the archive's key (alias `a`). */
    refill: `UPDATE ${table.sql} SET ${col} = a.${col} FROM ${arch} a WHERE ${keyTuple(key, table.sql)} = ${keyTuple(key, 'a')} AND ${RANGE} AND ${table.sql}.${col} IS NULL AND a.${col} IS NOT NULL`,
    /** One batch of the default pass: rows inserted after the drop get the default they would have had. */
    fillDefault: `UPDATE ${table.sql} SET ${col} = DEFAULT WHERE ${RANGE} AND ${col} IS NULL AND NOT EXISTS (SELECT 1 FROM ${arch} a WHERE ${keyTuple(key, 'a')} = ${keyTuple(key, table.sql)})`,
  };
}

/** Substitute a batch's key range into a template built with {@link RANGE}. */
export function withRange(template: string, where: string): string {
  return template.replace(RANGE, () => where);
}

/** `ADD COLUMN` with its collation, then its default and comment: instant statements, no rewrite. */
export function addColumnStatements(table: Pick<RelationRef, 'sql'>, c: ColumnDef): string[] {
  const col = quoteIdent(c.name);
  const out = [`ALTER TABLE ${table.sql} ADD COLUMN ${col} ${c.type}${c.collation ? ` COLLATE ${c.collation}` : ''}`];
  if (c.default != null) out.push(`ALTER TABLE ${table.sql} ALTER COLUMN ${col} SET DEFAULT ${c.default}`);
  if (c.comment != null) out.push(`COMMENT ON COLUMN ${table.sql}.${col} IS ${quoteLiteral(c.comment)}`);
  return out;
}

/** The apply side as actions, for `tidemark plan`. */
export function archiveActions(d: ColumnArchiveDef, table: RelationRef): Action[] {
  const s = columnArchiveSql(d, table);
  const range = rangeShown(keyOf(d.key));
  return [
    { sql: s.createSchema, lock: 'none' },
    { sql: s.createTable, lock: 'none', note: 'archive of (key, value) for every row' },
    { sql: s.createFunction, lock: 'none' },
    { sql: s.createTrigger, lock: 'SHARE ROW EXCLUSIVE', note: 'records rows written while the copy runs' },
    {
      sql: withRange(s.copy, range),
      lock: 'ACCESS SHARE',
      note: 'reads the table (writes only the archive); repeated per key range, one short transaction per batch',
    },
    { sql: s.lock, lock: 'ACCESS EXCLUSIVE', note: 'one short transaction from here: catalog changes only' },
    { sql: s.dropTrigger, lock: 'ACCESS EXCLUSIVE' },
    {
      sql: s.dropColumn,
      lock: 'ACCESS EXCLUSIVE',
      note: 'drops the indexes and constraints involving the column (recorded for rollback)',
    },
    { sql: s.dropFunction, lock: 'none' },
  ];
}
