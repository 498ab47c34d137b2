/**
 * `batch.concurrency: 'auto'` (the default): two batches in flight while no other session runs a
 * statement on the database, one while another does; a pinned number is used as given. Either way
 * a non-idempotent `set` lands exactly once per row.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTO_MAX_WIDTH, BatchWidth, QUIET_SAMPLES } from '../../src/backfill/width.js';
import { Db } from '../../src/db/connection.js';
import { connect, createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;

beforeAll(async () => {
  url = await createTestDatabase('backfill_width');
});

/** Another session running a statement on the database until `end()`. */
async function busySession() {
  const c = await connect(url);
  const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const running = c.query('SELECT pg_sleep(60)').catch(() => undefined);
  for (let i = 0; i < 100; i++) {
    const r = await query<{ n: number }>(
      url,
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1 AND state = 'active'`,
      [pid],
    );
    if (r[0].n) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  return {
    async end() {
      await query(url, 'SELECT pg_cancel_backend($1)', [pid]);
      await running;
      await c.end();
    },
  };
}

const doneNotes = (r: Awaited<ReturnType<typeof runFile>>) =>
  r.events.flatMap((e) => (e.type === 'step.done' && e.notes ? e.notes : [])).join('\n');

describe('batch width', () => {
  it(`auto widens to ${AUTO_MAX_WIDTH} after ${QUIET_SAMPLES} quiet samples and narrows at once when another session is active`, async () => {
    // (its own connection is excluded by its application_name, like a run's)
    const db = new Db(url, { applicationName: 'tidemark:width-test', max: 1 });
    const w = new BatchWidth(db);
    // Each sample launches a batch that commits (the walk counts a batch when it commits).
    const launch = async () => {
      const width = await w.next();
      w.committed(width);
      return width;
    };
    const quiet = [];
    for (let i = 0; i < QUIET_SAMPLES + 1; i++) quiet.push(await launch());
    expect(quiet).toEqual([...Array(QUIET_SAMPLES - 1).fill(1), AUTO_MAX_WIDTH, AUTO_MAX_WIDTH]);
    const busy = await busySession();
    try {
      expect(await launch()).toBe(1);
      expect(await launch()).toBe(1);
    } finally {
      await busy.end();
    }
    expect(await launch()).toBe(1); // quiet again, but one sample is not enough
    await w.next(); // a sample after which no range was left: no batch
    expect(w.summary()).toBe(
      `batch.concurrency auto: 2 of the ${QUIET_SAMPLES + 4} batches ran with ${AUTO_MAX_WIDTH} in flight, while no other session was active on the database`,
    );
    await db.close();
  });

  it('a session that ran a statement within the last second counts as traffic; one idle for longer does not', async () => {
    const db = new Db(url, { applicationName: 'tidemark:width-test', max: 1 });
    const app = await connect(url);
    try {
      await app.query('SELECT 1');
      const w = new BatchWidth(db);
      expect([await w.next(), await w.next(), await w.next()]).toEqual([1, 1, 1]);
      await new Promise((res) => setTimeout(res, 1200));
      expect([await w.next(), await w.next(), await w.next()]).toEqual([1, 1, AUTO_MAX_WIDTH]);
    } finally {
      await app.end();
      await db.close();
    }
  });

  it('a pinned number is used as given, without sampling', async () => {
    const closed = new Db(url, { max: 1 });
    await closed.close();
    const w = new BatchWidth(closed, 3);
    expect(await w.next()).toBe(3);
    expect(w.summary()).toBeUndefined();
  });

  it('a backfill on a quiet database runs two batches in flight; with traffic one at a time; every row changed once', async () => {
    await query(url, 'CREATE TABLE w (id int PRIMARY KEY, hits int NOT NULL DEFAULT 0)');
    await query(url, 'INSERT INTO w (id) SELECT g FROM generate_series(1, 4000) g');
    const file = writePlan(
      tempDir(),
      `{ id: 'width', backfill: [backfill.update({ id: 'h', table: 'w', set: { hits: 'hits + 1' }, batch: { size: 200 } })] }`,
    );
    const quiet = await runFile(file, { databaseUrl: url });
    expect(quiet.message).toBeUndefined();
    // The summary's two counts of batches are one: those committed.
    const m =
      /(\d+) row\(s\) changed in (\d+) batch\(es\)\n?.*batch.concurrency auto: (\d+) of the (\d+) batches ran with (\d+) in flight/s.exec(
        doneNotes(quiet),
      );
    expect(m, doneNotes(quiet)).not.toBeNull();
    expect(m![4]).toBe(m![2]);
    const [{ n }] = await query<{ n: number }>(
      url,
      `SELECT count(*)::int AS n FROM tidemark.batches WHERE plan_id = 'width' AND step_id = 'h'`,
    );
    expect(Number(m![2])).toBe(n);
    expect(Number(m![3])).toBeGreaterThan(0);
    expect(Number(m![5])).toBe(AUTO_MAX_WIDTH);
    expect(await query(url, 'SELECT hits, count(*)::int AS n FROM w GROUP BY hits')).toEqual([{ hits: 1, n: 4000 }]);

    const busy = await busySession();
    try {
      const again = await runFile(file, { databaseUrl: url, redo: ['h'] });
      expect(again.message).toBeUndefined();
      expect(doneNotes(again)).toContain(
        'batch.concurrency auto: one batch at a time (other sessions were active on the database)',
      );
    } finally {
      await busy.end();
    }
    expect(await query(url, 'SELECT hits, count(*)::int AS n FROM w GROUP BY hits')).toEqual([{ hits: 2, n: 4000 }]);
  });
});

describe('batch width, seen by a role without pg_read_all_stats', () => {
  it("another role's session, whose state this role may not see, counts as busy", async () => {
    const role = 'tm_width_limited';
    await query(
      url,
      `DO $$ BEGIN CREATE ROLE ${role} LOGIN PASSWORD 'width-pw-1'; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
    );
    const limited = new URL(url);
    limited.username = role;
    limited.password = 'width-pw-1';
    const db = new Db(limited.toString(), { applicationName: 'tidemark:width-limited', max: 1 });
    const other = await connect(url); // the test's superuser: another role, idle
    try {
      await new Promise((res) => setTimeout(res, 1200));
      const seen = await db.rows<{ state: string | null }>(`SELECT state FROM pg_stat_activity WHERE pid = $1`, [
        (other as unknown as { processID: number }).processID,
      ]);
      expect(seen).toEqual([{ state: null }]);
      const w = new BatchWidth(db);
      expect([await w.next(), await w.next(), await w.next(), await w.next()]).toEqual([1, 1, 1, 1]);
    } finally {
      await other.end();
      await db.close();
    }
  });
});
