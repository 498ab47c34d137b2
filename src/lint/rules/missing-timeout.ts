/**
 * `missing-timeout` (warning): SQL run by another tool (Prisma, Drizzle, Alembic, psql) takes a
 * lock that blocks reads or writes on an existing table without `SET lock_timeout` (and
 * `statement_timeout`) first: if a long transaction holds the table, the migration waits and every
 * query queues behind it. Never reported for SQL Tidemark runs: it sets both and retries. Reported
 * once per file, at the first such statement.
 */

import { BLOCKING_LOCKS } from '../../kind/step-kind.js';
import {
  asColumnDef,
  asConstraint,
  columnConstraints,
  displayTable,
  type Node,
  type RangeVar,
  statementTables,
} from '../ast.js';
import type { RuleContext, SqlRule, Statement } from '../rule.js';

/** Existing tables the statement takes a blocking lock on (FK targets of a new table included). */
function lockedTables(st: Statement, ctx: RuleContext): RangeVar[] {
  if (st.type === 'CreateStmt') {
    const refs: RangeVar[] = [];
    for (const el of (st.node.tableElts as Node[] | undefined) ?? []) {
      const con = asConstraint(el);
      if (con?.contype === 'CONSTR_FOREIGN' && con.pktable) refs.push(con.pktable);
      const col = asColumnDef(el);
      for (const c of col ? columnConstraints(col) : [])
        if (c.contype === 'CONSTR_FOREIGN' && c.pktable) refs.push(c.pktable);
    }
    return refs.filter((t) => !ctx.isNew(t));
  }
  if (!BLOCKING_LOCKS.has(st.traits.lock) && st.type !== 'DropStmt') return [];
  return statementTables(st.type, st.node).filter(
    (t) =>
      t.relname && !ctx.isNew(t) && st.type !== 'UpdateStmt' && st.type !== 'DeleteStmt' && st.type !== 'InsertStmt',
  );
}

/** The rule. */
export const rule = {
  kind: 'sql',
  id: 'missing-timeout',
  level: 'warning',
  summary: 'blocking DDL without lock_timeout / statement_timeout, in SQL another runner executes',
  check(st, ctx) {
    if (ctx.source.runner === 'tidemark' || (ctx.timeouts.lock && ctx.timeouts.statement)) return;
    const tables = lockedTables(st, ctx);
    if (!tables.length || !ctx.once('file')) return;
    const missing = [!ctx.timeouts.lock && 'lock_timeout', !ctx.timeouts.statement && 'statement_timeout'].filter(
      Boolean,
    ) as string[];
    ctx.report({
      message: `this statement locks "${displayTable(tables[0])}" with no ${missing.join(' or ')} set: behind one long transaction it waits, and every query on the table queues behind it`,
      help: `Start the file with SET ${missing.map((m) => `${m} = '${m === 'lock_timeout' ? '2s' : '5min'}'`).join('; SET ')}; — or run it as a Tidemark sql/sqlFile step, which sets both and retries the lock with backoff.`,
      at: tables[0].location,
    });
  },
} satisfies SqlRule;
