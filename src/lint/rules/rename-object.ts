/**
 * `rename-object`: renaming a table, column, view, materialized view or schema (or moving a table
 * to another schema) breaks every running query that uses the old name. In a plan that is fine
 * only in the contract phase, after the code stopped using the old name; a standalone SQL file
 * has no phase, so it is an error there. Renaming constraints and indexes is harmless.
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
      'Expand/contract instead: add the new column or table (op.addColumn / op.createTable), fill it with backfill.update({ …, keepInSync: true }), move the code over, and drop the old one in the contract phase (op.dropColumn / op.dropTable). For a table, a view with the old name can bridge the switch.';
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
        help,
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
