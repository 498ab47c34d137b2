/**
 * Rule `unbatched-data-change`: ok cases stay quiet, error cases are flagged, and the rendered finding is
 * snapshotted as users see it. See docs/rules/unbatched-data-change.md.
 */
import { describe, expect, it } from 'vitest';
import { active, lintSql, tty } from '../helpers.js';

describe('unbatched-data-change', () => {
  it('accepts UPDATE/DELETE with WHERE and data changes on new tables', async () => {
    const r = await lintSql(
      'UPDATE "Message" SET "primaryIntent" = "intent" WHERE id BETWEEN 1 AND 1000;\nDELETE FROM "Session" WHERE "expiresAt" < now() - interval \'30 days\';\nCREATE TABLE tmp (id int);\nUPDATE tmp SET id = id + 1;\nTRUNCATE tmp;',
    );
    expect(active(r, 'unbatched-data-change')).toEqual([]);
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
