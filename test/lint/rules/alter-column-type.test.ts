/**
 * Rule `alter-column-type`: ok cases stay quiet, error cases are flagged, and the rendered finding is
 * snapshotted as users see it. See docs/rules/alter-column-type.md.
 */
import { describe, expect, it } from 'vitest';
import { active, lintSql, tty } from '../helpers.js';

describe('alter-column-type', () => {
  it('accepts type changes on a table created in the same file', async () => {
    const r = await lintSql(
      'CREATE TABLE "KPIHistory" (id bigint PRIMARY KEY, value int);\nALTER TABLE "KPIHistory" ALTER COLUMN value TYPE numeric;',
    );
    expect(active(r, 'alter-column-type')).toEqual([]);
  });

  it('flags a type change on an existing table', async () => {
    const r = await lintSql(
      'ALTER TABLE "Conversation" ALTER COLUMN "totalCostUsd" TYPE numeric(12, 6) USING "totalCostUsd"::numeric;',
    );
    const found = active(r, 'alter-column-type');
    expect(found).toHaveLength(1);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'alter-column-type')).toMatchSnapshot();
  });
});
