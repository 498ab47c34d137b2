/**
 * Rule `drop-object`: ok cases stay quiet, error cases are flagged, and the rendered finding is
 * snapshotted as users see it. See docs/rules/drop-object.md.
 */
import { describe, expect, it } from 'vitest';
import { active, lintSql, tty } from '../helpers.js';

describe('drop-object', () => {
  it('accepts dropping constraints, indexes concurrently, NOT NULL, and new tables', async () => {
    const r = await lintSql(
      'ALTER TABLE "Lead" DROP CONSTRAINT lead_customer_fk;\nDROP INDEX CONCURRENTLY lead_idx;\nALTER TABLE "Lead" ALTER COLUMN email DROP NOT NULL;\nCREATE TABLE scratch (id int);\nDROP TABLE scratch;',
    );
    expect(active(r, 'drop-object')).toEqual([]);
  });

  it('flags dropping a column, a table, a view and a schema in a standalone file', async () => {
    const r = await lintSql(
      'ALTER TABLE "Message" DROP COLUMN "tokensIn";\nDROP TABLE "Audit";\nDROP VIEW lead_summary;\nDROP SCHEMA legacy CASCADE;',
    );
    const found = active(r, 'drop-object');
    expect(found).toHaveLength(4);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'drop-object')).toMatchSnapshot();
  });
});
