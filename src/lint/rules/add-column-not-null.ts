/**
 * `add-column-not-null`: `ADD COLUMN … NOT NULL` without a `DEFAULT` on an existing table fails
 * as soon as the table has a row, and old code that inserts without the column breaks once it
 * succeeds. (A constant default is fine: PostgreSQL 11+ stores it without a rewrite.)
 */
import { alterCmds, asColumnDef, columnConstraints, displayTable, type RangeVar, typeNameOf } from '../ast.js';
import { ormHelp } from '../orm-help.js';
import type { SqlRule } from '../rule.js';

const SERIAL = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'add-column-not-null',
  types: ['AlterTableStmt'],
  level: 'error',
  summary: 'NOT NULL column added to an existing table without a DEFAULT',
  check(st, ctx) {
    if (st.type !== 'AlterTableStmt') return;
    const rv = st.node.relation as RangeVar;
    if (ctx.isNew(rv)) return;
    const t = displayTable(rv);
    for (const c of alterCmds(st.node)) {
      if (c.subtype !== 'AT_AddColumn') continue;
      const col = asColumnDef(c.def);
      if (!col || SERIAL.has(typeNameOf(col))) continue;
      const cons = columnConstraints(col);
      const notNull = cons.find((x) => x.contype === 'CONSTR_NOTNULL');
      if (!notNull || cons.some((x) => ['CONSTR_DEFAULT', 'CONSTR_IDENTITY', 'CONSTR_GENERATED'].includes(x.contype)))
        continue;
      ctx.report({
        message: `ADD COLUMN "${col.colname}" NOT NULL without a DEFAULT on existing table "${t}" fails if the table has any row, and breaks running code that inserts without it`,
        help: ormHelp(
          ctx.source.runner,
          'nullable-column',
          `Use op.addColumn({ id, table: '${t}', column: '${col.colname}', type }) (nullable), fill it with backfill.update, then op.setNotNull in the contract phase. Or give it a constant DEFAULT.`,
        ),
        at: notNull.location ?? col.location,
        table: rv,
        waivable: 'empty',
      });
    }
  },
} satisfies SqlRule;
