/**
 * Rule `rename-object`: ok cases stay quiet, error cases are flagged, and the rendered finding is
 * snapshotted as users see it. See docs/rules/rename-object.md.
 */
import { describe, expect, it } from 'vitest';
import { active, lintSql, tty } from '../helpers.js';

describe('rename-object', () => {
  it('accepts renames of constraints, indexes and new tables', async () => {
    const r = await lintSql(
      'ALTER TABLE "Lead" RENAME CONSTRAINT lead_fk TO lead_customer_fk;\nALTER INDEX lead_idx RENAME TO lead_customer_idx;\nCREATE TABLE tmp_customer (id int);\nALTER TABLE tmp_customer RENAME TO "Customer";',
    );
    expect(active(r, 'rename-object')).toEqual([]);
  });

  it('flags renaming a column or a table in a standalone file', async () => {
    const r = await lintSql(
      'ALTER TABLE "Conversation" RENAME COLUMN "intent" TO "primaryIntent";\nALTER TABLE "Lead" RENAME TO "Prospect";',
    );
    const found = active(r, 'rename-object');
    expect(found).toHaveLength(2);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(found[0].help).toContain(
      "op.renameColumn({ id, table: 'Conversation', from: 'intent', to: 'primaryIntent' })",
    );
    expect(found[1].help).toContain("op.renameTable({ id, table: 'Lead', to: 'Prospect' })");
    expect(tty(r, 'rename-object')).toMatchSnapshot();
  });
});
