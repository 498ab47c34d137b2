/**
 * Rule `add-column-not-null`: ok cases stay quiet, error cases are flagged, and the rendered finding is
 * snapshotted as users see it. See docs/rules/add-column-not-null.md.
 */
import { describe, expect, it } from 'vitest';
import { active, lintSql, tty } from '../helpers.js';

describe('add-column-not-null', () => {
  it('accepts nullable columns, NOT NULL with a default, and new tables', async () => {
    const r = await lintSql(
      'ALTER TABLE "Lead" ADD COLUMN customer_id uuid;\nALTER TABLE "Lead" ADD COLUMN status text NOT NULL DEFAULT \'new\';\nCREATE TABLE "Customer" (id uuid NOT NULL);\nALTER TABLE "Customer" ADD COLUMN name text NOT NULL;',
    );
    expect(active(r, 'add-column-not-null')).toEqual([]);
  });

  it('flags NOT NULL without a default on an existing table', async () => {
    const r = await lintSql('ALTER TABLE "Lead" ADD COLUMN "tenantId" text NOT NULL;');
    const found = active(r, 'add-column-not-null');
    expect(found).toHaveLength(1);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'add-column-not-null')).toMatchSnapshot();
  });
});
