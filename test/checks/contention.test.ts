/**
 * A check on a table another session holds an ACCESS EXCLUSIVE lock on: it waits with backoff,
 * reporting the blocker, and proceeds once the lock is released; when the lock outlasts the retries
 * the check fails naming the blocking backend — it never hangs silently.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LOCK_POLICY, type LockPolicy } from '../../src/db/lock-policy.js';
import type { TidemarkEvent } from '../../src/kind/events.js';
import { check, definePlan } from '../../src/plan/define.js';
import { validatePlan } from '../../src/plan/validate.js';
import type { Session } from '../../src/runner/context.js';
import { evaluateCheck } from '../../src/runner/evaluate-check.js';
import { connect, createTestDatabase, query } from '../helpers/db.js';
import { Db } from './context.js';

let url: string;
let db: Db;
beforeAll(async () => {
  url = await createTestDatabase('checks_contention');
  db = new Db(url);
  await query(url, `CREATE TABLE "Busy" (id int PRIMARY KEY, v text); INSERT INTO "Busy" VALUES (1, 'a'), (2, NULL)`);
});
afterAll(() => db.close());

async function session(
  policy: LockPolicy,
  events: TidemarkEvent[],
): Promise<{ s: Session; step: Session['plan']['steps'][number] }> {
  const plan = await validatePlan(
    definePlan({ id: 'contention', validate: [check.noNulls({ id: 'busy-v', table: 'Busy', column: 'v' })] }),
  );
  const s: Session = {
    db,
    plan,
    ledgerSchema: 'tidemark',
    policy,
    emit: (e) => events.push(e),
    appliedSteps: new Set(),
    fused: new Map(),
    settings: { backfillTargetMs: 200, shadowThresholdRows: 1e6, approvals: [], actor: 't' },
  };
  return { s, step: plan.steps[0] };
}

describe('checks under lock contention', () => {
  it('waits for a lock held by another session, reporting the blocker, then evaluates', async () => {
    const holder = await connect(url);
    const pid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE "Busy" IN ACCESS EXCLUSIVE MODE');
    const events: TidemarkEvent[] = [];
    const { s, step } = await session({ ...DEFAULT_LOCK_POLICY, lockTimeoutMs: 100, baseDelayMs: 100 }, events);
    const pending = evaluateCheck(s, step, null);
    await new Promise((r) => setTimeout(r, 900));
    await holder.query('COMMIT');
    await holder.end();
    const r = await pending;
    expect(r).toMatchObject({ status: 'fail', actual: 1, sample: [{ id: 2, v: null }] });
    const retries = events.filter((e) => e.type === 'lock.retry');
    expect(retries.length).toBeGreaterThan(0);
    expect(
      retries.some((e) => e.type === 'lock.retry' && e.stepId === 'busy-v' && e.blockers.some((b) => b.pid === pid)),
    ).toBe(true);
  });

  it('gives up after the retries, naming the blocking backend', async () => {
    const holder = await connect(url);
    const pid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE "Busy" IN ACCESS EXCLUSIVE MODE');
    try {
      const { s, step } = await session(
        { ...DEFAULT_LOCK_POLICY, lockTimeoutMs: 100, retries: 2, baseDelayMs: 50 },
        [],
      );
      const r = await evaluateCheck(s, step, null);
      expect(r).toMatchObject({ status: 'fail', error: true });
      expect(r.message).toContain('check "busy-v" (reading Busy): could not acquire its lock after 2 attempts');
      expect(r.message).toContain(`pid ${pid}`);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
  });

  it('leaves a missing table for the check to report', async () => {
    const plan = await validatePlan(
      definePlan({ id: 'missing', validate: [check.noNulls({ id: 'gone', table: 'no_such_table', column: 'v' })] }),
    );
    const s: Session = {
      db,
      plan,
      ledgerSchema: 'tidemark',
      policy: DEFAULT_LOCK_POLICY,
      emit: () => undefined,
      appliedSteps: new Set(),
      fused: new Map(),
      settings: { backfillTargetMs: 200, shadowThresholdRows: 1e6, approvals: [], actor: 't' },
    };
    const r = await evaluateCheck(s, plan.steps[0], null);
    expect(r).toMatchObject({
      status: 'fail',
      error: true,
      message: 'the check could not run: table "no_such_table" does not exist',
    });
  });
});
