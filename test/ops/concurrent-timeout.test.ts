/**
 * `concurrentTimeoutMs` bounds the *waiting* of CREATE INDEX CONCURRENTLY and VALIDATE CONSTRAINT,
 * never their work (docs/lock-safety.md). A slow build is made with an expression index over an
 * IMMUTABLE function that sleeps; waits are made by a second session holding a snapshot or a lock.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { waitingKind } from '../../src/db/waiting.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { exec, op, plan, run, session, sql } from './op-harness.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_concurrent_timeout');
  await exec(
    url,
    // 5 ms per call: the build and the validation scan of 300 rows take well over a second.
    `CREATE FUNCTION slow_key(i int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT i FROM pg_sleep(0.005) $$`,
    // No autovacuum: its ANALYZE would be another blocker than the one a test holds.
    'CREATE TABLE slow (id int PRIMARY KEY, n int NOT NULL DEFAULT 0) WITH (autovacuum_enabled = false)',
    'INSERT INTO slow (id) SELECT g FROM generate_series(1, 300) g',
    'CREATE TABLE other (id int) WITH (autovacuum_enabled = false)',
  );
});

const indexState = async (name: string) =>
  (
    await query<{ valid: boolean }>(
      url,
      `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1`,
      [name],
    )
  )[0];

describe('concurrentTimeoutMs bounds only the waiting of an index build', () => {
  it('regression: a build that runs far longer than concurrentTimeoutMs but never waits completes, reporting progress', async () => {
    const p = await plan({
      id: 'ct-long-build',
      expand: [
        op.createIndex({
          id: 'slow-idx',
          table: 'slow',
          columns: [{ expression: 'slow_key(id)' }],
          name: 'slow_long_idx',
        }),
      ],
    });
    const t = performance.now();
    const r = await run(url, p, { concurrentTimeoutMs: 300 });
    const ms = performance.now() - t;
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(ms).toBeGreaterThan(1000); // the build itself ran past the bound
    expect(await indexState('slow_long_idx')).toEqual({ valid: true });
    const progress = r.events.filter((e) => e.type === 'step.progress' && e.stepId === 'slow-idx');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.map((e) => (e.type === 'step.progress' ? e.note : ''))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^building index/)]),
    );
  });

  for (const blocker of [
    {
      how: 'an open transaction holding an old snapshot',
      phase: 'waiting for old snapshots',
      open: ['BEGIN ISOLATION LEVEL REPEATABLE READ', 'SELECT count(*) FROM other'],
    },
    {
      how: 'an open transaction that wrote to the table',
      phase: 'waiting for writers before build',
      open: ['BEGIN', 'UPDATE slow SET n = n + 1 WHERE id = 1'],
    },
  ]) {
    it(`a build blocked by ${blocker.how} fails after about concurrentTimeoutMs, naming the blocker and the setting; a rerun builds it`, async () => {
      const name = `slow_blocked_${blocker.phase.split(' ').pop()}_idx`;
      const p = await plan({
        id: `ct-blocked-${blocker.phase.split(' ').pop()}`,
        expand: [op.createIndex({ id: 'idx', table: 'slow', columns: ['n'], name })],
      });
      const holder = await session(url);
      try {
        for (const s of blocker.open) await holder.query(s);
        const t = performance.now();
        const r = await run(url, p, { concurrentTimeoutMs: 1000 });
        const ms = performance.now() - t;
        expect(r.exitCode).toBe(1);
        expect(ms).toBeGreaterThan(1000);
        expect(ms).toBeLessThan(8000);
        expect(r.message).toContain(`pid ${holder.pid}`);
        expect(r.message).toContain(blocker.phase);
        expect(r.message).toContain('concurrentTimeoutMs (1000 ms)');
        expect(r.hint).toContain('concurrentTimeoutMs in tidemark.config.ts');
        const waiting = r.events.filter((e) => e.type === 'step.progress' && e.note === blocker.phase);
        expect(waiting.length).toBeGreaterThan(0);
      } finally {
        await holder.end();
      }
      const again = await run(url, p, { concurrentTimeoutMs: 1000 });
      expect(again.message).toBeUndefined();
      expect(await indexState(name)).toEqual({ valid: true });
    });
  }
});

describe('concurrentTimeoutMs bounds only the lock wait of VALIDATE CONSTRAINT', () => {
  it('regression: a validation scan that runs far longer than concurrentTimeoutMs completes', async () => {
    const p = await plan({
      id: 'ct-long-validate',
      expand: [op.addCheck({ id: 'chk', table: 'slow', name: 'slow_key_positive', expression: 'slow_key(id) > 0' })],
    });
    const t = performance.now();
    const r = await run(url, p, { concurrentTimeoutMs: 300 });
    expect(r.message).toBeUndefined();
    expect(performance.now() - t).toBeGreaterThan(1000);
    expect(await query(url, `SELECT convalidated FROM pg_constraint WHERE conname = 'slow_key_positive'`)).toEqual([
      { convalidated: true },
    ]);
  });

  it('a VALIDATE waiting for a held lock fails after about concurrentTimeoutMs, naming the holder and the setting', async () => {
    // The VALIDATE alone (as op.addCheck runs it after its NOT VALID step), so the lock can be held first.
    const p = await plan({
      id: 'ct-validate-locked',
      expand: [sql({ id: 'validate', transaction: false, up: 'ALTER TABLE slow VALIDATE CONSTRAINT slow_n_nonneg' })],
    });
    const holder = await session(url);
    let r: Awaited<ReturnType<typeof run>>;
    try {
      // NOT VALID first, then a SHARE lock (it conflicts with VALIDATE's SHARE UPDATE EXCLUSIVE).
      await exec(url, 'ALTER TABLE slow ADD CONSTRAINT slow_n_nonneg CHECK (n >= 0) NOT VALID');
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE slow IN SHARE MODE');
      const t = performance.now();
      r = await run(url, p, { concurrentTimeoutMs: 800 });
      const ms = performance.now() - t;
      expect(ms).toBeGreaterThan(800);
      expect(ms).toBeLessThan(6000);
    } finally {
      await holder.end();
    }
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain(`pid ${holder.pid}`);
    expect(r.message).toContain('for a lock');
    expect(r.message).toContain('concurrentTimeoutMs (800 ms)');
    expect(r.hint).toContain('concurrentTimeoutMs in tidemark.config.ts');
  });
});

describe('which bound applies to a waiting statement', () => {
  it('index builds and lone VALIDATEs bound only their waiting; anything else the whole statement', () => {
    expect(waitingKind('CREATE INDEX CONCURRENTLY "i" ON "t" ("a")')).toBe('index-build');
    expect(waitingKind('-- why\n  create unique index concurrently if not exists i on t (a)')).toBe('index-build');
    expect(waitingKind('REINDEX INDEX CONCURRENTLY i')).toBe('index-build');
    expect(waitingKind('REINDEX (CONCURRENTLY) TABLE t')).toBe('index-build');
    expect(waitingKind('ALTER TABLE "s"."a, b" VALIDATE CONSTRAINT "c;d"')).toBe('validate');
    expect(waitingKind('ALTER TABLE t VALIDATE CONSTRAINT c;')).toBe('validate');
    // Another subcommand beside the VALIDATE may rewrite the table: the whole statement stays bounded.
    expect(waitingKind('ALTER TABLE t ADD COLUMN x int, VALIDATE CONSTRAINT c')).toBe('other');
    expect(waitingKind('CREATE INDEX i ON t (a)')).toBe('other');
    expect(waitingKind('DROP INDEX CONCURRENTLY IF EXISTS "i"')).toBe('other');
    expect(waitingKind('SELECT pg_sleep(3)')).toBe('other');
  });
});
