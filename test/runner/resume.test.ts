import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('runner_resume');
});

describe('resume, drift, dry run and ranges', () => {
  it('resumes after a failed step without repeating completed ones', async () => {
    const dir = tempDir();
    await query(url, 'CREATE TABLE audit (n serial primary key, step text)');
    const plan = (fix: boolean) =>
      writePlan(
        dir,
        `{
      id: 'resume-failed',
      expand: [
        sql({ id: 'one', up: "INSERT INTO audit (step) VALUES ('one')" }),
        sql({ id: 'two', up: ${fix ? `"INSERT INTO audit (step) VALUES ('two')"` : `"INSERT INTO audit (step) VALUES ('two'); SELECT 1/0"`} }),
        sql({ id: 'three', up: "INSERT INTO audit (step) VALUES ('three')" }),
      ],
    }`,
      );
    const failed = await runFile(plan(false), { databaseUrl: url });
    expect(failed.exitCode).toBe(1);
    expect(failed.message).toMatch(/step "two" \(sql\) failed: division by zero \[SQLSTATE 22012\]/);
    expect(await query(url, 'SELECT step FROM audit ORDER BY n')).toEqual([{ step: 'one' }]);
    const ok = await runFile(plan(true), { databaseUrl: url });
    expect(ok.exitCode).toBe(0);
    expect((await query(url, 'SELECT step FROM audit ORDER BY n')).map((r) => r.step)).toEqual(['one', 'two', 'three']);
  });

  it('transaction: false resumes at the statement that failed', async () => {
    const dir = tempDir();
    await query(url, 'CREATE TABLE stmt_log (n serial primary key, s text)');
    const plan = (third: string) =>
      writePlan(
        dir,
        `{
      id: 'per-statement',
      expand: [sql({ id: 'stmts', transaction: false, up: [
        "INSERT INTO stmt_log (s) VALUES ('a')",
        "INSERT INTO stmt_log (s) VALUES ('b')",
        ${JSON.stringify(third)},
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS stmt_log_s ON stmt_log (s)",
      ] })],
    }`,
      );
    const r1 = await runFile(plan('SELECT missing_column FROM stmt_log'), { databaseUrl: url });
    expect(r1.exitCode).toBe(1);
    const st = await query<{ progress: unknown; status: string }>(
      url,
      `SELECT progress, status FROM tidemark.steps WHERE plan_id = 'per-statement'`,
    );
    expect(st[0]).toEqual({ progress: { statementsDone: 2 }, status: 'failed' });
    const r2 = await runFile(plan("INSERT INTO stmt_log (s) VALUES ('c')"), { databaseUrl: url });
    expect(r2.exitCode).toBe(0);
    expect((await query(url, 'SELECT s FROM stmt_log ORDER BY n')).map((r) => r.s)).toEqual(['a', 'b', 'c']);
    expect(await query(url, `SELECT indisvalid FROM pg_index WHERE indexrelid = 'stmt_log_s'::regclass`)).toEqual([
      { indisvalid: true },
    ]);
  });

  it('refuses drift of an applied step (exit 4) unless --accept-changed, which is recorded', async () => {
    const dir = tempDir();
    const body = (up: string) =>
      `{ id: 'drifty', expand: [sql({ id: 'mk', up: ${JSON.stringify(up)} })], validate: [check.rowCount({ id: 'c', table: 'drift_t', min: 0 })] }`;
    expect((await runFile(writePlan(dir, body('CREATE TABLE drift_t (id int)')), { databaseUrl: url })).exitCode).toBe(
      0,
    );
    const changed = writePlan(dir, body('CREATE TABLE drift_t (id bigint)'));
    const r = await runFile(changed, { databaseUrl: url });
    expect(r.exitCode).toBe(4);
    expect(r.message).toMatch(/step "mk": applied with checksum [0-9a-f]{12}, now [0-9a-f]{12}/);
    expect(r.hint).toContain('--accept-changed mk');
    const ok = await runFile(changed, { databaseUrl: url, acceptChanged: ['mk'] });
    expect(ok.exitCode).toBe(0);
    expect(await query(url, `SELECT step_id FROM tidemark.drift_acceptances WHERE plan_id = 'drifty'`)).toEqual([
      { step_id: 'mk' },
    ]);
    expect((await runFile(changed, { databaseUrl: url })).exitCode).toBe(0);
    // Editing a check is not drift.
    const checkEdited = writePlan(dir, body('CREATE TABLE drift_t (id bigint)').replace('min: 0', 'max: 100'));
    expect((await runFile(checkEdited, { databaseUrl: url })).exitCode).toBe(0);
  });

  it('--dry-run writes nothing, not even the ledger', async () => {
    const fresh = await createTestDatabase('runner_resume_dry');
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{ id: 'dry', expand: [sql({ id: 'mk', up: 'CREATE TABLE dry_t (id int)' })], validate: [check.rowCount({ id: 'c', table: 'dry_t', equals: 0 })] }`,
    );
    const r = await runFile(file, { databaseUrl: fresh, dryRun: true });
    expect(r.exitCode).toBe(0);
    expect(r.events.find((e) => e.type === 'step.dry-run')).toMatchObject({
      stepId: 'mk',
      lines: ['CREATE TABLE dry_t (id int);'],
    });
    expect(await query(fresh, `SELECT to_regclass('dry_t') AS t, to_regnamespace('tidemark') AS s`)).toEqual([
      { t: null, s: null },
    ]);
  });

  it('--phase and --to stop where asked; --redo runs a completed step again', async () => {
    const dir = tempDir();
    await query(url, 'CREATE TABLE ranges (n serial primary key, s text)');
    const file = writePlan(
      dir,
      `{ id: 'ranges', expand: [sql({ id: 'e1', up: "INSERT INTO ranges (s) VALUES ('e1')" }), sql({ id: 'e2', up: "INSERT INTO ranges (s) VALUES ('e2')" })],
      backfill: [sql({ id: 'b1', up: "INSERT INTO ranges (s) VALUES ('b1')" })], contract: [sql({ id: 'c1', up: "INSERT INTO ranges (s) VALUES ('c1')" })] }`,
    );
    await runFile(file, { databaseUrl: url, to: 'e1' });
    expect((await query(url, 'SELECT s FROM ranges ORDER BY n')).map((r) => r.s)).toEqual(['e1']);
    await runFile(file, { databaseUrl: url, phase: 'backfill' });
    expect((await query(url, 'SELECT s FROM ranges ORDER BY n')).map((r) => r.s)).toEqual(['e1', 'e2', 'b1']);
    await runFile(file, { databaseUrl: url });
    await runFile(file, { databaseUrl: url, redo: ['b1'] });
    expect((await query(url, 'SELECT s FROM ranges ORDER BY n')).map((r) => r.s)).toEqual([
      'e1',
      'e2',
      'b1',
      'c1',
      'b1',
    ]);
    const bad = await runFile(file, { databaseUrl: url, redo: ['nope'] });
    expect(bad.exitCode).toBe(2);
    expect(bad.message).toContain('--redo "nope"');
  });

  it('a failing proof stops before the contract (exit 1); after the data is fixed the rerun proceeds', async () => {
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{ id: 'proof-gate',
      expand: [sql({ id: 'mk', up: "CREATE TABLE pg_t (id int primary key, v text); INSERT INTO pg_t VALUES (1, 'a'), (2, NULL)" })],
      validate: [check.noNulls({ id: 'v-filled', table: 'pg_t', column: 'v' })],
      contract: [op.setNotNull({ id: 'not-null', table: 'pg_t', column: 'v' })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(1);
    expect(r.checks[0]).toMatchObject({
      stepId: 'v-filled',
      status: 'fail',
      actual: 1,
      expected: 0,
      sample: [{ id: 2, v: null }],
    });
    expect(
      await query(url, `SELECT status FROM tidemark.steps WHERE plan_id = 'proof-gate' AND step_id = 'not-null'`),
    ).toEqual([{ status: 'pending' }]);
    await query(url, `UPDATE pg_t SET v = 'b' WHERE v IS NULL`);
    const ok = await runFile(file, { databaseUrl: url });
    expect(ok.exitCode).toBe(0);
    expect(
      await query(url, `SELECT attnotnull FROM pg_attribute WHERE attrelid = 'pg_t'::regclass AND attname = 'v'`),
    ).toEqual([{ attnotnull: true }]);
  });

  it('preconditions run once, before the first step; a failed one changes nothing', async () => {
    const dir = tempDir();
    await query(url, 'CREATE TABLE pre_t (id int primary key, v text)');
    const file = writePlan(
      dir,
      `{ id: 'pre', preconditions: [check.rowCount({ id: 'has-rows', table: 'pre_t', min: 1 })],
      expand: [sql({ id: 'mk', up: 'CREATE TABLE pre_made (id int)' }), sql({ id: 'fails-once', up: 'SELECT 1 / (SELECT count(*) FROM pre_made)' })] }`,
    );
    const refused = await runFile(file, { databaseUrl: url });
    expect(refused.exitCode).toBe(1);
    expect(refused.message).toContain('precondition(s) failed: has-rows; nothing was changed');
    expect(await query(url, `SELECT to_regclass('pre_made') AS t`)).toEqual([{ t: null }]);
    await query(url, `INSERT INTO pre_t VALUES (1, 'a')`);
    const failed = await runFile(file, { databaseUrl: url });
    expect(failed.exitCode).toBe(1);
    expect(failed.checks.map((c) => c.stepId)).toEqual(['has-rows']);
    // The table is emptied again, but a resumed run does not repeat its preconditions.
    await query(url, `DELETE FROM pre_t; INSERT INTO pre_made VALUES (1)`);
    const resumed = await runFile(file, { databaseUrl: url });
    expect(resumed.exitCode).toBe(0);
    expect(resumed.checks).toEqual([]);
    expect(resumed.events.some((e) => e.type === 'step.skip' && e.stepId === 'has-rows')).toBe(false);
  });
});
