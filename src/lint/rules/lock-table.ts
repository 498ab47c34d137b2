/**
 * `lock-table`: an explicit `LOCK TABLE` in a migration. SHARE mode and stronger (the default is
 * ACCESS EXCLUSIVE) block writes — and everything queued behind it — for as long as the
 * transaction lasts. Weaker modes are a warning.
 */
import { displayTable, type Node, type RangeVar } from '../ast.js';
import type { SqlRule } from '../rule.js';

const MODES = [
  '',
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
];

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'lock-table',
  types: ['LockStmt'],
  level: 'error',
  summary: 'explicit LOCK TABLE',
  check(st, ctx) {
    if (st.type !== 'LockStmt') return;
    const mode = (st.node.mode as number | undefined) ?? 8;
    const tables = ((st.node.relations as Node[] | undefined) ?? [])
      .map((r) => r.RangeVar as RangeVar)
      .filter((t) => !ctx.isNew(t));
    if (!tables.length) return;
    const blocking = mode >= 5;
    ctx.report({
      ...(blocking ? {} : { level: 'warning' as const }),
      message: `LOCK TABLE ${tables.map((t) => `"${displayTable(t)}"`).join(', ')} IN ${MODES[mode] ?? 'ACCESS EXCLUSIVE'} MODE${blocking ? ' blocks writes (and everything queued behind it) until the transaction ends' : ' holds a lock until the transaction ends'}`,
      help: 'Remove it: each Tidemark step takes the lock it needs under a short lock_timeout with retries (op.* steps, or a sql step), and backfill.* works in small batches without table locks.',
      at: tables[0].location,
      table: tables[0],
    });
  },
} satisfies SqlRule;
