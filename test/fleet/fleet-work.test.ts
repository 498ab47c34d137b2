/**
 * `tidemark fleet work`: runners started before the fleet run join it and share its queue under
 * the fleet-wide concurrency; a runner killed with SIGKILL mid-target loses nothing: after its
 * lease the target is taken by another runner and resumes from the target's own ledger.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { ensureRole, fleetDatabase, PASSWORD, startCli, writeTargets } from './fleet-helpers.js';

/** Each target: a marker row (must be written once), then a slow step to be killed in. */
const PLAN = `{
  id: 'fleet-slow',
  expand: [sql({ id: 'create-log', up: 'CREATE TABLE fleet_log (id serial PRIMARY KEY, note text)', down: 'DROP TABLE fleet_log' })],
  backfill: [
    sql({ id: 'mark', up: "INSERT INTO fleet_log (note) VALUES ('mark')" }),
    sql({ id: 'slow', up: 'SELECT pg_sleep(6)' }),
  ],
  validate: [check.rowCount({ id: 'one-mark', table: 'fleet_log', equals: 1 })],
}`;

let dir: string;
let plan: string;

beforeAll(async () => {
  await ensureRole();
  dir = tempDir('tidemark-fleet-work-');
  plan = writePlan(dir, PLAN, 'slow.plan.ts');
});

async function makeFleet(prefix: string, n: number) {
  const out: { name: string; db: string; admin: string }[] = [];
  for (let i = 1; i <= n; i++) {
    const name = `${prefix}_${i}`;
    const { db, admin } = await fleetDatabase(`fleet_${name}`);
    out.push({ name, db, admin });
  }
  return out;
}

const waitFor = async (what: string, ok: () => Promise<boolean>, timeoutMs = 90_000) => {
  const t0 = Date.now();
  while (!(await ok().catch(() => false))) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('fleet work', () => {
  it('two runners started before the fleet run share its queue; the concurrency holds across them', async () => {
    const fleet = await makeFleet('share', 6);
    const coord = await createTestDatabase('fleet_coord_share');
    const targets = writeTargets(dir, fleet, 'share.txt');
    const w1 = startCli(['fleet', 'work', '--targets', targets, '--coordinator', coord], dir);
    const w2 = startCli(['fleet', 'work', '--targets', targets, '--coordinator', coord], dir);
    await waitFor(
      'the runners to wait',
      async () => (await query(coord, "SELECT to_regclass('tidemark_fleet.fleet_runs') AS r"))[0]!.r !== null,
    );
    const r = startCli(['fleet', 'run', plan, '--targets', targets, '--coordinator', coord, '--concurrency', '3'], dir);
    const [run, a, b] = await Promise.all([r.done, w1.done, w2.done]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(b.code, b.stdout + b.stderr).toBe(0);
    expect(run.stdout).toMatch(/6 targets: 6 completed/);
    const rows = await query<{ runner: string; started_at: Date; finished_at: Date }>(
      coord,
      'SELECT runner, started_at, finished_at FROM tidemark_fleet.fleet_targets ORDER BY started_at',
    );
    const runners = new Set(rows.map((x) => x.runner));
    expect(runners.size, [...runners].join(', ')).toBeGreaterThanOrEqual(2);
    // Never more than 3 targets at once, whichever runners ran them.
    for (const x of rows) {
      const overlapping = rows.filter((y) => y.started_at <= x.started_at && y.finished_at > x.started_at);
      expect(overlapping.length).toBeLessThanOrEqual(3);
    }
    for (const t of fleet)
      expect((await query<{ n: number }>(t.admin, 'SELECT count(*)::int AS n FROM fleet_log'))[0]!.n).toBe(1);
    for (const out of [run, a, b]) expect(out.stdout + out.stderr).not.toContain(PASSWORD);
  }, 240_000);

  it('kill -9 of the runner holding a target mid-step: after its lease the other runner takes it, and it resumes from its ledger', async () => {
    const fleet = await makeFleet('kill', 2);
    const coord = await createTestDatabase('fleet_coord_kill');
    const targets = writeTargets(dir, fleet, 'kill.txt');
    const w = startCli(['fleet', 'work', '--targets', targets, '--coordinator', coord], dir);
    await waitFor(
      'the runner to wait',
      async () => (await query(coord, "SELECT to_regclass('tidemark_fleet.fleet_runs') AS r"))[0]!.r !== null,
    );
    const r = startCli(
      ['fleet', 'run', plan, '--targets', targets, '--coordinator', coord, '--concurrency', '2', '--lease', '10'],
      dir,
    );
    // Kill whichever runner holds a target inside its slow step (the marker written); the other
    // runner must take that target over once its lease has expired.
    const runners = [r, w];
    let victim = '';
    let killed: (typeof runners)[number] | undefined;
    await waitFor('a target inside its slow step', async () => {
      for (const t of fleet) {
        // The process running the step, as the target's own ledger records it.
        const [run] = await query<{ pid: number }>(
          t.admin,
          "SELECT r.pid FROM tidemark.runs r JOIN tidemark.steps s ON s.run_id = r.run_id WHERE s.step_id = 'slow' AND s.status = 'running' AND r.status = 'running'",
        );
        const holder = runners.find((x) => x.child.pid === run?.pid);
        if (holder) {
          victim = t.name;
          killed = holder;
          return true;
        }
      }
      return false;
    });
    killed!.child.kill('SIGKILL');
    const survivor = runners.find((x) => x !== killed)!;
    const [, done] = await Promise.all([killed!.done, survivor.done]);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toMatch(/2 targets: 2 completed/);
    const t = fleet.find((f) => f.name === victim)!;
    // The marker step was not run again: the target resumed from its ledger.
    expect((await query<{ n: number }>(t.admin, 'SELECT count(*)::int AS n FROM fleet_log'))[0]!.n).toBe(1);
    const runs = await query<{ n: number }>(t.admin, 'SELECT count(*)::int AS n FROM tidemark.runs');
    expect(runs[0]!.n).toBeGreaterThanOrEqual(2);
    const [row] = await query<{ runner: string; state: string }>(
      coord,
      'SELECT runner, state FROM tidemark_fleet.fleet_targets WHERE name = $1',
      [victim],
    );
    expect(row!.state).toBe('completed');
    expect(row!.runner).toContain(`pid ${survivor.child.pid}`);
    expect(done.stdout + done.stderr).not.toContain(PASSWORD);
  }, 240_000);

  it('waits for a fleet run to join, and exits 0 on SIGTERM', async () => {
    const coord = await createTestDatabase('fleet_coord_term');
    const targets = writeTargets(dir, [{ name: 'term_a', db: 'unused' }], 'term.txt');
    const w = startCli(['fleet', 'work', '--targets', targets, '--coordinator', coord], dir);
    await waitFor(
      'the runner to wait',
      async () => (await query(coord, "SELECT to_regclass('tidemark_fleet.fleet_runs') AS r"))[0]!.r !== null,
    );
    await new Promise((r) => setTimeout(r, 500));
    w.child.kill('SIGTERM');
    const out = await w.done;
    expect(out.code, out.stdout + out.stderr).toBe(0);
    expect(out.stdout).toContain('waiting for a fleet run to join');
  }, 120_000);
});
