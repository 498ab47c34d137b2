/**
 * `drop-object`: dropping a table, column, view, materialized view or schema loses data and
 * breaks the running code that still uses it. In a plan that belongs to the contract phase only;
 * a standalone SQL file has no phase, so it is an error there. Dropping a constraint, an index or
 * NOT NULL is not this rule's business. Objects created in the same file or plan are fine.
 */
import { alterCmds, displayTable, type Node, type RangeVar, rangeVarOf, strings } from '../ast.js';
import type { SqlRule } from '../rule.js';

const KINDS: Record<string, string> = {
  OBJECT_TABLE: 'table',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized view',
  OBJECT_SCHEMA: 'schema',
  OBJECT_FOREIGN_TABLE: 'foreign table',
};

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'drop-object',
  types: ['DropStmt', 'AlterTableStmt'],
  level: 'error',
  summary: 'drop of a table, column, view or schema outside the contract phase',
  check(st, ctx) {
    if (ctx.source.phase === 'contract') return;
    const where = ctx.source.phase ? ` in the ${ctx.source.phase} phase` : '';
    const n = st.node;
    if (st.type === 'DropStmt') {
      const kind = KINDS[n.removeType as string];
      if (!kind) return;
      for (const o of (n.objects as Node[] | undefined) ?? []) {
        const names = o.List ? strings((o.List as Node).items) : strings([o]);
        const rv = rangeVarOf(names);
        if (kind === 'table' && ctx.isNew(rv)) continue;
        ctx.report({
          message: `DROP ${kind.toUpperCase()} "${kind === 'schema' ? names.join('.') : displayTable(rv)}"${n.behavior === 'DROP_CASCADE' ? ' CASCADE' : ''}${where} loses its data and breaks the running code that still uses it`,
          help:
            kind === 'table'
              ? `Drop it in the contract phase with op.dropTable({ id, table: '${displayTable(rv)}' }): the rows are archived and rollback restores them.`
              : `Drop it in the contract phase of a plan, once no running code uses it (suppress with a reason if it is already unused).`,
          ...(kind === 'table' ? { table: rv } : {}),
        });
      }
      return;
    }
    if (st.type !== 'AlterTableStmt') return;
    const rv = n.relation as RangeVar;
    if (ctx.isNew(rv)) return;
    for (const c of alterCmds(n)) {
      if (c.subtype !== 'AT_DropColumn' || !c.name) continue;
      ctx.report({
        message: `DROP COLUMN "${displayTable(rv)}"."${c.name}"${where} loses its data and breaks the running code that still reads or writes it`,
        help: `Drop it in the contract phase with op.dropColumn({ id, table: '${displayTable(rv)}', column: '${c.name}' }): the values are archived and rollback restores them.`,
        at: rv.location,
        table: rv,
      });
    }
  },
} satisfies SqlRule;
