/**
 * Ctrl-C (SIGINT) during `run`, through the built CLI in a child process: the run stops after the
 * batch in flight commits, says where ("interrupted after batch N — run again to resume"), records
 * itself `interrupted` and exits 130; `status` says so; a rerun resumes and every row is changed
 * exactly once.
 */
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { BIN, cli } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('cli_interrupt');
  await query(url, 'CREATE TABLE int_rows (id int PRIMARY KEY, hits int NOT NULL DEFAULT 0)');
  await query(url, 'INSERT INTO int_rows (id) SELECT g FROM generate_series(1, 2000) g');
});

const batches = async () =>
  (
    await query<{ n: number }>(
      url,
      `SELECT count(*)::int AS n FROM tidemark.batches WHERE plan_id = 'interrupted' AND step_id = 'fill'`,
    ).catch(() => [{ n: 0 }])
  )[0].n;

describe('SIGINT mid-backfill', () => {
  it('stops after the batch in flight, records the run interrupted, exits 130; a rerun completes exactly once', async () => {
    const file = writePlan(
      tempDir(),
      `{ id: 'interrupted', backfill: [backfill.update({ id: 'fill', table: 'int_rows', set: { hits: 'hits + 1' }, batch: { size: 100, pauseMs: 150, concurrency: 1 } })] }`,
    );
    const child = spawn(process.execPath, [BIN, 'run', file, '--database-url', url], {
      env: { ...process.env, NO_COLOR: '1', CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    const end = Date.now() + 90_000;
    while ((await batches()) < 3 && Date.now() < end && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const code = await exited;
    expect(code, `${stdout}\n${stderr}`).toBe(130);

    const n = await batches();
    expect(n).toBeGreaterThanOrEqual(3);
    expect(n).toBeLessThan(20);
    expect(stdout).toContain('SIGINT: stopping after the batch or step in flight commits');
    expect(stderr).toContain(`⏹ interrupted after batch ${n} of step "fill" — run again to resume`);
    expect(stderr).toContain('exit 130');
    const runs = await query<{ status: string; exit_code: number }>(
      url,
      `SELECT status, exit_code FROM tidemark.runs WHERE plan_id = 'interrupted' ORDER BY run_id`,
    );
    expect(runs).toEqual([{ status: 'interrupted', exit_code: 130 }]);
    // Exactly the committed batches' rows are changed, once.
    expect(await query(url, 'SELECT hits, count(*)::int AS n FROM int_rows GROUP BY hits ORDER BY hits')).toEqual([
      { hits: 0, n: 2000 - n * 100 },
      { hits: 1, n: n * 100 },
    ]);

    const status = await cli(['status', file, '--database-url', url]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('in_progress');
    expect(status.stdout).toContain(`interrupted after batch ${n}`);
    const all = await cli(['status', '--database-url', url]);
    expect(all.stdout).toMatch(/#\d+ run interrupted/);

    const again = await cli(['run', file, '--database-url', url]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('→ fill (backfill.update) resuming (an earlier run was interrupted during it)');
    expect(await query(url, 'SELECT hits, count(*)::int AS n FROM int_rows GROUP BY hits')).toEqual([
      { hits: 1, n: 2000 },
    ]);
    expect(
      (
        await query<{ status: string }>(
          url,
          `SELECT status FROM tidemark.runs WHERE plan_id = 'interrupted' ORDER BY run_id`,
        )
      ).map((r) => r.status),
    ).toEqual(['interrupted', 'done']);
  }, 180_000);
});

describe('SIGINT during a raw SQL step of several statements', () => {
  it('stops after the statement in flight; a rerun resumes at the next one, each statement once', async () => {
    await query(url, 'CREATE TABLE int_log (n serial PRIMARY KEY, what text)');
    const file = writePlan(
      tempDir(),
      `{ id: 'int-sql', expand: [sql({ id: 'steps', transaction: false, up: [
        "INSERT INTO int_log (what) VALUES ('a')",
        "SELECT pg_sleep(3)",
        "INSERT INTO int_log (what) VALUES ('b')",
      ] })] }`,
    );
    const child = spawn(process.execPath, [BIN, 'run', file, '--database-url', url], {
      env: { ...process.env, NO_COLOR: '1', CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    const end = Date.now() + 90_000;
    const sleeping = async () =>
      (
        await query(
          url,
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep(3)%' AND state = 'active'`,
        )
      ).length > 0;
    while (!(await sleeping()) && Date.now() < end && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(stderr).toContain('⏹ interrupted after statement 2 of 3 of step "steps" — run again to resume');
    expect((await query(url, 'SELECT what FROM int_log ORDER BY n')).map((r) => r.what)).toEqual(['a']);
    const again = await cli(['run', file, '--database-url', url]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('resuming at statement 3 of 3');
    expect((await query(url, 'SELECT what FROM int_log ORDER BY n')).map((r) => r.what)).toEqual(['a', 'b']);
  }, 180_000);
});
