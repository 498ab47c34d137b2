/**
 * `drop-object`: dropping a table, column, view, materialized view or schema loses data and
 * breaks the running code that still uses it. In a plan that belongs to the contract phase only;
 * a standalone SQL file has no phase, so it is an error there. Dropping a constraint, an index or
 * NOT NULL is not this rule's business. Tables created in the same file or plan are fine; a view
 * or materialized view dropped and created again later in the same file is a warning.
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
        const name = kind === 'schema' ? names.join('.') : displayTable(rv);
        const drop = `DROP ${kind.toUpperCase()} "${name}"${n.behavior === 'DROP_CASCADE' ? ' CASCADE' : ''}`;
        // A view holds no rows; dropped and created again in the same script it is a redefinition,
        // and a materialized view's cost is its refill (docs/rules/drop-object.md).
        if (kind === 'view' && ctx.createdLater('view', rv)) {
          ctx.report({
            level: 'warning',
            message: `${drop} and CREATE VIEW "${name}" again in this file: readers get "relation does not exist" between the two unless both run in one transaction`,
            help: 'Use CREATE OR REPLACE VIEW when the columns stay compatible, or keep the DROP and CREATE in one transaction.',
          });
          continue;
        }
        if (kind === 'materialized view' && ctx.createdLater('matview', rv)) {
          ctx.report({
            level: 'warning',
            message: `${drop} and CREATE MATERIALIZED VIEW "${name}" again in this file: the new one computes its whole query while the migration runs, and readers of "${name}" wait or fail until it is done`,
            help: 'Create the new definition under another name WITH NO DATA, REFRESH it, then swap the names in one short transaction; or accept the refresh time (suppress with a reason).',
          });
          continue;
        }
        const loses =
          kind === 'view'
            ? 'breaks the running code that still reads it (a view holds no data; its definition and grants are gone)'
            : 'loses its data and breaks the running code that still uses it';
        ctx.report({
          message: `${drop}${where} ${loses}`,
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
