/**
 * Rule `long-running-transaction` (database, warning): a transaction open now holds a lock on a
 * table the migration locks. Against a real server, with a second session holding the lock.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createTestDatabase, query } from '../../helpers/db.js';
import { active, lintSql, tty } from '../helpers.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('lint_rule_long_tx');
  await query(
    url,
    `
    CREATE TABLE big_t (id int PRIMARY KEY, v text);
    INSERT INTO big_t SELECT g, 'x' FROM generate_series(1, 1000) g;
    CREATE TABLE small_t (id int PRIMARY KEY, v text);
  `,
  );
});

describe('long-running-transaction (--database-url)', () => {
  it('reports a transaction open now that holds a lock on a target table', async () => {
    const holder = await connect(url);
    try {
      await holder.query("SET application_name = 'report-job'");
      await holder.query('BEGIN');
      await holder.query('SELECT count(*) FROM big_t');
      const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      await new Promise((r) => setTimeout(r, 1100));
      const r = await lintSql('ALTER TABLE big_t ADD COLUMN note text;', {
        databaseUrl: url,
        config: { longTransactionSeconds: 1 },
      });
      const found = active(r, 'long-running-transaction');
      expect(found).toHaveLength(1);
      expect(found[0].level).toBe('warning');
      expect(found[0].message).toContain(`pid ${pid}, report-job`);
      expect(found[0].message).toContain('AccessShareLock');
      expect(
        tty(r, 'long-running-transaction').replace(/open for \d+ s \(pid \d+/, 'open for N s (pid P'),
      ).toMatchSnapshot();
      const quiet = await lintSql('ALTER TABLE big_t ADD COLUMN note text;', {
        databaseUrl: url,
        config: { longTransactionSeconds: 3600 },
      });
      expect(active(quiet, 'long-running-transaction')).toEqual([]);
      const other = await lintSql('ALTER TABLE small_t ADD COLUMN note text;', {
        databaseUrl: url,
        config: { longTransactionSeconds: 1 },
      });
      expect(active(other, 'long-running-transaction')).toEqual([]);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
  });

  it('ok: no finding when nothing holds the table', async () => {
    const r = await lintSql('ALTER TABLE big_t ADD COLUMN note text;', {
      databaseUrl: url,
      config: { longTransactionSeconds: 0 },
    });
    expect(active(r, 'long-running-transaction')).toEqual([]);
  });
});
