/**
 * Rule `unbatched-data-change`: ok cases stay quiet, error cases are flagged, and the rendered finding is
 * snapshotted as users see it. See docs/rules/unbatched-data-change.md.
 */
import { describe, expect, it } from 'vitest';
import { active, lintSql, tty } from '../helpers.js';

describe('unbatched-data-change', () => {
  it("accepts data changes bounded by key, on new tables, and on the tools' history tables", async () => {
    const r = await lintSql(
      [
        'UPDATE "Message" SET "primaryIntent" = "intent" WHERE id BETWEEN 1 AND 1000;',
        `UPDATE "User" SET name = 'x' WHERE "id" = 'ckabc';`,
        'DELETE FROM "Session" WHERE "userId" IN (1, 2, 3);',
        'UPDATE orders SET note = NULL WHERE order_id = $1 AND note IS NOT NULL;',
        'DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE done LIMIT 1000);',
        "UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001';",
        'CREATE TABLE tmp (id int);',
        'UPDATE tmp SET id = id + 1;',
        'TRUNCATE tmp;',
      ].join('\n'),
    );
    expect(active(r, 'unbatched-data-change')).toEqual([]);
  });

  it('flags a WHERE that does not bound the change by key: it may touch most of the table', async () => {
    const r = await lintSql(
      [
        'UPDATE post_aggregates SET hot_rank = 0 WHERE upvotes > 0 AND downvotes > 0;',
        `DELETE FROM "Session" WHERE "expiresAt" < now() - interval '30 days';`,
        "UPDATE users SET role = 'member' WHERE role IS NULL OR id = 1;",
      ].join('\n'),
    );
    expect(active(r, 'unbatched-data-change').map((f) => [f.line, f.level])).toEqual([
      [1, 'error'],
      [2, 'error'],
      [3, 'error'],
    ]);
    expect(active(r, 'unbatched-data-change')[0].message).toContain('with a WHERE that is not bounded by key');
  });

  it('flags whole-table UPDATE, DELETE and TRUNCATE', async () => {
    const r = await lintSql(
      'UPDATE "Conversation" SET "primaryIntent" = "intent";\nDELETE FROM "Audit";\nTRUNCATE "IntelligenceEvent", "KPIHistory" CASCADE;',
    );
    const found = active(r, 'unbatched-data-change');
    expect(found).toHaveLength(3);
    expect(found.every((f) => f.level === 'error')).toBe(true);
    expect(r.exitCode).toBe(1);
    expect(tty(r, 'unbatched-data-change')).toMatchSnapshot();
  });
});
