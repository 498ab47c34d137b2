/**
 * `alter-column-type`: `ALTER COLUMN … TYPE` on an existing table rewrites the table and rebuilds
 * its indexes under an ACCESS EXCLUSIVE lock (no reads, no writes), unless the change is binary
 * compatible (varchar → text, a longer varchar). Old code writing the old type may also break. It
 * points at op.changeType (docs/steps/change-type.md), which does the change with short locks only.
 */
import { alterCmds, asColumnDef, displayTable, type RangeVar, strings } from '../ast.js';
import type { SqlRule } from '../rule.js';

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'alter-column-type',
  types: ['AlterTableStmt'],
  level: 'error',
  summary: 'column type change on an existing table (table rewrite)',
  check(st, ctx) {
    if (st.type !== 'AlterTableStmt') return;
    const rv = st.node.relation as RangeVar;
    if (ctx.isNew(rv)) return;
    const t = displayTable(rv);
    for (const c of alterCmds(st.node)) {
      if (c.subtype !== 'AT_AlterColumnType' || !c.name) continue;
      const col = asColumnDef(c.def);
      const type = strings(col?.typeName?.names)
        .filter((x) => x !== 'pg_catalog')
        .join('.');
      ctx.report({
        message: `changing the type of "${t}"."${c.name}"${type ? ` to ${type}` : ''} rewrites the table and its indexes under an ACCESS EXCLUSIVE lock (no reads, no writes), unless the change is binary compatible (varchar → text, a longer varchar)`,
        help: `Use op.changeType({ id, table: '${t}', column: '${c.name}', type: '${type || '<new type>'}' }): in place when binary compatible, otherwise a shadow column filled in batches and one short swap (primary keys, sequences and referencing foreign keys included). To an enum: op.convertToEnum({ id, table: '${t}', column: '${c.name}', enum, values }).`,
        at: col?.location ?? rv.location,
        table: rv,
        waivable: 'small',
      });
    }
  },
} satisfies SqlRule;
