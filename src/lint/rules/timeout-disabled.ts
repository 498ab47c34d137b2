/**
 * `timeout-disabled`: a migration that turns `lock_timeout` off (`SET lock_timeout = 0`, `TO DEFAULT`,
 * `RESET`, `RESET ALL`) undoes Tidemark's lock safety for the rest of its step: a statement blocked
 * by a long transaction then waits forever, and every query on its table queues behind it. Turning
 * `statement_timeout` off is a warning (a long data change may need it, but nothing bounds it then).
 */
import type { SqlRule } from '../rule.js';
import { nonZeroTimeout } from '../timeout-value.js';

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'timeout-disabled',
  types: ['VariableSetStmt'],
  level: 'error',
  summary: 'SET lock_timeout = 0 (or RESET): lock waits without a bound',
  check(st, ctx) {
    if (st.type !== 'VariableSetStmt') return;
    const n = st.node as { kind?: string; name?: string; args?: unknown };
    const off =
      n.kind === 'VAR_SET_DEFAULT' || n.kind === 'VAR_RESET' || (n.kind === 'VAR_SET_VALUE' && !nonZeroTimeout(n.args));
    const names = n.kind === 'VAR_RESET_ALL' ? ['lock_timeout', 'statement_timeout'] : off && n.name ? [n.name] : [];
    if (names.includes('lock_timeout')) {
      ctx.report({
        message: `${n.kind === 'VAR_RESET_ALL' ? 'RESET ALL turns' : 'this turns'} lock_timeout off: a statement blocked by a long transaction then waits without a bound, and every query on its table queues behind it`,
        help: 'Remove it: Tidemark runs each step under a short lock_timeout and retries with backoff (any op.* or sql step); for a statement that must wait for old transactions use op.createIndex / op.addForeignKey, which run CONCURRENTLY / VALIDATE with their own long bound.',
      });
    } else if (names.includes('statement_timeout')) {
      ctx.report({
        level: 'warning',
        message: 'this turns statement_timeout off: nothing bounds how long the statements after it run',
        help: 'Prefer backfill.update / backfill.insert for long data changes (short batches, each under the timeout), or set a generous explicit statement_timeout instead of 0.',
      });
    }
  },
} satisfies SqlRule;
