/**
 * A proof is for the data as it is now (docs/gates): a step that completes after the latest passing
 * validation — `run --redo` of a backfill, most often — makes that validation stale, so the validate
 * phase runs again before the contract may start.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../../src/db/connection.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadPlan } from '../../src/plan/load.js';
import { contractBlockers } from '../../src/runner/guards.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('runner_stale_proof');
});

/** A plan copying leads into customers (no where, no onConflict: a redo inserts every row again). */
function copyPlan(dir: string, id: string, prefix: string): string {
  return writePlan(
    dir,
    `{ id: '${id}',
    expand: [op.createTable({ id: 'customers', table: '${prefix}_customer', columns: { id: 'bigint generated always as identity primary key', lead_id: 'bigint not null' } })],
    backfill: [backfill.insert({ id: 'copy', from: '${prefix}_lead', into: '${prefix}_customer', values: { lead_id: 'id' } })],
    validate: [
      check.query({ id: 'one-per-lead', title: 'one customer per lead', sql: 'SELECT lead_id FROM ${prefix}_customer GROUP BY lead_id HAVING count(*) > 1', expect: 'empty' }),
      check.rowCount({ id: 'all-copied', table: '${prefix}_customer', equals: 3 }),
    ],
    contract: [op.dropTable({ id: 'drop-leads', table: '${prefix}_lead' })] }`,
  );
}

const leadsLeft = async (prefix: string) =>
  (await query(url, `SELECT to_regclass('${prefix}_lead') AS t`))[0].t !== null;

describe('a stale proof', () => {
  it('run --redo <backfill> --phase validate runs the proof again; it fails, and the next run does not start the contract', async () => {
    await query(url, 'CREATE TABLE a_lead (id bigint primary key); INSERT INTO a_lead SELECT generate_series(1, 3)');
    const file = copyPlan(tempDir(), 'stale-a', 'a');
    const first = await runFile(file, { databaseUrl: url, phase: 'validate' });
    expect(first.exitCode, first.message).toBe(0);
    expect(first.checks.map((c) => c.status)).toEqual(['pass', 'pass']);

    const redo = await runFile(file, { databaseUrl: url, phase: 'validate', redo: ['copy'] });
    expect(await query(url, 'SELECT count(*)::int AS n FROM a_customer')).toEqual([{ n: 6 }]);
    expect(redo.checks.map((c) => [c.stepId, c.status])).toEqual([
      ['one-per-lead', 'fail'],
      ['all-copied', 'fail'],
    ]);
    expect(redo.exitCode).toBe(1);

    const next = await runFile(file, { databaseUrl: url });
    expect(next.exitCode).toBe(1);
    expect(next.message).toContain('the contract phase did not start');
    expect(await leadsLeft('a')).toBe(true);
  });

  it('the contract guard names the step that completed after the latest passing proof', async () => {
    await query(url, 'CREATE TABLE b_lead (id bigint primary key); INSERT INTO b_lead SELECT generate_series(1, 3)');
    const file = copyPlan(tempDir(), 'stale-b', 'b');
    expect((await runFile(file, { databaseUrl: url, phase: 'validate' })).exitCode).toBe(0);
    // The redo stops before the validate phase: the proof on record predates it.
    expect((await runFile(file, { databaseUrl: url, phase: 'backfill', redo: ['copy'] })).exitCode).toBe(0);
    const plan = await loadPlan(file);
    const db = new Db(url);
    try {
      const ledger = new Ledger(db, 'tidemark');
      expect(await contractBlockers(ledger, plan, await ledger.stepStates(plan.id))).toEqual([
        'the validate phase has not passed since step "copy" completed (a later run changed the data)',
      ]);
    } finally {
      await db.close();
    }
    const next = await runFile(file, { databaseUrl: url });
    expect(next.exitCode).toBe(1);
    expect(next.checks.map((c) => c.status)).toEqual(['fail', 'fail']);
    expect(await leadsLeft('b')).toBe(true);
  });

  it('a proof that passed after the redo is fresh: the contract runs', async () => {
    await query(url, 'CREATE TABLE c_lead (id bigint primary key); INSERT INTO c_lead SELECT generate_series(1, 3)');
    const file = copyPlan(tempDir(), 'stale-c', 'c');
    expect((await runFile(file, { databaseUrl: url, phase: 'validate' })).exitCode).toBe(0);
    // Undo the copy by hand, then redo it: the data is right again and the proof says so.
    await query(url, 'TRUNCATE c_customer');
    const redo = await runFile(file, { databaseUrl: url, phase: 'validate', redo: ['copy'] });
    expect(redo.exitCode, redo.message).toBe(0);
    expect(redo.checks.map((c) => c.status)).toEqual(['pass', 'pass']);
    const done = await runFile(file, { databaseUrl: url });
    expect(done.exitCode, done.message).toBe(0);
    expect(await leadsLeft('c')).toBe(false);
  });
});
