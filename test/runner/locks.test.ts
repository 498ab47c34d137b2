import { hostname, userInfo } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TidemarkEvent } from '../../src/kind/events.js';
import { LEDGER_VERSION } from '../../src/ledger/schema.js';
import { loadPlan } from '../../src/plan/load.js';
import { defaultActor } from '../../src/runner/open.js';
import { runPlan } from '../../src/runner/run.js';
import { acquireRunLock } from '../../src/runner/run-lock.js';
import { connect, createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('runner_locks');
  await query(url, 'CREATE TABLE busy (id int primary key, v text); INSERT INTO busy VALUES (1, $$a$$)');
});

const fast = { lockTimeoutMs: 100, lockRetries: 4 };

describe('lock safety and the run lock', () => {
  it('retries DDL behind a lock held by another session and succeeds once it is released', async () => {
    const holder = await connect(url);
    await holder.query('BEGIN');
    await holder.query('SELECT * FROM busy');
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{ id: 'retry-ok', expand: [sql({ id: 'add', up: 'ALTER TABLE busy ADD COLUMN retried int' })] }`,
    );
    const plan = await loadPlan(file);
    const events: TidemarkEvent[] = [];
    const r = await runPlan(plan, {
      databaseUrl: url,
      config: { lockTimeoutMs: 100, lockRetries: 10 },
      events: (e) => {
        events.push(e);
        if (e.type === 'lock.retry' && e.attempt === 2) void holder.query('COMMIT');
      },
    });
    await holder.end();
    expect(r.exitCode).toBe(0);
    const retries = events.filter((e) => e.type === 'lock.retry');
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries[0]).toMatchObject({ stepId: 'add', attempt: 1 });
    const st = await query<{ retries: number }>(url, `SELECT retries FROM tidemark.steps WHERE plan_id = 'retry-ok'`);
    expect(st[0].retries).toBeGreaterThan(0);
  });

  it('readers are not queued behind waiting DDL for longer than lock_timeout', async () => {
    const holder = await connect(url);
    await holder.query('BEGIN');
    await holder.query('SELECT * FROM busy');
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{ id: 'reader-queue', expand: [sql({ id: 'add', up: 'ALTER TABLE busy ADD COLUMN queued int' })] }`,
    );
    const plan = await loadPlan(file);
    let retrying!: () => void;
    const firstRetry = new Promise<void>((r) => (retrying = r));
    const run = runPlan(plan, {
      databaseUrl: url,
      config: { lockTimeoutMs: 100, lockRetries: 20 },
      events: (e) => e.type === 'lock.retry' && retrying(),
    });
    await firstRetry;
    const reader = await connect(url);
    const waits: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t = performance.now();
      await reader.query('SELECT count(*) FROM busy');
      waits.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 40));
    }
    await holder.query('COMMIT');
    await holder.end();
    await reader.end();
    expect((await run).exitCode).toBe(0);
    expect(Math.max(...waits)).toBeLessThan(100 + 250);
  });

  it('on exhaustion names the blocking session (pid and query), sampled while waiting', async () => {
    const holder = await connect(url);
    const pid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    await holder.query('BEGIN');
    await holder.query('SELECT v FROM busy WHERE id = 1');
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{ id: 'retry-exhausted', expand: [sql({ id: 'add', up: 'ALTER TABLE busy ADD COLUMN never int' })] }`,
    );
    const r = await runFile(file, { databaseUrl: url, config: fast });
    await holder.query('ROLLBACK');
    await holder.end();
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('after 4 attempts (lock_timeout 100 ms each)');
    expect(r.message).toContain(`pid ${pid}`);
    expect(r.message).toContain('SELECT v FROM busy WHERE id = 1');
    expect(r.message).toMatch(/transaction open \d+\.\d s/);
    expect(
      await query(
        url,
        `SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'busy'::regclass AND attname = 'never'`,
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('a second runner on the same plan exits 3 naming the holder, or waits with --wait', async () => {
    const dir = tempDir();
    // The first runner's step waits on an advisory lock this test holds: it certainly holds the
    // run lock while the second runner starts, however slow the machine.
    const file = writePlan(
      dir,
      `{ id: 'two-runners', expand: [sql({ id: 'wait', up: 'SELECT pg_advisory_lock(515151), pg_advisory_unlock(515151)' })] }`,
    );
    const gatekeeper = await connect(url);
    await gatekeeper.query('SELECT pg_advisory_lock(515151)');
    const first = runFile(file, { databaseUrl: url });
    for (let i = 0; i < 600; i++) {
      if (
        (
          await query(
            url,
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'SELECT pg_advisory_lock(515151)%'`,
          )
        ).length
      )
        break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const second = await runFile(file, { databaseUrl: url });
    expect(second.exitCode).toBe(3);
    expect(second.message).toContain('plan "two-runners" is being run by another runner: ');
    // The runner, not only its PostgreSQL backend: user, host, process, since when.
    expect(second.message).toContain(
      `${defaultActor()} (host ${hostname()}, pid ${process.pid}), \`tidemark run\` run #`,
    );
    expect(second.message).toMatch(/ since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; PostgreSQL backend pid \d+/);
    const waiting = runFile(file, { databaseUrl: url, waitSeconds: 30 });
    setTimeout(() => void gatekeeper.query('SELECT pg_advisory_unlock(515151)').then(() => gatekeeper.end()), 300);
    expect((await first).exitCode).toBe(0);
    expect((await waiting).exitCode).toBe(0);
  });

  it('the run-lock message names the runner (user, host, pid, since), not only the PostgreSQL backend pid, even before its run is in the ledger', async () => {
    const dir = tempDir();
    const file = writePlan(dir, `{ id: 'held-early', expand: [sql({ id: 'one', up: 'SELECT 1' })] }`);
    // A runner that has taken the lock but not yet written its run: only its lock connection says who it is.
    const lock = await acquireRunLock(url, 'tidemark', 'held-early');
    try {
      const second = await runFile(file, { databaseUrl: url });
      expect(second.exitCode).toBe(3);
      expect(second.message).toContain(
        `another runner: tidemark:held-early ${userInfo().username}@${hostname()} pid ${process.pid} since `,
      );
      expect(second.message).toContain(`PostgreSQL backend pid ${lock.backendPid}`);
    } finally {
      await lock.release();
    }
  });

  it('two first runs on an empty database do not race on installing the ledger', async () => {
    const fresh = await createTestDatabase('runner_locks_race');
    const dir = tempDir();
    const a = writePlan(
      dir,
      `{ id: 'race-a', expand: [sql({ id: 's', up: 'CREATE TABLE race_a (id int)' })] }`,
      'a.plan.ts',
    );
    const b = writePlan(
      dir,
      `{ id: 'race-b', expand: [sql({ id: 's', up: 'CREATE TABLE race_b (id int)' })] }`,
      'b.plan.ts',
    );
    const results = await Promise.all([
      runFile(a, { databaseUrl: fresh, waitSeconds: 5 }),
      runFile(b, { databaseUrl: fresh }),
      runFile(a, { databaseUrl: fresh, waitSeconds: 5 }),
    ]);
    expect(results.map((r) => r.exitCode)).toEqual([0, 0, 0]);
    expect(await query(fresh, `SELECT value FROM tidemark.meta WHERE key = 'version'`)).toEqual([
      { value: String(LEDGER_VERSION) },
    ]);
  });
});
