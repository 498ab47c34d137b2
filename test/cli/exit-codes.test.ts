import { beforeAll, describe, expect, it } from 'vitest';
import { connect, createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';

let url: string;
let password: string;
beforeAll(async () => {
  url = await createTestDatabase('cli_exit_codes');
  password = decodeURIComponent(new URL(url).password);
});

describe('CLI exit codes and output', () => {
  it('0 on success, with the password never printed', async () => {
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{ id: 'cli-ok', title: 'CLI ok', expand: [sql({ id: 'mk', up: 'CREATE TABLE cli_ok (id int)', down: 'DROP TABLE cli_ok' })] }`,
    );
    const r = await cli(['run', file, '--database-url', url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('✓ mk');
    expect(r.stdout).toContain('run plan "cli-ok" — CLI ok');
    if (password) {
      expect(r.stdout + r.stderr).not.toContain(password);
      expect(r.stdout).toContain(':***@');
    }
  });

  it('1 when a step fails, naming the step and what to do', async () => {
    const dir = tempDir();
    const file = writePlan(dir, `{ id: 'cli-fail', expand: [sql({ id: 'boom', up: 'SELECT * FROM no_such_table' })] }`);
    const r = await cli(['run', '--database-url', url, file]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(
      'step "boom" (sql) failed: relation "no_such_table" does not exist [SQLSTATE 42P01]',
    );
  });

  it('2 for bad input: arguments, an invalid plan (every problem listed), a missing database', async () => {
    const dir = tempDir();
    const bad = writePlan(
      dir,
      `{ id: 'Bad Plan', expand: [sql({ id: 'x', up: '' }), op.addColumn({ id: 'y', table: 't', column: 'c' })] }`,
    );
    const r = await cli(['run', bad, '--database-url', url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is invalid (3 problems)');
    expect(r.stderr).toContain('expand › step "x" › up: must not be empty');
    expect(r.stderr).toContain('expand › step "y" › type:');
    expect((await cli(['run'])).code).toBe(2);
    expect((await cli(['run', bad, '--phase', 'sideways', '--database-url', url])).code).toBe(2);
    const noDb = await cli(['run', writePlan(dir, `{ id: 'ok', expand: [] }`, 'ok.plan.ts')], {
      env: { DATABASE_URL: undefined },
    });
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toContain('no database given');
    expect(noDb.stderr).toContain('--database-url');
  });

  it('3 when another runner holds the plan, naming it', async () => {
    const dir = tempDir();
    // The first runner's step waits on an advisory lock this test holds, so it is certainly still
    // running (and holding the run lock) when the second runner starts, however slow the machine.
    const file = writePlan(
      dir,
      `{ id: 'cli-locked', expand: [sql({ id: 'wait', up: 'SELECT pg_advisory_lock(424242), pg_advisory_unlock(424242)' })] }`,
    );
    const gatekeeper = await connect(url);
    await gatekeeper.query('SELECT pg_advisory_lock(424242)');
    const first = cli(['run', file, '--database-url', url]);
    for (let i = 0; i < 600; i++) {
      if (
        (
          await query(
            url,
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'SELECT pg_advisory_lock(424242)%'`,
          )
        ).length
      )
        break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const second = await cli(['run', file, '--database-url', url]);
    await gatekeeper.query('SELECT pg_advisory_unlock(424242)');
    await gatekeeper.end();
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(
      /being run by another runner: \S+ \(host [^,]+, pid \d+\), `tidemark run` run #\d+ since .* UTC; PostgreSQL backend pid \d+/,
    );
    expect((await first).code).toBe(0);
  });

  it('4 on drift', async () => {
    const dir = tempDir();
    await cli([
      'run',
      writePlan(dir, `{ id: 'cli-drift', expand: [sql({ id: 'mk', up: 'CREATE TABLE cli_drift (id int)' })] }`),
      '--database-url',
      url,
    ]);
    const r = await cli([
      'run',
      writePlan(dir, `{ id: 'cli-drift', expand: [sql({ id: 'mk', up: 'CREATE TABLE cli_drift (id bigint)' })] }`),
      '--database-url',
      url,
    ]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('--accept-changed mk');
  });

  it('--json prints NDJSON only, ending with the result', async () => {
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{ id: 'cli-json', expand: [sql({ id: 'mk', up: 'CREATE TABLE cli_json (id int)' })] }`,
    );
    const r = await cli(['run', file, '--database-url', url, '--json']);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'run.start', planId: 'cli-json' });
    expect(lines.at(-1)).toMatchObject({ type: 'result', status: 'done', exitCode: 0 });
    if (password) expect(r.stdout).not.toContain(password);
  });

  it('never stores the password in the ledger', async () => {
    if (!password) return;
    const rows = await query<{ t: string }>(url, `SELECT string_agg(r::text, ' ') AS t FROM tidemark.runs r`);
    expect(rows[0].t).toContain(':***@');
    expect(rows[0].t).not.toContain(password);
  });

  it('plan prints the SQL and writes nothing; plan --rollback shows irreversible steps', async () => {
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{ id: 'cli-plan', expand: [sql({ id: 'mk', up: 'CREATE TABLE cli_plan (id int)', down: 'DROP TABLE cli_plan' }), sql({ id: 'irrev', up: 'CREATE TABLE cli_plan2 (id int)' })] }`,
    );
    const p = await cli(['plan', file, '--database-url', url]);
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('CREATE TABLE cli_plan (id int);');
    expect(await query(url, `SELECT count(*)::int AS n FROM tidemark.plans WHERE plan_id = 'cli-plan'`)).toEqual([
      { n: 0 },
    ]);
    await cli(['run', file, '--database-url', url]);
    const rb = await cli(['plan', file, '--rollback', '--database-url', url]);
    expect(rb.stdout).toContain('irreversible: raw SQL without `down`');
    const refused = await cli(['rollback', file, '--database-url', url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('rollback refused before undoing anything: step "irrev" is irreversible');
    expect(await query(url, `SELECT to_regclass('cli_plan') IS NOT NULL AS still`)).toEqual([{ still: true }]);
    const partial = await cli(['rollback', file, '--to', 'mk', '--database-url', url]);
    expect(partial.code).toBe(1);
  });

  it('plan --rollback takes --to and --phase as rollback does (it used to refuse them)', async () => {
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{ id: 'cli-plan-range',
        expand: [sql({ id: 'mk-a', up: 'CREATE TABLE range_a (id int)', down: 'DROP TABLE range_a' })],
        contract: [sql({ id: 'mk-b', up: 'CREATE TABLE range_b (id int)', down: 'DROP TABLE range_b' })] }`,
    );
    expect((await cli(['run', file, '--database-url', url])).code).toBe(0);
    const contract = await cli(['plan', file, '--rollback', '--phase', 'contract', '--database-url', url]);
    expect(contract.code, contract.stderr).toBe(0);
    expect(contract.stdout).toContain('DROP TABLE range_b');
    expect(contract.stdout).not.toContain('DROP TABLE range_a');
    const to = await cli(['plan', file, '--rollback', '--to', 'mk-a', '--database-url', url]);
    expect(to.stdout).toContain('DROP TABLE range_a');
    expect(to.stdout).toContain('DROP TABLE range_b');
    expect((await cli(['plan', file, '--rollback', '--phase', 'nope', '--database-url', url])).code).toBe(2);
    expect((await cli(['plan', file, '--to', 'mk-a', '--database-url', url])).code).toBe(2);
  });
});
