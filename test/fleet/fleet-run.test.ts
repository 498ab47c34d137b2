/**
 * `tidemark fleet run` on a fleet of 12 databases of one server, one with data that fails the
 * proof: --continue-on-error, the rerun after the data is fixed, the stop after the first failure
 * without it, and no password anywhere (output, report, coordinator tables).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';
import {
  coordinatorText,
  ensureRole,
  fleetDatabase,
  fleetEnv,
  PASSWORD,
  roleUrl,
  seedAccounts,
  writeTargets,
} from './fleet-helpers.js';

const PLAN = `{
  id: 'fleet-email',
  expand: [sql({ id: 'add-lower', up: 'ALTER TABLE accounts ADD COLUMN email_lower text', down: 'ALTER TABLE accounts DROP COLUMN email_lower' })],
  backfill: [sql({ id: 'fill-lower', up: 'UPDATE accounts SET email_lower = lower(email)' })],
  validate: [check.noNulls({ id: 'lower-not-null', table: 'accounts', column: 'email_lower' })],
}`;

const ENCODED = encodeURIComponent(PASSWORD);
const noPassword = (text: string) => {
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(ENCODED);
};

let dir: string;
let plan: string;
let coordinator: string;
const fleet: { name: string; db: string; admin: string }[] = [];

beforeAll(async () => {
  await ensureRole();
  dir = tempDir('tidemark-fleet-');
  plan = writePlan(dir, PLAN, 'email.plan.ts');
  for (let i = 1; i <= 12; i++) {
    const name = `tenant_${String(i).padStart(2, '0')}`;
    const { db, admin } = await fleetDatabase(`fleet_${name}`);
    await seedAccounts(admin, 40, name === 'tenant_07' ? 2 : 0);
    fleet.push({ name, db, admin });
  }
  const c = await fleetDatabase('fleet_coordinator');
  coordinator = roleUrl(c.db);
}, 180_000);

const runsIn = async (admin: string) =>
  (await query<{ n: number }>(admin, 'SELECT count(*)::int AS n FROM tidemark.runs'))[0]!.n;

describe('fleet run over 12 databases', () => {
  it('--continue-on-error: 11 complete, the one with bad data fails with its check and sample (exit 1); fixed and rerun: exit 0, the 11 untouched', async () => {
    const targets = writeTargets(dir, fleet);
    const args = ['fleet', 'run', plan, '--targets', targets, '--coordinator', coordinator, '--concurrency', '4'];
    const first = await cli([...args, '--continue-on-error'], { cwd: dir, env: fleetEnv, timeoutMs: 240_000 });
    const out = first.stdout + first.stderr;
    expect(first.code, out).toBe(1);
    // The closing lines follow the last progress line ("→ NAME running …").
    const lines = first.stdout.split('\n').filter((l) => !l.startsWith('→') && !/\[\d+\/\d+\]$/.test(l));
    for (const t of fleet) {
      const line = lines.find((l) => new RegExp(`^. ${t.name}\\s`).test(l));
      expect(line, out).toBeDefined();
      expect(line).toContain(t.name === 'tenant_07' ? 'failed' : 'completed');
    }
    expect(out).toMatch(/12 targets: 11 completed, 1 failed/);
    // The failing check, with its sample (the offending keys) under the failed target.
    const failedAt = lines.findIndex((l) => /^✗ tenant_07\s/.test(l));
    const detail = lines.slice(failedAt, failedAt + 12).join('\n');
    expect(detail).toContain('lower-not-null');
    expect(detail).toMatch(/\bid\b/);
    noPassword(out);
    noPassword(await coordinatorText(coordinator));

    const report = await cli(['fleet', 'report', plan, '--targets', targets, '--format', 'json'], {
      cwd: dir,
      env: fleetEnv,
    });
    expect(report.code, report.stderr).toBe(0);
    noPassword(report.stdout + report.stderr);
    const model = JSON.parse(report.stdout);
    expect(model.targets[0].name).toBe('tenant_07'); // failures first
    expect(model.targets[0].failedChecks[0].stepId).toBe('lower-not-null');
    expect(model.totals.byState).toEqual({ failed: 1, completed: 11 });
    const md = await cli(['fleet', 'report', plan, '--targets', targets], { cwd: dir, env: fleetEnv });
    expect(md.stdout).toContain('## Failing checks');
    noPassword(md.stdout);

    const before = await Promise.all(fleet.map((t) => runsIn(t.admin)));
    const bad = fleet.find((t) => t.name === 'tenant_07')!;
    await query(
      bad.admin,
      "UPDATE accounts SET email = 'fixed@example.com', email_lower = 'fixed@example.com' WHERE email IS NULL",
    );
    const again = await cli(args, { cwd: dir, env: fleetEnv, timeoutMs: 240_000 });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/12 targets: 12 completed/);
    expect(again.stdout.match(/completed in an earlier fleet run/g)?.length).toBe(11);
    const after = await Promise.all(fleet.map((t) => runsIn(t.admin)));
    for (const [i, t] of fleet.entries()) expect(after[i], t.name).toBe(before[i]! + (t.name === 'tenant_07' ? 1 : 0));
    noPassword(again.stdout + again.stderr);

    const status = await cli(['fleet', 'status', '--coordinator', coordinator, '--json'], { cwd: dir });
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout.trim().split('\n').pop()!);
    expect(s.targets).toHaveLength(12);
    expect(s.targets.every((t: { state: string }) => t.state === 'completed')).toBe(true);
    noPassword(status.stdout);
    noPassword(await coordinatorText(coordinator));
    noPassword(readFileSync(targets, 'utf8'));
  }, 480_000);

  it('without --continue-on-error it starts no new target after the first failure', async () => {
    const small: typeof fleet = [];
    for (const name of ['stop_a', 'stop_b', 'stop_c']) {
      const { db, admin } = await fleetDatabase(`fleet_${name}`);
      await seedAccounts(admin, 10, name === 'stop_a' ? 1 : 0);
      small.push({ name, db, admin });
    }
    const coord = await createTestDatabase('fleet_coordinator_stop');
    const targets = writeTargets(dir, small, 'stop-targets.txt');
    const r = await cli(['fleet', 'run', plan, '--targets', targets, '--coordinator', coord, '--concurrency', '1'], {
      cwd: dir,
      env: fleetEnv,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/3 targets: 1 failed, 2 not started/);
    for (const t of small.slice(1))
      expect(
        (await query(t.admin, "SELECT 1 FROM information_schema.schemata WHERE schema_name = 'tidemark'")).length,
      ).toBe(0);
  }, 180_000);

  it('a bad targets file exits 2 naming the file and line, before anything runs', async () => {
    const f = join(dir, 'bad-targets.txt');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(f, '# ok\none postgres://u@127.0.0.1/a\ntwo\n');
    const r = await cli(['fleet', 'run', plan, '--targets', f, '--coordinator', coordinator], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${f}:3`);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the targets file's own syntax
    writeFileSync(f, 'one postgres://u:${NOT_SET_ANYWHERE}@127.0.0.1/a\n');
    const env = await cli(['fleet', 'run', plan, '--targets', f, '--coordinator', coordinator], { cwd: dir });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain(`${f}:1`);
    expect(env.stderr).toContain('NOT_SET_ANYWHERE');
  });

  it('targets stopped at a gate: exit 5; rerun with --approve opens it on every target', async () => {
    const gated = writePlan(
      dir,
      `{
        id: 'fleet-gated',
        expand: [sql({ id: 'create', up: 'CREATE TABLE fleet_g (id int)', down: 'DROP TABLE fleet_g' })],
        contract: [
          gate.approval({ id: 'sign-off' }),
          sql({ id: 'widen', up: 'ALTER TABLE fleet_g ADD COLUMN note text', down: 'ALTER TABLE fleet_g DROP COLUMN note' }),
        ],
      }`,
      'gated.plan.ts',
    );
    const two: typeof fleet = [];
    for (const name of ['gate_a', 'gate_b']) two.push({ name, ...(await fleetDatabase(`fleet_${name}`)) });
    const coord = await createTestDatabase('fleet_coordinator_gate');
    const targets = writeTargets(dir, two, 'gate-targets.txt');
    const args = ['fleet', 'run', gated, '--targets', targets, '--coordinator', coord];
    const first = await cli(args, { cwd: dir, env: fleetEnv, timeoutMs: 120_000 });
    expect(first.code, first.stdout + first.stderr).toBe(5);
    expect(first.stdout).toMatch(/2 targets: 2 at a gate/);
    const approved = await cli([...args, '--approve', 'sign-off'], { cwd: dir, env: fleetEnv, timeoutMs: 120_000 });
    expect(approved.code, approved.stdout + approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(/2 targets: 2 completed/);
    for (const t of two)
      expect(
        (
          await query(
            t.admin,
            "SELECT 1 FROM information_schema.columns WHERE table_name = 'fleet_g' AND column_name = 'note'",
          )
        ).length,
      ).toBe(1);
  }, 240_000);
});
