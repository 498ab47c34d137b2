import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TidemarkEvent } from '../../src/kind/events.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('backfill_throttle');
});

const notes = (events: TidemarkEvent[]) =>
  events.flatMap((e) => (e.type === 'step.progress' && e.note ? [e.note] : []));

async function until(fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const t = Date.now();
  while (!(await fn())) {
    if (Date.now() - t > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('throttling', () => {
  it('pauses while throttle.when is true and says so in the progress note', async () => {
    await query(url, `CREATE TABLE busy (paused boolean NOT NULL)`);
    await query(url, `INSERT INTO busy VALUES (true)`);
    await query(url, `CREATE TABLE th (id int PRIMARY KEY, v int)`);
    await query(url, `INSERT INTO th SELECT g, NULL FROM generate_series(1, 1000) g`);
    const file = writePlan(
      tempDir(),
      `{ id: 'th', backfill: [backfill.update({ id: 'v', table: 'th', set: { v: 'id' }, throttle: { when: 'SELECT paused FROM busy', checkEveryMs: 50 } })] }`,
    );
    const running = runFile(file, { databaseUrl: url });
    await until(
      async () =>
        (
          await query<{ n: number }>(
            url,
            `SELECT count(*)::int n FROM tidemark.steps WHERE plan_id = 'th' AND status = 'running'`,
          ).catch(() => [{ n: 0 }])
        )[0].n === 1,
    );
    await new Promise((r) => setTimeout(r, 400));
    expect((await query(url, `SELECT count(v)::int n FROM th`))[0].n).toBe(0);
    await query(url, `UPDATE busy SET paused = false`);
    const r = await running;
    expect(r.exitCode).toBe(0);
    const n = notes(r.events);
    expect(n[0]).toBe('paused: throttle.when is true (SELECT paused FROM busy); checking again every 50 ms');
    expect(n.some((x) => /^resumed after \d+\.\d s paused$/.test(x))).toBe(true);
    const first = await query(
      url,
      `SELECT throttled_ms FROM tidemark.batches WHERE plan_id = 'th' ORDER BY id LIMIT 1`,
    );
    expect(first[0].throttled_ms).toBeGreaterThan(350);
    expect((await query(url, `SELECT count(*)::int n FROM th WHERE v IS DISTINCT FROM id`))[0].n).toBe(0);
  });

  it('picks up rows inserted ahead of the cursor; rows inserted behind it are left to where/keepInSync', async () => {
    await query(url, `CREATE TABLE grow (id int PRIMARY KEY, v int)`);
    await query(url, `INSERT INTO grow SELECT g, NULL FROM generate_series(1, 10000) g`);
    const file = writePlan(
      tempDir(),
      `{ id: 'grow', backfill: [backfill.update({ id: 'v', table: 'grow', set: { v: '1' }, batch: { size: 200, pauseMs: 20 } })] }`,
    );
    const running = runFile(file, { databaseUrl: url });
    await until(
      async () =>
        (
          await query<{ n: number }>(url, `SELECT count(*)::int n FROM tidemark.batches WHERE plan_id = 'grow'`).catch(
            () => [{ n: 0 }],
          )
        )[0].n >= 3,
    );
    await query(url, `INSERT INTO grow SELECT -g, NULL FROM generate_series(1, 50) g`); // behind the cursor
    await query(url, `INSERT INTO grow SELECT 100000 + g, NULL FROM generate_series(1, 50) g`); // ahead of it
    const r = await running;
    expect(r.exitCode).toBe(0);
    expect((await query(url, `SELECT count(*)::int n FROM grow WHERE id > 0 AND v IS NULL`))[0].n).toBe(0);
    expect((await query(url, `SELECT count(*)::int n FROM grow WHERE id < 0 AND v IS NULL`))[0].n).toBe(50);
  });

  it('pauses and halves the batch when others wait on its row locks longer than maxLockWaitMs', async () => {
    await query(url, `CREATE TABLE hot (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)`);
    await query(url, `INSERT INTO hot (id) SELECT g FROM generate_series(1, 800) g`);
    // Each batch holds its row locks about 300 ms: it sleeps on its last row (a correlated subquery runs per row).
    const file = writePlan(
      tempDir(),
      `{ id: 'hot', backfill: [backfill.update({ id: 'v', table: 'hot', set: { v: 'v + 1 + (SELECT 0 FROM pg_sleep(CASE WHEN hot.id % 100 = 0 THEN 0.3 ELSE 0 END))' }, batch: { size: 100 }, throttle: { maxLockWaitMs: 100 } })] }`,
    );
    let stop = false;
    const app = (async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        while (!stop) {
          await c
            .query(
              `UPDATE hot SET v = v WHERE id = (SELECT max(id) FROM (SELECT (key_to->>'id')::int AS id FROM tidemark.batches WHERE plan_id = 'hot' UNION ALL SELECT 0) b) + 1`,
            )
            .catch(() => undefined);
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        await c.end();
      }
    })();
    const r = await runFile(file, { databaseUrl: url });
    stop = true;
    await app;
    expect(r.message).toBeUndefined();
    expect(
      notes(r.events).some((n) => /session\(s\) waited \d+ ms on our batch's row locks \(> 100 ms\): pausing$/.test(n)),
    ).toBe(true);
    expect(await query(url, `SELECT v, count(*)::int n FROM hot GROUP BY v`)).toEqual([{ v: 1, n: 800 }]);
  });
});
