/**
 * Rule `lock-table`: ok cases stay quiet, error cases are flagged, and the rendered finding is
 * snapshotted as users see it. See docs/rules/lock-table.md.
 */
import { describe, expect, it } from 'vitest';
import { active, lintSql, tty } from '../helpers.js';

describe('lock-table', () => {
  it('accepts a file without LOCK TABLE, and locks on new tables', async () => {
    const r = await lintSql('CREATE TABLE staging (id int);\nLOCK TABLE staging IN ACCESS EXCLUSIVE MODE;');
    expect(active(r, 'lock-table')).toEqual([]);
  });

  it('flags LOCK TABLE in a blocking mode', async () => {
    const r = await lintSql(
      'BEGIN;\nLOCK TABLE "Message" IN ACCESS EXCLUSIVE MODE;\nUPDATE "Message" SET "tenantId" = 1 WHERE id < 100;\nCOMMIT;',
    );
    const found = active(r, 'lock-table');
    expect(found).toHaveLength(1);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'lock-table')).toMatchSnapshot();
  });

  it('a non-blocking mode is a warning', async () => {
    const r = await lintSql('LOCK TABLE "Message" IN ROW EXCLUSIVE MODE;');
    expect(active(r, 'lock-table').map((f) => f.level)).toEqual(['warning']);
  });
});
