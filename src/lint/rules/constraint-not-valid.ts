/**
 * `constraint-not-valid`: a FOREIGN KEY or CHECK added to an existing table without `NOT VALID`
 * (inline `REFERENCES`/`CHECK` in `ADD COLUMN` included) scans the whole table while holding a
 * lock that blocks writes (ACCESS EXCLUSIVE for CHECK; SHARE ROW EXCLUSIVE on both tables for a
 * FK). The safe form adds it `NOT VALID`, then runs `VALIDATE CONSTRAINT`, which blocks nothing —
 * in a later transaction: validating in the transaction that added it keeps ADD's lock for the scan.
 */
import { addedConstraints, alterCmds, type ConstraintNode, displayTable, type RangeVar, strings } from '../ast.js';
import { ormHelp } from '../orm-help.js';
import type { SqlRule } from '../rule.js';

function describe(con: ConstraintNode, column?: string): { what: string; help: string } {
  if (con.contype === 'CONSTR_FOREIGN') {
    const cols = column ? [column] : strings(con.fk_attrs);
    const ref = con.pktable ? displayTable(con.pktable) : '…';
    return {
      what: `FOREIGN KEY${con.conname ? ` "${con.conname}"` : ''} (${cols.join(', ')}) → ${ref}`,
      help: column
        ? `Use op.addColumn({ …, column: '${column}', references: { table: '${ref}', column: '…' } }), which adds the FK NOT VALID and validates it separately, or add the column first and then op.addForeignKey.`
        : `Use op.addForeignKey({ id, table, columns: [${cols.map((c) => `'${c}'`).join(', ')}], references: { table: '${ref}', columns: […] } }), or ADD CONSTRAINT … NOT VALID followed by VALIDATE CONSTRAINT in a later statement.`,
    };
  }
  return {
    what: `CHECK${con.conname ? ` "${con.conname}"` : ''}`,
    help: `Use op.addCheck({ id, table, name: '${con.conname ?? '…'}', expression: '…' }), or ADD CONSTRAINT … NOT VALID followed by VALIDATE CONSTRAINT in a later statement.`,
  };
}

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'constraint-not-valid',
  types: ['AlterTableStmt'],
  level: 'error',
  summary: 'FOREIGN KEY or CHECK added to an existing table without NOT VALID',
  check(st, ctx) {
    if (st.type !== 'AlterTableStmt') return;
    const rv = st.node.relation as RangeVar;
    if (ctx.isNew(rv)) return;
    const t = displayTable(rv);
    for (const c of alterCmds(st.node)) {
      const found = addedConstraints(c, ['CONSTR_FOREIGN', 'CONSTR_CHECK'], (con) => !con.skip_validation);
      if (c.subtype === 'AT_ValidateConstraint' && c.name && ctx.addedInOpenTransaction(rv, c.name)) {
        ctx.report({
          message: `VALIDATE CONSTRAINT "${c.name}" runs in the same transaction that added it NOT VALID: the lock taken by ADD CONSTRAINT (blocking writes to "${t}") is held during the whole validation scan`,
          help: 'Commit between the two: VALIDATE CONSTRAINT in its own transaction (op.addForeignKey / op.addCheck do it for you; in a Tidemark sql step, use transaction: false or a separate step).',
          table: rv,
          waivable: 'small',
        });
      }
      for (const { con, column } of found) {
        const d = describe(con, column);
        ctx.report({
          message: `${d.what} added to existing table "${t}"${column ? ` with column "${column}"` : ''} is validated at once: a full scan while writes are blocked`,
          help: ormHelp(ctx.source.runner, 'validate-later', d.help),
          at: con.location,
          table: rv,
          waivable: 'small',
        });
      }
    }
  },
} satisfies SqlRule;
