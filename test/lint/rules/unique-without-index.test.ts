/**
 * Rule `unique-without-index`: ok cases stay quiet, error cases are flagged, and the rendered finding is
 * snapshotted as users see it. See docs/rules/unique-without-index.md.
 */
import { describe, expect, it } from 'vitest';
import { active, lintSql, tty } from '../helpers.js';

describe('unique-without-index', () => {
  it('accepts UNIQUE USING INDEX after a concurrent build', async () => {
    const r = await lintSql(
      'CREATE UNIQUE INDEX CONCURRENTLY customer_email_idx ON "Customer"(email);\nALTER TABLE "Customer" ADD CONSTRAINT customer_email_key UNIQUE USING INDEX customer_email_idx;\nALTER TABLE "Customer" ADD CONSTRAINT customer_pkey PRIMARY KEY USING INDEX customer_id_idx;',
    );
    expect(active(r, 'unique-without-index')).toEqual([]);
  });

  it('flags ADD CONSTRAINT UNIQUE on an existing table', async () => {
    const r = await lintSql('ALTER TABLE "Customer" ADD CONSTRAINT customer_email_key UNIQUE (email);');
    const found = active(r, 'unique-without-index');
    expect(found).toHaveLength(1);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'unique-without-index')).toMatchSnapshot();
  });

  it('flags an inline PRIMARY KEY or UNIQUE in ADD COLUMN', async () => {
    const r = await lintSql(
      'ALTER TABLE "Customer" ADD COLUMN id bigint PRIMARY KEY;\nALTER TABLE "Customer" ADD COLUMN code text UNIQUE;',
    );
    const found = active(r, 'unique-without-index');
    expect(found).toHaveLength(2);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'unique-without-index')).toMatchSnapshot();
  });
});
