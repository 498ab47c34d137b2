/**
 * Rule `syntax-error`: ok cases stay quiet, error cases are flagged, and the rendered finding is
 * snapshotted as users see it. See docs/rules/syntax-error.md.
 */
import { describe, expect, it } from 'vitest';
import { active, lintSql, tty } from '../helpers.js';

describe('syntax-error', () => {
  it('accepts valid SQL', async () => {
    const r = await lintSql('SELECT 1;');
    expect(active(r, 'syntax-error')).toEqual([]);
  });

  it('reports the position of a syntax error', async () => {
    const r = await lintSql('ALTER TABLE "Lead" ADD COLUMN x int;\nALTER TABLE "Lead" ADD COLUMN y innt DEFALT 1;');
    const found = active(r, 'syntax-error');
    expect(found).toHaveLength(1);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'syntax-error')).toMatchSnapshot();
  });
});
