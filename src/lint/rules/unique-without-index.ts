/**
 * `unique-without-index`: a UNIQUE or PRIMARY KEY constraint added to an existing table (inline
 * `UNIQUE`/`PRIMARY KEY` in `ADD COLUMN` included) builds its index under an ACCESS EXCLUSIVE
 * lock: no reads, no writes until it is done. The safe form builds the unique index
 * `CONCURRENTLY`, then attaches it with `ADD CONSTRAINT … UNIQUE USING INDEX` (instant).
 */
import { addedConstraints, alterCmds, displayTable, type RangeVar, strings } from '../ast.js';
import type { SqlRule } from '../rule.js';

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'unique-without-index',
  types: ['AlterTableStmt'],
  level: 'error',
  summary: 'UNIQUE / PRIMARY KEY added to an existing table without USING INDEX',
  check(st, ctx) {
    if (st.type !== 'AlterTableStmt') return;
    const rv = st.node.relation as RangeVar;
    if (ctx.isNew(rv)) return;
    const t = displayTable(rv);
    for (const c of alterCmds(st.node)) {
      const found = addedConstraints(c, ['CONSTR_UNIQUE', 'CONSTR_PRIMARY'], (con) => !con.indexname);
      for (const { con, column } of found) {
        const kind = con.contype === 'CONSTR_PRIMARY' ? 'PRIMARY KEY' : 'UNIQUE';
        const cols = column ? [column] : strings(con.keys);
        ctx.report({
          message: `${kind}${con.conname ? ` "${con.conname}"` : ''} (${cols.join(', ')}) added to existing table "${t}" builds its index under an ACCESS EXCLUSIVE lock (no reads, no writes)`,
          help:
            kind === 'UNIQUE'
              ? `Use op.addUnique({ id, table: '${t}', columns: [${cols.map((x) => `'${x}'`).join(', ')}] }): a unique index built CONCURRENTLY, then ADD CONSTRAINT … UNIQUE USING INDEX.`
              : `Build the index first (CREATE UNIQUE INDEX CONCURRENTLY, or op.createIndex({ …, unique: true })), then ADD CONSTRAINT … PRIMARY KEY USING INDEX.`,
          at: con.location,
          table: rv,
          waivable: 'small',
        });
      }
    }
  },
} satisfies SqlRule;
