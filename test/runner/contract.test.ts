import { beforeAll, describe, expect, it } from 'vitest';
import { setFlag } from '../../src/api/flags.js';
import { Db } from '../../src/db/connection.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { loadPlan } from '../../src/plan/load.js';
import { contractBlockers } from '../../src/runner/guards.js';
import { rollbackPlan } from '../../src/runner/rollback.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('runner_contract');
});

describe('the contract phase', () => {
  it('removes a keepInSync trigger just before the step that drops its source, so writes keep working', async () => {
    await query(
      url,
      `CREATE TABLE msgs (id bigint primary key, model text); INSERT INTO msgs SELECT g, 'm' || g FROM generate_series(1, 50) g`,
    );
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{ id: 'sync-then-drop',
      expand: [op.addColumn({ id: 'add', table: 'msgs', column: 'model_used', type: 'text' })],
      backfill: [backfill.update({ id: 'fill', table: 'msgs', set: { model_used: 'model' }, where: 'model_used IS NULL', keepInSync: true })],
      validate: [check.columnsMatch({ id: 'copied', table: 'msgs', column: 'model_used', equals: 'model' })],
      contract: [gate.flag({ id: 'cutover', flag: 'msgs_cutover' }), op.dropColumn({ id: 'drop-model', table: 'msgs', column: 'model' })] }`,
    );
    const first = await runFile(file, { databaseUrl: url });
    expect(first.exitCode, first.message).toBe(5);
    // Old code keeps writing the legacy column; the trigger fills the new one.
    await query(url, `INSERT INTO msgs (id, model) VALUES (51, 'legacy')`);
    expect(await query(url, `SELECT model_used FROM msgs WHERE id = 51`)).toEqual([{ model_used: 'legacy' }]);
    const triggers = () =>
      query<{ n: number }>(
        url,
        `SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'msgs'::regclass AND NOT tgisinternal`,
      );
    expect((await triggers())[0].n).toBe(1);
    await setFlag('msgs_cutover', true, { databaseUrl: url });
    const second = await runFile(file, { databaseUrl: url });
    expect(second.exitCode, second.message).toBe(0);
    expect(second.events.some((e) => e.type === 'notice' && e.message.includes('removed the keepInSync trigger'))).toBe(
      true,
    );
    expect((await triggers())[0].n).toBe(0);
    await query(url, `INSERT INTO msgs (id, model_used) VALUES (52, 'new code')`);
    expect(await query(url, `SELECT count(*)::int AS n FROM msgs`)).toEqual([{ n: 52 }]);
  });

  it('its guard lists what is missing: incomplete backfills, a proof not run, failed or run on another plan version', async () => {
    await query(url, `CREATE TABLE half (id int primary key, v text); INSERT INTO half VALUES (1, NULL)`);
    const dir = tempDir();
    const body = (max: number) => `{ id: 'half-done',
      backfill: [backfill.update({ id: 'fill', table: 'half', set: { v: "'x'" }, where: 'v IS NULL' })],
      validate: [check.rowCount({ id: 'rows', table: 'half', max: ${max} })],
      contract: [sql({ id: 'drop', up: 'DROP TABLE half' })] }`;
    const file = writePlan(dir, body(0));
    const plan = await loadPlan(file);
    expect((await runFile(file, { databaseUrl: url, phase: 'backfill' })).exitCode).toBe(0);
    const db = new Db(url);
    const ledger = new Ledger(db, 'tidemark');
    try {
      expect(await contractBlockers(ledger, plan, await ledger.stepStates(plan.id))).toEqual([
        'the validate phase has not run',
      ]);
      expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(1);
      expect(await contractBlockers(ledger, plan, await ledger.stepStates(plan.id))).toEqual([
        'the latest validate phase failed (rows)',
      ]);
      await query(url, `UPDATE tidemark.steps SET status = 'failed' WHERE plan_id = 'half-done' AND step_id = 'fill'`);
      const edited = await loadPlan(writePlan(dir, body(5)));
      expect(await contractBlockers(ledger, edited, await ledger.stepStates(plan.id))).toEqual([
        'backfill "fill" is not complete',
        'the validate phase has not passed on the plan as it is now (the plan changed since)',
      ]);
    } finally {
      await db.close();
    }
    // A real run applies the pending backfill and proves the edited plan before the contract.
    expect((await runFile(writePlan(dir, body(5)), { databaseUrl: url })).exitCode).toBe(0);
    expect(await query(url, `SELECT to_regclass('half') AS t`)).toEqual([{ t: null }]);
  });

  it('rolling back a keepInSync backfill without down removes its trigger', async () => {
    await query(
      url,
      `CREATE TABLE rb_sync (id bigint primary key, a text); INSERT INTO rb_sync SELECT g, 'x' FROM generate_series(1, 20) g`,
    );
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{ id: 'rb-sync',
      expand: [op.addColumn({ id: 'add-b', table: 'rb_sync', column: 'b', type: 'text' })],
      backfill: [backfill.update({ id: 'fill-b', table: 'rb_sync', set: { b: 'a' }, where: 'b IS NULL', keepInSync: true })],
      contract: [gate.flag({ id: 'cutover', flag: 'rb_sync_cutover' })] }`,
    );
    // Waiting at the gate: the plan is not complete, so the trigger is still there.
    expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(5);
    const triggers = async () =>
      (
        await query<{ n: number }>(
          url,
          `SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'rb_sync'::regclass AND NOT tgisinternal`,
        )
      )[0].n;
    expect(await triggers()).toBe(1);
    const plan = await loadPlan(file);
    const r = await rollbackPlan(plan, { databaseUrl: url, phase: 'backfill' });
    expect(r.exitCode, r.message).toBe(0);
    expect(await triggers()).toBe(0);
    await query(url, `INSERT INTO rb_sync (id, a) VALUES (21, 'y')`);
  });
});
