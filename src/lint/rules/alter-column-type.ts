/**
 * `alter-column-type`: `ALTER COLUMN … TYPE` on an existing table rewrites the table and rebuilds
 * its indexes under an ACCESS EXCLUSIVE lock (no reads, no writes), unless the change is binary
 * compatible (varchar → text, a longer varchar). Old code writing the old type may also break.
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
        help: `To an enum: op.convertToEnum({ id, table: '${t}', column: '${c.name}', enum, values }) (shadow column above a size threshold). Otherwise: op.addColumn with the new type, backfill.update({ …, keepInSync: true }), switch the code, then op.dropColumn of the old one in contract.`,
        at: col?.location ?? rv.location,
        table: rv,
        waivable: 'small',
      });
    }
  },
} satisfies SqlRule;
