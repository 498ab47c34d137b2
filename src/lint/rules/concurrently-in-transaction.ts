/**
 * `concurrently-in-transaction`: `CREATE/DROP INDEX CONCURRENTLY`, `REINDEX … CONCURRENTLY`,
 * `VACUUM` and the like cannot run inside a transaction block: PostgreSQL refuses them, and the
 * migration fails half way. The block is an explicit `BEGIN`, a transactional Tidemark `sql` step
 * (the default), or a runner that wraps each migration in one (Drizzle; Prisma when the file has
 * more than one statement).
 */
import type { SqlRule } from '../rule.js';

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'concurrently-in-transaction',
  level: 'error',
  summary: 'CONCURRENTLY (or VACUUM) inside a transaction block',
  check(st, ctx) {
    if (!ctx.inTransaction || !st.traits.nonTransactional) return;
    const what = st.text.split(/\s+/).slice(0, 4).join(' ');
    const s = ctx.source;
    const why =
      s.runner === 'tidemark'
        ? `step "${s.stepId}" runs in one transaction`
        : s.inTransaction
          ? `${s.runner === 'prisma' ? 'Prisma runs a multi-statement migration' : s.runner === 'drizzle' ? 'Drizzle runs each migration' : 'the runner runs this file'} in one transaction`
          : 'it follows BEGIN';
    ctx.report({
      message: `"${what} …" cannot run inside a transaction block (${why}): PostgreSQL refuses it and the migration fails`,
      help:
        s.runner === 'tidemark'
          ? `Set transaction: false on step "${s.stepId}" (or start the file with "-- tidemark:no-transaction"), or use op.createIndex / op.dropIndex, which run CONCURRENTLY outside any transaction.`
          : 'Run it outside BEGIN … COMMIT, in a migration of its own, or in a Tidemark sql step with transaction: false (op.createIndex does it for you).',
    });
  },
} satisfies SqlRule;
