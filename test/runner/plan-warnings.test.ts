/**
 * Plan-level and database-aware lint findings are warnings at run time (docs/cli.md): `run` (and its dry
 * run) shows them as `notice` events with level 'warn' before the first step, and runs the plan anyway.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('runner_plan_warnings');
});

describe('plan-level lint findings at run time', () => {
  it('a backfill without where (backfill-not-idempotent) is a warning before the first step; the run proceeds', async () => {
    await query(
      url,
      `CREATE TABLE warn_t (id int primary key, a text, b text); INSERT INTO warn_t SELECT g, 'x' || g, NULL FROM generate_series(1, 5) g`,
    );
    const file = writePlan(
      tempDir(),
      `{ id: 'warn-plan', backfill: [backfill.update({ id: 'fill-b', table: 'warn_t', set: { b: 'a' } })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode, r.message).toBe(0);
    const warnings = r.events.filter((e) => e.type === 'notice' && e.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ type: 'notice', level: 'warn', stepId: 'fill-b' });
    const w = warnings[0] as { message: string };
    expect(w.message).toContain('backfill-not-idempotent');
    expect(w.message).toContain('has no where');
    const firstStep = r.events.findIndex((e) => e.type === 'step.start');
    expect(r.events.indexOf(warnings[0])).toBeLessThan(firstStep);
    expect(await query(url, 'SELECT count(*)::int AS n FROM warn_t WHERE b = a')).toEqual([{ n: 5 }]);
    // Applied steps are history: a rerun with nothing pending does not warn again.
    const again = await runFile(file, { databaseUrl: url });
    expect(again.events.filter((e) => e.type === 'notice' && e.level === 'warn')).toEqual([]);
  });

  it('a suppressed plan-level finding is not shown', async () => {
    await query(
      url,
      `CREATE TABLE quiet_t (id int primary key, a text, b text); INSERT INTO quiet_t VALUES (1, 'x', NULL)`,
    );
    const file = writePlan(
      tempDir(),
      `{ id: 'quiet-plan', backfill: [
      // tidemark-ignore backfill-not-idempotent: a one-off copy, never redone
      backfill.update({ id: 'fill-b', table: 'quiet_t', set: { b: 'a' } }),
    ] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode, r.message).toBe(0);
    expect(r.events.filter((e) => e.type === 'notice' && e.level === 'warn')).toEqual([]);
  });

  it('a database-aware finding (a transaction holding a lock on a table raw SQL alters) is a warning too', async () => {
    await query(url, 'CREATE TABLE busy_t (id int primary key)');
    const file = writePlan(
      tempDir(),
      `{ id: 'busy-plan', expand: [sql({ id: 'add-note', up: 'ALTER TABLE busy_t ADD COLUMN note text' })] }`,
    );
    const holder = await connect(url);
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT * FROM busy_t');
      const r = await runFile(file, {
        databaseUrl: url,
        dryRun: true,
        config: { lint: { longTransactionSeconds: 0 } },
      });
      expect(r.exitCode, r.message).toBe(0);
      const warnings = r.events.filter((e) => e.type === 'notice' && e.level === 'warn') as {
        stepId?: string;
        message: string;
      }[];
      expect(warnings.map((w) => w.stepId)).toEqual(['add-note']);
      expect(warnings[0].message).toContain('long-running-transaction');
      expect(warnings[0].message).toContain('holds AccessShareLock on "busy_t"');
      expect(r.steps.map((s) => [s.stepId, s.outcome])).toEqual([['add-note', 'dry-run']]);
    } finally {
      await holder.end();
    }
    // Without the transaction: no warning, and the real run applies the step.
    const r = await runFile(file, { databaseUrl: url, config: { lint: { longTransactionSeconds: 0 } } });
    expect(r.exitCode, r.message).toBe(0);
    expect(r.events.filter((e) => e.type === 'notice' && e.level === 'warn')).toEqual([]);
  });
});
