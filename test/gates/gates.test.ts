/**
 * Each gate kind closed and open, called directly; approvals and flags recorded in the ledger.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kind as approval } from '../../src/gates/approval.js';
import { kind as command, runCommand, TAIL_BYTES } from '../../src/gates/command.js';
import { kind as flag } from '../../src/gates/flag.js';
import { kind as window, windowVerdict } from '../../src/gates/window.js';
import { installLedger } from '../../src/ledger/install.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { setFlag } from '../../src/ledger/records.js';
import { Db, planOf, readCtx } from '../checks/context.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writeFiles } from '../helpers/plan-files.js';

let url: string;
let db: Db;
let ledger: Ledger;
let runId: number;

beforeAll(async () => {
  url = await createTestDatabase('gates_kinds');
  db = new Db(url);
});
afterAll(() => db.close());

const gctx = (extra: Parameters<typeof readCtx>[1] = {}, run: number | null = null) => ({
  ...readCtx(db, extra),
  runId: run,
});

describe('gate.flag', () => {
  it('is closed without a ledger, then until the flag is on; flag changes are recorded', async () => {
    const o = flag.schema.parse({ id: 'wait-for-flag', flag: 'tenancy.reads' });
    expect(await flag.evaluate(gctx(), o)).toEqual({
      open: false,
      reason: 'flag "tenancy.reads" is not set (no ledger in this database yet)',
      opensWhen: 'npx tidemark flag set tenancy.reads on',
    });
    await installLedger(db, 'tidemark');
    ledger = new Ledger(db, 'tidemark');
    expect((await flag.evaluate(gctx({ ledger }), o)).reason).toBe('flag "tenancy.reads" has never been set');
    await setFlag(ledger, 'tenancy.reads', false, 'alice');
    const off = await flag.evaluate(gctx({ ledger }), o);
    expect(off.open).toBe(false);
    expect(off.reason).toMatch(/^flag "tenancy.reads" is off \(set by alice at /);
    await setFlag(ledger, 'tenancy.reads', true, 'bob');
    const on = await flag.evaluate(gctx({ ledger }), o);
    expect(on.open).toBe(true);
    expect(on.detail).toMatchObject({ flag: 'tenancy.reads', enabled: true, setBy: 'bob' });
    const hist = await query(url, `SELECT name, enabled, set_by FROM tidemark.flag_history ORDER BY id`);
    expect(hist).toEqual([
      { name: 'tenancy.reads', enabled: false, set_by: 'alice' },
      { name: 'tenancy.reads', enabled: true, set_by: 'bob' },
    ]);
  });
});

describe('gate.approval', () => {
  it('is closed until --approve names it; the approval (who, when) is recorded and kept', async () => {
    const plan = planOf('approval-plan');
    await query(url, `INSERT INTO tidemark.plans (plan_id, title, checksum) VALUES ('approval-plan', 't', 'x')`);
    runId = Number(
      (
        await query<{ run_id: string }>(
          url,
          `INSERT INTO tidemark.runs (plan_id, command, plan_checksum, run_by) VALUES ('approval-plan', 'run', 'x', 'carol') RETURNING run_id`,
        )
      )[0].run_id,
    );
    const o = approval.schema.parse({ id: 'dba-sign-off' });
    expect(await approval.evaluate(gctx({ ledger, plan }, runId), o)).toEqual({
      open: false,
      reason: 'waiting for approval "dba-sign-off"',
      opensWhen: 'run again with --approve dba-sign-off',
    });
    expect(
      (await approval.evaluate(gctx({ ledger, plan, settings: { approvals: ['other-gate'] } }, runId), o)).open,
    ).toBe(false);
    const r = await approval.evaluate(
      gctx({ ledger, plan, settings: { approvals: ['dba-sign-off'], actor: 'carol@db1' } }, runId),
      o,
    );
    expect(r.open).toBe(true);
    expect(r.reason).toBe('approved by carol@db1 (--approve dba-sign-off)');
    const rows = await query(
      url,
      `SELECT plan_id, gate_id, run_id::int, approved_by, at IS NOT NULL AS has_time FROM tidemark.approvals`,
    );
    expect(rows).toEqual([
      { plan_id: 'approval-plan', gate_id: 'dba-sign-off', run_id: runId, approved_by: 'carol@db1', has_time: true },
    ]);
    // Recorded, but the gate step never completed (the run stopped before): a later run asks again.
    expect(await approval.evaluate(gctx({ ledger, plan }, null), o)).toMatchObject({
      open: false,
      reason: 'waiting for approval "dba-sign-off"',
    });
    // The runner marks an opened gate completed: a later run (resumed) finds it open without --approve.
    await query(
      url,
      `INSERT INTO tidemark.steps (plan_id, step_id, phase, kind, position, checksum, status) VALUES ('approval-plan', 'dba-sign-off', 'contract', 'gate.approval', 0, 'x', 'completed')`,
    );
    const later = await approval.evaluate(gctx({ ledger, plan }, null), o);
    expect(later.open).toBe(true);
    expect(later.reason).toMatch(/^approved by carol@db1 at \d{4}-/);
    expect(later.detail).toMatchObject({ approvedBy: 'carol@db1', runId });
  });

  it('an approval does not outlive a rollback or a --redo of its gate', async () => {
    const plan = planOf('approval-plan');
    const o = approval.schema.parse({ id: 'dba-sign-off' });
    // Rolled back after the approval (even if the step row still read completed): closed, saying why.
    await query(
      url,
      `INSERT INTO tidemark.step_history (plan_id, step_id, run_id, event) VALUES ('approval-plan', 'dba-sign-off', $1, 'rolled_back')`,
      [runId],
    );
    const rolled = await approval.evaluate(gctx({ ledger, plan }, null), o);
    expect(rolled.open).toBe(false);
    expect(rolled.reason).toMatch(
      /^waiting for approval "dba-sign-off" \(the approval by carol@db1 at \d{4}-\S+ no longer counts: the gate was rolled back since\)$/,
    );
    // A fresh --approve opens it and counts again on later runs.
    expect(
      (
        await approval.evaluate(
          gctx({ ledger, plan, settings: { approvals: ['dba-sign-off'], actor: 'dan' } }, runId),
          o,
        )
      ).open,
    ).toBe(true);
    expect(await approval.evaluate(gctx({ ledger, plan }, null), o)).toMatchObject({
      open: true,
      reason: expect.stringMatching(/^approved by dan at /),
    });
    // --redo of the gate resets it: the approval before it no longer counts.
    await query(
      url,
      `INSERT INTO tidemark.step_history (plan_id, step_id, run_id, event) VALUES ('approval-plan', 'dba-sign-off', $1, 'reset')`,
      [runId],
    );
    expect((await approval.evaluate(gctx({ ledger, plan }, null), o)).reason).toMatch(
      /no longer counts: the gate was reset by --redo since\)$/,
    );
  });
});

describe('gate.window', () => {
  const at = (iso: string) => new Date(iso);
  it('is open inside the window and closed outside, in the given time zone', () => {
    expect(windowVerdict(at('2026-03-10T02:30:00Z'), ['02:00', '04:00'])).toMatchObject({
      open: true,
      localTime: '02:30',
    });
    expect(windowVerdict(at('2026-03-10T04:00:00Z'), ['02:00', '04:00']).open).toBe(false);
    const paris = windowVerdict(at('2026-03-10T02:30:00Z'), ['02:00', '04:00'], 'Europe/Paris');
    expect(paris).toMatchObject({ open: true, localTime: '03:30' });
    const ny = windowVerdict(at('2026-03-10T02:30:00Z'), ['02:00', '04:00'], 'America/New_York');
    expect(ny.open).toBe(false);
    expect(ny.reason).toBe('it is 22:30 America/New_York, outside the window 02:00–04:00 America/New_York');
    expect(ny.opensWhen).toBe('the window opens at 2026-03-10 02:00 America/New_York (in 3 h 30 min); run again then');
    expect(ny.nextOpen).toBe('2026-03-10T06:00:00.000Z');
  });

  it('handles windows crossing midnight', () => {
    expect(windowVerdict(at('2026-03-10T23:15:00Z'), ['22:00', '02:00']).open).toBe(true);
    expect(windowVerdict(at('2026-03-10T01:59:00Z'), ['22:00', '02:00']).open).toBe(true);
    const closed = windowVerdict(at('2026-03-10T12:00:00Z'), ['22:00', '02:00']);
    expect(closed.open).toBe(false);
    expect(closed.opensWhen).toBe('the window opens at 2026-03-10 22:00 UTC (in 10 h); run again then');
  });

  it('says the right local time across a daylight-saving change', () => {
    // Europe/Paris moves from +01:00 to +02:00 on 2026-03-29 at 02:00 local.
    const v = windowVerdict(at('2026-03-28T12:00:00Z'), ['04:00', '05:00'], 'Europe/Paris');
    expect(v.opensWhen).toMatch(/^the window opens at 2026-03-29 04:00 Europe\/Paris/);
    expect(v.nextOpen).toBe('2026-03-29T02:00:00.000Z');
  });

  it('refuses an unknown time zone and an empty window; evaluates with the real clock', async () => {
    expect(
      window.validate(window.schema.parse({ id: 'w', between: ['02:00', '02:00'], timezone: 'Mars/Olympus' })),
    ).toEqual([
      {
        field: 'timezone',
        message: '"Mars/Olympus" is not a known IANA time zone (e.g. "Europe/Paris", "America/New_York", "UTC")',
      },
      { field: 'between', message: 'start and end are the same time: the window would be empty' },
    ]);
    const now = new Date();
    const hh = (d: Date) => d.toISOString().slice(11, 16);
    const around = [hh(new Date(now.getTime() - 3600_000)), hh(new Date(now.getTime() + 3600_000))] as [string, string];
    expect((await window.evaluate(gctx(), window.schema.parse({ id: 'w', between: around }))).open).toBe(true);
    const away = [hh(new Date(now.getTime() + 3 * 3600_000)), hh(new Date(now.getTime() + 4 * 3600_000))] as [
      string,
      string,
    ];
    const closed = await window.evaluate(gctx(), window.schema.parse({ id: 'w', between: away }));
    expect(closed.open).toBe(false);
    expect(closed.opensWhen).toMatch(/\(in 2 h 5\d min|\(in 3 h\)/);
  });
});

describe('gate.command', () => {
  it('is open on exit 0, runs in the plan directory (or cwd) with a shell', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'scripts/ok.sh': 'echo fine from $(basename "$PWD")\n' });
    const plan = planOf('cmd', dir);
    const r = await command.evaluate(
      gctx({ plan }),
      command.schema.parse({ id: 'ok', command: 'sh scripts/ok.sh && true' }),
    );
    expect(r.open).toBe(true);
    expect(r.detail).toMatchObject({ exitCode: 0, outputTail: `fine from ${dir.split('/').pop()}\n` });
    const sub = await command.evaluate(
      gctx({ plan }),
      command.schema.parse({ id: 'ok', command: 'pwd', cwd: 'scripts' }),
    );
    expect(sub.detail).toMatchObject({ cwd: `${dir}/scripts` });
  });

  it('is closed on a non-zero exit, with the exit code and the tail of the output', async () => {
    const plan = planOf('cmd', tempDir());
    const r = await command.evaluate(
      gctx({ plan }),
      command.schema.parse({ id: 'typecheck', command: 'echo "src/a.ts(1,1): error TS2322" >&2; echo done; exit 2' }),
    );
    expect(r.open).toBe(false);
    expect(r.reason).toBe('`echo "src/a.ts(1,1): error TS2322" >&2; echo done; exit 2` exited with 2');
    // stdout and stderr are separate pipes: both are kept, in arrival order.
    expect(r.opensWhen).toContain('last output:\n');
    expect(r.opensWhen).toContain('src/a.ts(1,1): error TS2322');
    expect(r.opensWhen).toMatch(/\ndone|done\n/);
    expect(r.detail).toMatchObject({ exitCode: 2, timedOut: false });
  });

  it('keeps only the last ~4 KB of output and kills the command on timeout', async () => {
    const big = await runCommand(`for i in $(seq 1 5000); do echo "line $i"; done`, tempDir(), 10_000);
    expect(big.exitCode).toBe(0);
    expect(big.tail.length).toBeLessThanOrEqual(TAIL_BYTES + 2);
    expect(big.tail.endsWith('line 5000\n')).toBe(true);
    expect(big.tail.startsWith('… line ')).toBe(true);
    const t0 = Date.now();
    const slow = await command.evaluate(
      gctx({ plan: planOf('cmd', tempDir()) }),
      command.schema.parse({ id: 'slow', command: 'echo started; sleep 30', timeoutMs: 300 }),
    );
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(slow.open).toBe(false);
    expect(slow.reason).toBe('`echo started; sleep 30` did not finish within 300 ms (killed)');
    expect(slow.detail).toMatchObject({ timedOut: true, outputTail: 'started\n' });
  });

  it('removes passwords from the output it keeps', async () => {
    const r = await runCommand('echo "connecting to postgres://app:s3cr3t@db/prod"', tempDir(), 10_000);
    expect(r.tail).toBe('connecting to postgres://app:***@db/prod\n');
  });

  it('is closed with the reason when the directory does not exist', async () => {
    const r = await command.evaluate(
      gctx({ plan: planOf('cmd', '/nonexistent-dir-tidemark') }),
      command.schema.parse({ id: 'x', command: 'true' }),
    );
    expect(r.open).toBe(false);
    expect(r.reason).toMatch(/could not start/);
  });
});
