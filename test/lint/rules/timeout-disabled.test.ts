/**
 * Rule `timeout-disabled`: turning lock_timeout off is an error, statement_timeout off a warning,
 * setting them to a bound is fine; `tidemark run` refuses a raw SQL step that does it.
 * See docs/rules/timeout-disabled.md.
 */
import { describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../../helpers/db.js';
import { tempDir, writePlan } from '../../helpers/plan-files.js';
import { runFile } from '../../helpers/run.js';
import { active, lintSql, tty } from '../helpers.js';

describe('timeout-disabled', () => {
  it('accepts timeouts set to a bound', async () => {
    const r = await lintSql(
      "SET lock_timeout = '2s';\nSET statement_timeout = '5min';\nSET LOCAL lock_timeout TO 500;",
    );
    expect(active(r, 'timeout-disabled')).toEqual([]);
  });

  it('flags lock_timeout turned off in every spelling', async () => {
    for (const sql of [
      'SET lock_timeout = 0;',
      "SET lock_timeout = '0s';",
      'SET LOCAL lock_timeout TO DEFAULT;',
      'RESET lock_timeout;',
      'RESET ALL;',
    ]) {
      const r = await lintSql(sql);
      expect(
        active(r, 'timeout-disabled').map((f) => f.level),
        sql,
      ).toEqual(['error']);
      expect(r.exitCode, sql).toBe(1);
    }
    expect(
      tty(
        await lintSql('SET lock_timeout = 0;\nALTER TABLE "Message" ADD COLUMN "primaryIntent" text;'),
        'timeout-disabled',
      ),
    ).toMatchSnapshot();
  });

  it('statement_timeout turned off is a warning', async () => {
    const r = await lintSql('SET statement_timeout = 0;');
    expect(active(r, 'timeout-disabled').map((f) => f.level)).toEqual(['warning']);
    expect(r.exitCode).toBe(0);
  });

  it('run refuses a raw sql step that turns lock_timeout off, before running anything', async () => {
    const url = await createTestDatabase('lint_timeout_disabled');
    const file = writePlan(
      tempDir(),
      `{ id: 'no-bound', expand: [
      sql({ id: 't', up: 'CREATE TABLE t (id int)', down: 'DROP TABLE t' }),
      sql({ id: 'unbounded', up: ['SET lock_timeout = 0', 'ALTER TABLE t ADD COLUMN v int'], down: 'ALTER TABLE t DROP COLUMN v' }),
    ] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('step "unbounded" (timeout-disabled)');
    expect((await query(url, `SELECT to_regclass('t') IS NULL AS gone`))[0].gone).toBe(true);
  });
});
