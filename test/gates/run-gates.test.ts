/**
 * Gates through the runner: a closed gate stops the run with exit 5 and says what opens it; once
 * opened, a rerun proceeds. Approvals and gate verdicts are recorded in the ledger.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../../src/db/connection.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { setFlag } from '../../src/ledger/records.js';
import { loadPlan } from '../../src/plan/load.js';
import { rollbackPlan } from '../../src/runner/rollback.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('gates_run');
});

const made = async (t: string) =>
  (await query<{ t: string | null }>(url, `SELECT to_regclass($1)::text AS t`, [t]))[0].t !== null;

describe('gates in a run', () => {
  it('approval: exit 5 naming --approve, then the approved run proceeds and records who', async () => {
    const file = writePlan(
      tempDir(),
      `{
      id: 'gated-approval',
      expand: [sql({ id: 'make-a', up: 'CREATE TABLE gated_a (id int)', down: 'DROP TABLE gated_a' })],
      contract: [gate.approval({ id: 'dba-sign-off' }), sql({ id: 'make-b', up: 'CREATE TABLE gated_b (id int)', down: 'DROP TABLE gated_b' })],
    }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(5);
    expect(r.status).toBe('gate');
    expect(r.message).toBe('stopped at gate "dba-sign-off": waiting for approval "dba-sign-off"');
    expect(r.hint).toBe('run again with --approve dba-sign-off');
    expect(r.events).toContainEqual({
      type: 'gate.closed',
      stepId: 'dba-sign-off',
      kind: 'gate.approval',
      reason: 'waiting for approval "dba-sign-off"',
      opensWhen: 'run again with --approve dba-sign-off',
    });
    expect(await made('gated_a')).toBe(true);
    expect(await made('gated_b')).toBe(false);

    const ok = await runFile(file, { databaseUrl: url, approvals: ['dba-sign-off'], actor: 'dana@ops' });
    expect(ok.message).toBeUndefined();
    expect(ok.exitCode).toBe(0);
    expect(await made('gated_b')).toBe(true);
    expect(
      await query(
        url,
        `SELECT gate_id, approved_by, run_id = (SELECT max(run_id) FROM tidemark.runs) AS this_run FROM tidemark.approvals`,
      ),
    ).toEqual([{ gate_id: 'dba-sign-off', approved_by: 'dana@ops', this_run: true }]);
    expect(
      await query(url, `SELECT step_id, open FROM tidemark.gate_results WHERE plan_id = 'gated-approval' ORDER BY id`),
    ).toEqual([
      { step_id: 'dba-sign-off', open: false },
      { step_id: 'dba-sign-off', open: true },
    ]);
  });

  it('flag: exit 5 naming `tidemark flag set`, then proceeds once the flag is on', async () => {
    const file = writePlan(
      tempDir(),
      `{
      id: 'gated-flag',
      contract: [gate.flag({ id: 'reads-moved', flag: 'reads_on_new_column' }), sql({ id: 'make-c', up: 'CREATE TABLE gated_c (id int)', down: 'DROP TABLE gated_c' })],
    }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(5);
    expect(r.hint).toBe('npx tidemark flag set reads_on_new_column on');
    const db = new Db(url);
    try {
      await setFlag(new Ledger(db, 'tidemark'), 'reads_on_new_column', true, 'erin');
    } finally {
      await db.close();
    }
    const ok = await runFile(file, { databaseUrl: url });
    expect(ok.exitCode).toBe(0);
    expect(await made('gated_c')).toBe(true);
  });

  it('command: the output tail says why it is closed', async () => {
    const file = writePlan(
      tempDir(),
      `{
      id: 'gated-command',
      expand: [gate.command({ id: 'typecheck', command: 'echo "2 type errors"; exit 3' }), sql({ id: 'make-d', up: 'CREATE TABLE gated_d (id int)', down: 'DROP TABLE gated_d' })],
    }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(5);
    expect(r.message).toBe('stopped at gate "typecheck": `echo "2 type errors"; exit 3` exited with 3');
    expect(r.hint).toMatch(/last output:\n2 type errors$/);
    expect(await made('gated_d')).toBe(false);
    const detail = await query(
      url,
      `SELECT detail->>'exitCode' AS code, detail->>'outputTail' AS tail FROM tidemark.gate_results WHERE plan_id = 'gated-command'`,
    );
    expect(detail).toEqual([{ code: '3', tail: '2 type errors\n' }]);
  });

  it('window: a plan with an unknown time zone is refused before anything runs', async () => {
    const file = writePlan(
      tempDir(),
      `{
      id: 'gated-window',
      contract: [gate.window({ id: 'night', between: ['02:00', '04:00'], timezone: 'Nowhere/Town' })],
    }`,
    );
    const r = await runFile(file, { databaseUrl: url }).catch((e: Error) => ({ exitCode: 2, message: e.message }));
    expect(r.exitCode).toBe(2);
    expect(r.message).toMatch(/contract.*night.*timezone.*"Nowhere\/Town" is not a known IANA time zone/s);
  });
});

describe('resuming past a gate', () => {
  it('an approval recorded by a run that then failed still opens the gate on the rerun', async () => {
    const file = writePlan(
      tempDir(),
      `{
      id: 'approval-resume',
      contract: [gate.approval({ id: 'go' }), sql({ id: 'needs-table', up: 'INSERT INTO resume_target VALUES (1)', down: 'DELETE FROM resume_target' })],
    }`,
    );
    const first = await runFile(file, { databaseUrl: url, approvals: ['go'], actor: 'fay' });
    expect(first.exitCode).toBe(1);
    await query(url, 'CREATE TABLE resume_target (id int)');
    const again = await runFile(file, { databaseUrl: url });
    expect(again.message).toBeUndefined();
    expect(again.exitCode).toBe(0);
    expect(again.events).toContainEqual(
      expect.objectContaining({
        type: 'gate.open',
        stepId: 'go',
        reason: expect.stringMatching(/^approved by fay at /),
      }),
    );
    expect(await query(url, 'SELECT count(*)::int AS n FROM resume_target')).toEqual([{ n: 1 }]);
  });

  it('an approval does not outlive a rollback of its gate: the next run needs a fresh --approve', async () => {
    const file = writePlan(
      tempDir(),
      `{
      id: 'approval-rolled-back',
      expand: [sql({ id: 'make-e', up: 'CREATE TABLE gated_e (id int)', down: 'DROP TABLE gated_e' })],
      contract: [gate.approval({ id: 'ship' }), sql({ id: 'make-f', up: 'CREATE TABLE gated_f (id int)', down: 'DROP TABLE gated_f' })],
    }`,
    );
    const approved = await runFile(file, { databaseUrl: url, approvals: ['ship'], actor: 'gus' });
    expect(approved.exitCode, approved.message).toBe(0);
    expect(await made('gated_f')).toBe(true);
    const rb = await rollbackPlan(await loadPlan(file), { databaseUrl: url });
    expect(rb.exitCode, rb.message).toBe(0);
    expect(await made('gated_e')).toBe(false);

    const again = await runFile(file, { databaseUrl: url });
    expect(again.exitCode).toBe(5);
    expect(again.status).toBe('gate');
    expect(again.message).toMatch(
      /^stopped at gate "ship": waiting for approval "ship" \(the approval by gus at \S+ no longer counts: the gate was rolled back since\)$/,
    );
    expect(again.hint).toBe('run again with --approve ship');
    expect(again.events.some((e) => e.type === 'gate.open')).toBe(false);
    expect(await made('gated_e')).toBe(true);
    expect(await made('gated_f')).toBe(false);

    const fresh = await runFile(file, { databaseUrl: url, approvals: ['ship'], actor: 'hana' });
    expect(fresh.exitCode, fresh.message).toBe(0);
    expect(await made('gated_f')).toBe(true);
    expect(
      await query(url, `SELECT approved_by FROM tidemark.approvals WHERE plan_id = 'approval-rolled-back' ORDER BY id`),
    ).toEqual([{ approved_by: 'gus' }, { approved_by: 'hana' }]);
  });

  it('a run resumed past an opened gate is not asked again; --redo of the gate asks for a fresh approval', async () => {
    const file = writePlan(
      tempDir(),
      `{
      id: 'approval-redo',
      contract: [gate.approval({ id: 'ship' }), sql({ id: 'make-g', up: 'CREATE TABLE gated_g (id int)', down: 'DROP TABLE gated_g' }), gate.flag({ id: 'later', flag: 'approval_redo_later' }), sql({ id: 'make-h', up: 'CREATE TABLE gated_h (id int)', down: 'DROP TABLE gated_h' })],
    }`,
    );
    const first = await runFile(file, { databaseUrl: url, approvals: ['ship'], actor: 'ivy' });
    expect(first.exitCode, first.message).toBe(5);
    expect(first.message).toMatch(/^stopped at gate "later"/);
    // Resumed without --approve: the gate that opened stays open, the run stops at the next one.
    const resumed = await runFile(file, { databaseUrl: url });
    expect(resumed.exitCode).toBe(5);
    expect(resumed.message).toMatch(/^stopped at gate "later"/);
    expect(resumed.events).toContainEqual(
      expect.objectContaining({
        type: 'gate.open',
        stepId: 'ship',
        reason: expect.stringMatching(/^approved by ivy at /),
      }),
    );
    const redo = await runFile(file, { databaseUrl: url, redo: ['ship'] });
    expect(redo.exitCode).toBe(5);
    expect(redo.message).toMatch(
      /^stopped at gate "ship": waiting for approval "ship" \(the approval by ivy at \S+ no longer counts: the gate was reset by --redo since\)$/,
    );
  });
});
