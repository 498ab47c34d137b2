/**
 * What `run` prints, through the built CLI in plain mode: a backfill's 100 % line once, one count
 * of batches in its summary, and what a step picked up again is really doing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('cli_run_output');
});

describe('the end of a backfill', () => {
  it('prints the 100 % line once, and its summary counts the batches the ledger holds', async () => {
    await query(url, 'CREATE TABLE ro_items (id int PRIMARY KEY, hits int NOT NULL DEFAULT 0)');
    await query(url, 'INSERT INTO ro_items (id) SELECT g FROM generate_series(1, 3000) g');
    const file = writePlan(
      tempDir(),
      `{ id: 'ro-fill', backfill: [backfill.update({ id: 'fill', table: 'ro_items', set: { hits: 'hits + 1' }, batch: { size: 300 } })] }`,
    );
    const r = await cli(['run', file, '--database-url', url]);
    expect(r.code, r.stderr).toBe(0);
    const full = r.stdout.split('\n').filter((l) => l.includes('(100%)'));
    expect(full, r.stdout).toHaveLength(1);
    const [{ n }] = await query<{ n: number }>(
      url,
      `SELECT count(*)::int AS n FROM tidemark.batches WHERE plan_id = 'ro-fill' AND step_id = 'fill'`,
    );
    const m =
      /changed in (\d+) batch\(es\); batch\.concurrency auto: (?:\d+ of the (\d+) batches|one batch at a time)/.exec(
        r.stdout,
      );
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m![1])).toBe(n);
    if (m![2]) expect(Number(m![2])).toBe(n);
    expect(await query(url, 'SELECT hits, count(*)::int AS n FROM ro_items GROUP BY hits')).toEqual([
      { hits: 1, n: 3000 },
    ]);
  });
});
