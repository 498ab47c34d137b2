/**
 * `long-running-transaction` (database, warning): with `--database-url`, a transaction open now
 * for longer than `longTransactionSeconds` holds a lock on a table the migration locks. The DDL
 * would wait behind it, and every query on the table would queue behind the DDL.
 */

import { quoteIdent } from '../../sql/ident.js';
import { redactText } from '../../sql/redact.js';
import { displayTable, tableKey } from '../ast.js';
import type { DatabaseRule, TableTouch } from '../rule.js';

/** The rule. */
export const rule = {
  kind: 'database',
  id: 'long-running-transaction',
  level: 'warning',
  summary: 'a transaction open now holds a lock on a table the migration locks',
  async check(db, touches, config, report) {
    const first = new Map<string, TableTouch>();
    for (const t of touches) if (t.mode === 'lock' && !first.has(tableKey(t.table))) first.set(tableKey(t.table), t);
    for (const touch of first.values()) {
      const rel = touch.table.schemaname
        ? `${quoteIdent(touch.table.schemaname)}.${quoteIdent(touch.table.relname)}`
        : quoteIdent(touch.table.relname);
      const r = await db.query<{
        pid: number;
        application_name: string | null;
        state: string | null;
        query: string | null;
        secs: number;
        mode: string;
      }>(
        `SELECT DISTINCT ON (a.pid) a.pid, a.application_name, a.state, left(a.query, 200) AS query,
                extract(epoch FROM now() - a.xact_start)::float8 AS secs, l.mode
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.relation = to_regclass($1) AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND l.granted AND a.pid <> pg_backend_pid()
            AND a.xact_start < now() - make_interval(secs => $2)
          ORDER BY a.pid`,
        [rel, config.longTransactionSeconds],
      );
      for (const b of r.rows) {
        report(touch, {
          message: `a transaction open for ${Math.round(b.secs)} s (pid ${b.pid}${b.application_name ? `, ${b.application_name}` : ''}${b.state ? `, ${b.state}` : ''}) holds ${b.mode} on "${displayTable(touch.table)}": this statement would wait behind it and every query on the table would queue behind this statement${b.query ? `. Its query: ${redactText(b.query)}` : ''}`,
          help: 'Wait for it to finish (or end it with pg_terminate_backend(pid)) before migrating. Tidemark steps run under a short lock_timeout and retry with backoff instead of queueing.',
        });
      }
    }
  },
} satisfies DatabaseRule;
