/**
 * Rule `exclusion-constraint`: ok cases stay quiet, error cases are flagged, and the rendered finding is
 * snapshotted as users see it. See docs/rules/exclusion-constraint.md.
 */
import { describe, expect, it } from 'vitest';
import { active, lintSql, tty } from '../helpers.js';

describe('exclusion-constraint', () => {
  it('accepts exclusion constraints on a table created in the same file', async () => {
    const r = await lintSql(
      'CREATE TABLE booking (room int, during tstzrange);\nALTER TABLE booking ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);',
    );
    expect(active(r, 'exclusion-constraint')).toEqual([]);
  });

  it('flags EXCLUDE on an existing table', async () => {
    const r = await lintSql(
      'ALTER TABLE "AssignmentWindow" ADD CONSTRAINT window_no_overlap EXCLUDE USING gist ("sitterId" WITH =, during WITH &&);',
    );
    const found = active(r, 'exclusion-constraint');
    expect(found).toHaveLength(1);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'exclusion-constraint')).toMatchSnapshot();
  });
});
