/**
 * `exclusion-constraint`: `ADD CONSTRAINT … EXCLUDE` on an existing table builds its index and
 * checks every row under an ACCESS EXCLUSIVE lock; unlike UNIQUE there is no `USING INDEX` or
 * `NOT VALID` escape. Exclusion constraints on tables created in the same file or plan are fine.
 */
import { alterCmds, asConstraint, displayTable, type RangeVar } from '../ast.js';
import type { SqlRule } from '../rule.js';

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'exclusion-constraint',
  types: ['AlterTableStmt'],
  level: 'error',
  summary: 'EXCLUDE constraint added to an existing table',
  check(st, ctx) {
    if (st.type !== 'AlterTableStmt') return;
    const rv = st.node.relation as RangeVar;
    if (ctx.isNew(rv)) return;
    for (const c of alterCmds(st.node)) {
      const con = c.subtype === 'AT_AddConstraint' ? asConstraint(c.def) : undefined;
      if (con?.contype !== 'CONSTR_EXCLUSION') continue;
      ctx.report({
        message: `EXCLUDE constraint${con.conname ? ` "${con.conname}"` : ''} on existing table "${displayTable(rv)}" builds its index and checks every row under an ACCESS EXCLUSIVE lock (no reads, no writes); there is no online form`,
        help: 'Create the constraint with the table (op.createTable), or build a new table with it and move the rows with backfill.insert; otherwise run it in a maintenance window (gate.window) and suppress with a reason.',
        at: con.location,
        table: rv,
        waivable: 'small',
      });
    }
  },
} satisfies SqlRule;
