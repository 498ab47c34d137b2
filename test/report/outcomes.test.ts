/**
 * Reports of runs that did not simply succeed: stopped at a gate, a failed step, a failed proof,
 * a partial run, drift; a plan that never ran (read-only: no ledger created); sizes and WAL
 * recorded by captureObjectStats; and passwords redacted in every format.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Db } from '../../src/db/connection.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { captureObjectStats } from '../../src/ledger/object-stats.js';
import { setFlag } from '../../src/ledger/records.js';
import { loadPlan } from '../../src/plan/load.js';
import { buildReport, NotRunError } from '../../src/report/build.js';
import { renderHtml } from '../../src/report/html.js';
import { renderJson } from '../../src/report/json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { planStatus } from '../../src/report/status.js';
import { writeReportFiles } from '../../src/report/write-files.js';
import { passwordOf } from '../../src/sql/redact.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';
import { seedCustomers } from './fixture.js';

const report = async (url: string, file: string) => buildReport({ databaseUrl: url, plan: await loadPlan(file) });
const all = (m: Awaited<ReturnType<typeof buildReport>>) => [renderMarkdown(m), renderHtml(m), renderJson(m)];

let url: string;
beforeAll(async () => {
  process.env.TIDEMARK_ACTOR = 'ops-oncall';
  url = await createTestDatabase('report_outcomes');
  await seedCustomers(url);
});

describe('report of runs that stopped', () => {
  it('a run stopped at a closed flag gate says so, names what opens it, then shows who turned the flag on', async () => {
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{
      id: 'gated',
      expand: [sql({ id: 'add-col', up: 'ALTER TABLE customers ADD COLUMN IF NOT EXISTS nickname text', down: 'ALTER TABLE customers DROP COLUMN nickname' })],
      contract: [gate.flag({ id: 'readers-migrated', flag: 'nickname-readers' }), sql({ id: 'drop-tier', up: 'ALTER TABLE customers DROP COLUMN IF EXISTS legacy_flag', down: 'SELECT 1' })],
    }`,
    );
    expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(5);
    const m = await report(url, file);
    expect(m.status.state).toBe('waiting');
    expect(m.status.message).toMatch(/readers-migrated/);
    expect(m.gates.results).toMatchObject([
      { stepId: 'readers-migrated', state: 'closed', condition: 'flag "nickname-readers" is on' },
    ]);
    expect(m.gates.flags).toMatchObject([{ name: 'nickname-readers', enabled: null }]);
    expect(m.next.map((n) => n.text).join('\n')).toContain('npx tidemark flag set nickname-readers on');
    const md = renderMarkdown(m);
    expect(md).toContain('⏸️ Stopped at a gate');
    expect(md).toContain('| ⛔ | `readers-migrated` |');

    const db = new Db(url);
    try {
      await setFlag(new Ledger(db, 'tidemark'), 'nickname-readers', true, 'ops-oncall');
    } finally {
      await db.close();
    }
    expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(0);
    const after = await report(url, file);
    expect(after.status.state).toBe('completed');
    expect(after.gates.results[0].state).toBe('open');
    expect(after.gates.flags[0]).toMatchObject({
      enabled: true,
      setBy: 'ops-oncall',
      history: [{ enabled: true, setBy: 'ops-oncall' }],
    });
  });

  it('a failed step and a failed proof: the error, the offending rows, and what to do next', async () => {
    const dir = tempDir();
    const failing = writePlan(
      dir,
      `{
      id: 'broken',
      expand: [sql({ id: 'bad-ddl', up: 'ALTER TABLE no_such_table ADD COLUMN x int', down: 'SELECT 1' })],
    }`,
      'broken.plan.ts',
    );
    expect((await runFile(failing, { databaseUrl: url })).exitCode).toBe(1);
    const m = await report(url, failing);
    expect(m.status.state).toBe('failed');
    const step = m.phases[0].steps[0];
    expect(step.status).toBe('failed');
    expect(step.error).toMatch(/no_such_table/);
    expect(step.error).toMatch(/42P01/);
    expect(m.next[0]).toMatchObject({ stepId: 'bad-ddl' });
    expect(renderMarkdown(m)).toContain('> ❌ `bad-ddl`: step');

    const proof = writePlan(
      dir,
      `{
      id: 'unproven',
      validate: [check.noNulls({ id: 'emails-present', table: 'customers', column: 'email', where: 'id <= 3' }), check.allowedValues({ id: 'tiers-known', table: 'customers', column: 'tier', values: ['basic'] })],
    }`,
      'unproven.plan.ts',
    );
    expect((await runFile(proof, { databaseUrl: url })).exitCode).toBe(1);
    const p = await report(url, proof);
    expect(p.status.state).toBe('failed');
    expect(p.proof.passed).toBe(false);
    expect(p.proof.failedChecks).toEqual(['tiers-known']);
    const tiers = p.proof.checks.find((c) => c.stepId === 'tiers-known')!;
    expect(tiers.status).toBe('fail');
    expect(tiers.sample.length).toBeGreaterThan(0);
    const md = renderMarkdown(p);
    expect(md).toContain('❌ The proof failed (`tiers-known`)');
    expect(md).toMatch(/<details><summary>Sample: \d+ offending row\(s\)<\/summary>/);
    expect(md).toContain('gold');
    expect(renderHtml(p)).toContain('class="sample"');
  });

  it('a check that could not run: a failure (or warning) flagged error, in every format, with what to do next', async () => {
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{
      id: 'unrunnable',
      validate: [
        check.query({ id: 'bad-sql', title: 'Negative balances', sql: 'SELECT id FROM customers WHERE no_such_balance < 0', expect: 'empty' }),
        check.query({ id: 'soft-probe', title: 'Optional probe', sql: 'SELECT * FROM no_such_probe_table', expect: 'empty', severity: 'warn' }),
        check.allowedValues({ id: 'tiers-any', table: 'customers', column: 'tier', values: ['basic'] }),
      ],
    }`,
    );
    expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(1);
    const m = await report(url, file);
    const byId = Object.fromEntries(m.proof.checks.map((c) => [c.stepId, c]));
    expect(byId['bad-sql']).toMatchObject({
      status: 'fail',
      error: true,
      message: expect.stringMatching(/^the check could not run: column "no_such_balance" does not exist/),
    });
    expect(byId['soft-probe']).toMatchObject({ status: 'warn', error: true, severity: 'warn' });
    expect(byId['tiers-any']).toMatchObject({ status: 'fail', error: false });
    expect(m.proof.counts).toEqual({ pass: 0, fail: 2, warn: 1, superseded: 0, notRun: 0, couldNotRun: 2 });
    const next = m.next.map((n) => n.text);
    expect(next).toContain(
      'a check could not run (`bad-sql`): fix the check (its message says why — bad SQL, a missing table or column), then run again',
    );
    expect(next.some((t) => t.startsWith('the proof fails (`tiers-any`)'))).toBe(true);
    const md = renderMarkdown(m);
    expect(md).toContain('- ❌ **`bad-sql`** — Negative balances, `check.query` fail: could not run');
    expect(md).toContain('- ⚠️ **`soft-probe`** — Optional probe, `check.query` warn: could not run');
    expect(md).toContain('0 of 3 check(s) passed, 1 warning(s), 2 failed (1 could not run)');
    expect(renderHtml(m)).toContain('fail: could not run');
    expect(JSON.parse(renderJson(m)).proof.checks[0]).toMatchObject({ stepId: 'bad-sql', status: 'fail', error: true });

    // A row written before 'error' was folded into 'fail' reads the same way.
    await query(
      url,
      `INSERT INTO tidemark.check_results (plan_id, step_id, phase, kind, status, severity, message, plan_checksum, step_checksum)
      SELECT plan_id, 'tiers-any', 'validate', 'check.allowedValues', 'error', 'error', 'relation "customers" does not exist', plan_checksum, step_checksum
        FROM tidemark.check_results WHERE plan_id = 'unrunnable' AND step_id = 'tiers-any' LIMIT 1`,
    );
    const legacy = (await report(url, file)).proof.checks.find((c) => c.stepId === 'tiers-any')!;
    expect(legacy).toMatchObject({ status: 'fail', error: true, message: 'relation "customers" does not exist' });

    // `tidemark status` says so too, instead of "fail null (expected null)".
    const db = new Db(url);
    try {
      const lines = await planStatus(new Ledger(db, 'tidemark'), await loadPlan(file));
      expect(lines.find((l) => l.stepId === 'bad-sql')!.last).toMatch(
        /^fail: the check could not run: column "no_such_balance" does not exist/,
      );
      expect(lines.find((l) => l.stepId === 'tiers-any')!.last).toBe('fail: relation "customers" does not exist');
    } finally {
      await db.close();
    }
  });

  it('a partial run lists what remains, phase by phase', async () => {
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{
      id: 'partial',
      expand: [sql({ id: 'a', up: 'CREATE TABLE partial_a (id int)', down: 'DROP TABLE partial_a' })],
      backfill: [sql({ id: 'b', up: 'INSERT INTO partial_a VALUES (1)', down: 'DELETE FROM partial_a' })],
      validate: [check.rowCount({ id: 'one', table: 'partial_a', equals: 1 })],
    }`,
    );
    expect((await runFile(file, { databaseUrl: url, phase: 'expand' })).exitCode).toBe(0);
    const m = await report(url, file);
    expect(m.status.state).toBe('in_progress');
    expect(m.summary.steps).toMatchObject({ total: 3, completed: 1, pending: 2 });
    expect(m.next.map((n) => n.text)).toEqual([
      '1 step(s) of the backfill phase still to run: `b`',
      '1 step(s) of the validate phase still to run: `one`',
    ]);
    expect(m.proof.checks[0].status).toBe('not_run');
  });

  it('drift: a change accepted with --accept-changed is recorded; an unaccepted one is flagged', async () => {
    const dir = tempDir();
    const body = (v: number) =>
      `{ id: 'drifty', expand: [sql({ id: 'v', up: 'CREATE TABLE IF NOT EXISTS drifty_${v} (id int)', down: 'DROP TABLE IF EXISTS drifty_${v}' })] }`;
    const file = writePlan(dir, body(1));
    expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(0);
    writePlan(dir, body(2));
    expect((await report(url, file)).drift.changedSinceApplied).toEqual(['v']);
    expect((await runFile(file, { databaseUrl: url, acceptChanged: ['v'] })).exitCode).toBe(0);
    const m = await report(url, file);
    expect(m.drift.changedSinceApplied).toEqual([]);
    expect(m.drift.accepted).toMatchObject([{ stepId: 'v', acceptedBy: 'ops-oncall' }]);
    expect(renderMarkdown(m)).toContain('## Drift and accepted changes');
  });
});

describe('report of a plan that never ran', () => {
  it('refuses with exit 1 and creates no ledger', async () => {
    const empty = await createTestDatabase('report_never');
    const file = writePlan(tempDir(), `{ id: 'never', expand: [sql({ id: 'x', up: 'SELECT 1', down: 'SELECT 1' })] }`);
    const err = await report(empty, file).catch((e) => e);
    expect(err).toBeInstanceOf(NotRunError);
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/no ledger in this database yet/);
    expect((await query(empty, `SELECT to_regnamespace('tidemark') AS n`))[0].n).toBeNull();
    const other = await report(url, file).catch((e) => e);
    expect(other.message).toMatch(/plan "never" has never run in this database/);
  });
});

describe('sizes, WAL and redaction', () => {
  it('captureObjectStats records sizes before and after; the report shows growth and WAL', async () => {
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{
      id: 'grow',
      expand: [sql({ id: 'big', up: "CREATE TABLE grow_t AS SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 5000) g", down: 'DROP TABLE grow_t' })],
      validate: [check.rowCount({ id: 'n', table: 'grow_t', min: 1 })],
    }`,
    );
    const plan = await loadPlan(file);
    const db = new Db(url);
    try {
      // The runner records sizes before the first step and after each run; 'before' only once per plan.
      expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(0);
      expect(
        (await query(url, `SELECT moment FROM tidemark.object_stats WHERE plan_id = 'grow' ORDER BY id`)).map(
          (r) => r.moment,
        ),
      ).toEqual(['before', 'after']);
      const ledger = new Ledger(db, 'tidemark');
      await captureObjectStats(db, ledger, plan, null, 'before');
      expect(
        (await query(url, `SELECT count(*)::int AS n FROM tidemark.object_stats WHERE plan_id = 'grow'`))[0].n,
      ).toBe(2);
    } finally {
      await db.close();
    }
    const m = await report(url, file);
    const t = m.impact.tables.find((x) => x.name === 'grow_t')!;
    expect(t.before).toBeNull();
    expect(t.after!.tableBytes).toBeGreaterThan(500_000);
    expect(m.impact.sizesRecorded.afterSource).toBe('run');
    expect(m.impact.wal.bytes).toBeGreaterThan(500_000);
    expect(renderMarkdown(m)).toMatch(/\*\*WAL generated\*\*: \d+\.\d (kB|MB)/);
  });

  it("writeReportFiles writes the three formats from one model (the demo's report files)", async () => {
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{ id: 'files', expand: [sql({ id: 'x', up: 'CREATE TABLE files_t (id int)', down: 'DROP TABLE files_t' })] }`,
    );
    expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(0);
    const out = await writeReportFiles({ databaseUrl: url, plan: await loadPlan(file), dir: join(dir, 'reports') });
    expect(out).toEqual({
      md: join(dir, 'reports', 'files.report.md'),
      html: join(dir, 'reports', 'files.report.html'),
      json: join(dir, 'reports', 'files.report.json'),
    });
    expect(readFileSync(out.md, 'utf8')).toContain('**Tables created** (1): `files_t`');
    expect(readFileSync(out.html, 'utf8')).toContain('<!doctype html>');
    expect(JSON.parse(readFileSync(out.json, 'utf8')).summary.tablesCreated).toEqual(['files_t']);
  });

  it('never shows the password of the connection string, in any format', async () => {
    const secret = passwordOf(url) ?? 'S3cret-pa55word';
    const u = new URL(url);
    u.password = secret;
    const withPassword = u.toString();
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{
      id: 'secretive',
      expand: [
        sql({ id: 'role', up: ["DROP ROLE IF EXISTS tm_report_redact", "CREATE ROLE tm_report_redact LOGIN PASSWORD '${secret}'"], down: 'DROP ROLE tm_report_redact' }),
        sql({ id: 'leak', up: "SELECT 'postgres://app:${secret}@db.internal/app'::int", down: 'SELECT 1' }),
      ],
    }`,
    );
    expect((await runFile(file, { databaseUrl: withPassword })).exitCode).toBe(1);
    const m = await report(withPassword, file);
    expect(m.database.url).toContain(':***@');
    for (const text of all(m)) {
      expect(text).not.toContain(secret);
      expect(text).toContain('***');
    }
    await query(url, 'DROP ROLE IF EXISTS tm_report_redact');
  });
});
