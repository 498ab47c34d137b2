/**
 * Rule `missing-timeout`: ok cases stay quiet, error cases are flagged, and the rendered finding is
 * snapshotted as users see it. See docs/rules/missing-timeout.md.
 */
import { describe, expect, it } from 'vitest';
import { active, lintPlanBody, lintSql, tty } from '../helpers.js';

describe('missing-timeout', () => {
  it('accepts files that set both timeouts, and files that only create tables', async () => {
    const r = await lintSql(
      "SET lock_timeout = '2s';\nSET statement_timeout = '5min';\nALTER TABLE \"Lead\" ADD COLUMN customer_id uuid;\n",
    );
    expect(active(r, 'missing-timeout')).toEqual([]);
  });

  it('stays quiet on new tables', async () => {
    const r = await lintSql(
      'CREATE TABLE "Customer" (id uuid PRIMARY KEY);\nCREATE INDEX customer_idx ON "Customer"(id);',
    );
    expect(active(r, 'missing-timeout')).toEqual([]);
  });

  it('warns once per file when blocking DDL has no lock_timeout', async () => {
    const r = await lintSql(
      'ALTER TABLE "Lead" ADD COLUMN customer_id uuid;\nALTER TABLE "Job" ADD COLUMN customer_id uuid;',
    );
    const found = active(r, 'missing-timeout');
    expect(found).toHaveLength(1);
    expect(found.every((f) => f.level === 'warning')).toBe(true);
    expect(r.exitCode).toBe(0);
    expect(tty(r, 'missing-timeout')).toMatchSnapshot();
  });

  it('is never reported for SQL Tidemark runs', async () => {
    const r = await lintPlanBody(
      `{ id: 'w', expand: [sql({ id: 'add', up: 'ALTER TABLE "Lead" ADD COLUMN customer_id uuid' })] }`,
    );
    expect(active(r, 'missing-timeout')).toEqual([]);
  });
});
