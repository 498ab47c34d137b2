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
  }, 180_000);
});

describe('a step picked up again', () => {
  it('says it is re-applied after a rollback, and retried after a failure — not "resuming"', async () => {
    await query(url, 'CREATE TABLE ro_again (id int PRIMARY KEY)');
    const dir = tempDir();
    const body = (third: string) =>
      `{ id: 'ro-again', expand: [
        op.addColumn({ id: 'add-note', table: 'ro_again', column: 'note', type: 'text' }),
        sql({ id: 'third', up: ${JSON.stringify(third)}, down: 'SELECT 1' }),
      ] }`;
    const file = writePlan(dir, body('SELECT 1'));
    expect((await cli(['run', file, '--database-url', url])).code).toBe(0);
    expect((await cli(['rollback', file, '--to', 'add-note', '--database-url', url])).code).toBe(0);
    writePlan(dir, body('SELECT 1/0'));
    const failed = await cli(['run', file, '--database-url', url]);
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stdout).toContain('→ add-note (op.addColumn) re-applying (was rolled back)');
    expect(failed.stdout).toContain('→ third (sql) re-applying (was rolled back)');
    expect(failed.stdout).not.toContain('resuming');
    writePlan(dir, body('SELECT 2'));
    const again = await cli(['run', file, '--database-url', url]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('→ third (sql) retrying (failed in an earlier run)');
    expect(again.stdout).not.toContain('add-note (op.addColumn)');
  }, 180_000);
});
