/**
 * `set-not-null-without-check`: `ALTER COLUMN … SET NOT NULL` on an existing table scans every
 * row under an ACCESS EXCLUSIVE lock, unless a validated `CHECK (col IS NOT NULL)` already proves
 * it (PostgreSQL 12+ then skips the scan). The check may have been validated in an earlier file
 * of the same run. Tables created in the same file or plan are fine.
 */
import { alterCmds, displayTable, type RangeVar } from '../ast.js';
import { ormHelp } from '../orm-help.js';
import type { SqlRule } from '../rule.js';

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'set-not-null-without-check',
  types: ['AlterTableStmt'],
  level: 'error',
  summary: 'SET NOT NULL not preceded by a validated CHECK (col IS NOT NULL)',
  check(st, ctx) {
    if (st.type !== 'AlterTableStmt') return;
    const rv = st.node.relation as RangeVar;
    if (ctx.isNew(rv)) return;
    const t = displayTable(rv);
    for (const c of alterCmds(st.node)) {
      if (c.subtype !== 'AT_SetNotNull' || !c.name || ctx.notNullProven(rv, c.name)) continue;
      ctx.report({
        message: `SET NOT NULL on "${t}"."${c.name}" scans the whole table under an ACCESS EXCLUSIVE lock (no reads, no writes): no validated CHECK ("${c.name}" IS NOT NULL) precedes it`,
        help: ormHelp(
          ctx.source.runner,
          'not-null-check',
          `Use op.setNotNull({ id, table: '${t}', column: '${c.name}' }): CHECK NOT VALID → VALIDATE (no blocking) → SET NOT NULL (no scan) → drop the check. By hand: ADD CONSTRAINT … CHECK ("${c.name}" IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT …; then SET NOT NULL.`,
        ),
        table: rv,
        waivable: 'small',
      });
    }
  },
} satisfies SqlRule;
