/**
 * `rename-object`: renaming a table, column, view, materialized view or schema (or moving a table
 * to another schema) breaks every running query that uses the old name. In a plan that is fine
 * only in the contract phase, after the code stopped using the old name; a standalone SQL file
 * has no phase, so it is an error there. Renaming constraints and indexes is harmless. A table or
 * column rename points at `op.renameTable` / `op.renameColumn`, which keep both names working
 * from expand until contract (docs/steps/rename-table.md, docs/steps/rename-column.md).
 */
import { displayTable, type RangeVar } from '../ast.js';
import type { SqlRule } from '../rule.js';

const KINDS: Record<string, string> = {
  OBJECT_TABLE: 'table',
  OBJECT_COLUMN: 'column',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized view',
  OBJECT_SCHEMA: 'schema',
  OBJECT_FOREIGN_TABLE: 'foreign table',
};

/** A name as a plan writes it: a single-quoted string. */
const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** A plan's literal for a table: 'name' or 'schema.name'. */
function tableLiteral(rv: RangeVar): string {
  return q(rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname);
}

/** The typed operation that does this rename without breaking anyone, for a table or a column. */
function adviceFor(kind: string, rv: RangeVar | undefined, from: string | undefined, to: string): string | undefined {
  if (!rv) return undefined;
  if (kind === 'column')
    return `Use op.renameColumn({ id, table: ${tableLiteral(rv)}, from: ${q(from ?? '')}, to: ${q(to)} }) in expand: code using either name reads and writes the same values until the rename completes in contract, which Tidemark adds for you (docs/steps/rename-column.md).`;
  if (kind === 'table')
    return `Use op.renameTable({ id, table: ${tableLiteral(rv)}, to: ${q(to)} }) in expand: the old name stays a view that reads and writes the table until the rename completes in contract, which Tidemark adds for you (docs/steps/rename-table.md).`;
  return undefined;
}

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'rename-object',
  types: ['RenameStmt', 'AlterObjectSchemaStmt'],
  level: 'error',
  summary: 'rename of a table, column, view or schema outside the contract phase',
  check(st, ctx) {
    if (ctx.source.phase === 'contract') return;
    const n = st.node;
    const where = ctx.source.phase ? ` in the ${ctx.source.phase} phase` : '';
    const help =
      'Expand/contract instead: create the object under its new name, move the code over, and drop the old one in the contract phase.';
    if (st.type === 'RenameStmt') {
      const kind = KINDS[n.renameType as string];
      if (!kind) return;
      const rv = n.relation as RangeVar | undefined;
      if (rv && ctx.isNew(rv)) return;
      const old =
        kind === 'schema'
          ? `"${n.subname as string}"`
          : kind === 'column'
            ? `"${displayTable(rv!)}"."${n.subname as string}"`
            : `"${displayTable(rv!)}"`;
      ctx.report({
        message: `renaming ${kind} ${old} to "${n.newname as string}"${where} breaks the running code that still uses the old name`,
        help: adviceFor(kind, rv, n.subname as string | undefined, n.newname as string) ?? help,
        at: rv?.location,
        ...(rv ? { table: rv } : {}),
      });
    } else if (st.type === 'AlterObjectSchemaStmt' && KINDS[n.objectType as string] && n.relation) {
      const rv = n.relation as RangeVar;
      if (ctx.isNew(rv)) return;
      ctx.report({
        message: `moving ${KINDS[n.objectType as string]} "${displayTable(rv)}" to schema "${n.newschema as string}"${where} breaks the running code that uses its old qualified name`,
        help,
        at: rv.location,
        table: rv,
      });
    }
  },
} satisfies SqlRule;
