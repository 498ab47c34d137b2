/**
 * `tidemark run <dir>`, `plan <dir>`, `status <dir>` and `status --check` (docs/cli.md, "A folder of
 * plans"): plan files in file-name order, complete plans no-ops, a stop at the first failure (1) or
 * closed gate (5); `--check` exits 6 while any plan is pending, failed or waiting, 0 once all are
 * complete.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writeFiles } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';

// Each test spawns the CLI (and the ORM's own tool) several times on a shared 2-core machine.
vi.setConfig({ testTimeout: 480_000 });

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('cli_run_folder');
});

const HEAD = `import { definePlan, sql, gate } from 'tidemark';\n`;

describe('a folder of plans', () => {
  it('runs in file-name order: a completed plan is a no-op, a pending one runs, a gate stops the folder (5)', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      // Not in the order the file system may list them, and a non-plan file beside them.
      'plans/003-gated.plan.ts': `${HEAD}export default definePlan({ id: 'gated',
        expand: [sql({ id: 'mk', up: 'CREATE TABLE folder_c (id int)', down: 'DROP TABLE folder_c' })],
        contract: [gate.flag({ id: 'ready', flag: 'folder.ready' }), sql({ id: 'drop', up: 'DROP TABLE folder_c' })] });\n`,
      'plans/001-done.plan.ts': `${HEAD}export default definePlan({ id: 'done',
        expand: [sql({ id: 'mk', up: 'CREATE TABLE folder_a (id int)', down: 'DROP TABLE folder_a' })] });\n`,
      'plans/002-pending.plan.ts': `${HEAD}export default definePlan({ id: 'pending',
        expand: [sql({ id: 'mk', up: 'CREATE TABLE folder_b (id int)', down: 'DROP TABLE folder_b' })] });\n`,
      'plans/down.sql': 'SELECT 1;\n',
      'plans/notes.md': '# not a plan\n',
    });
    const plans = `${dir}/plans`;
    // 001 has completed before.
    expect((await cli(['run', `${plans}/001-done.plan.ts`, '--database-url', url])).code).toBe(0);

    const before = await cli(['status', plans, '--check', '--database-url', url]);
    expect(before.code, before.stdout + before.stderr).toBe(6);
    expect(before.stdout).toMatch(/done\s+001-done\.plan\.ts\s+completed/);
    expect(before.stdout).toMatch(/pending\s+002-pending\.plan\.ts\s+pending/);
    expect(before.stdout + before.stderr).toContain('pending (pending), gated (pending)');
    expect((await cli(['status', plans, '--database-url', url])).code).toBe(0);

    const plan = await cli(['plan', plans, '--database-url', url]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout.indexOf('Plan "done"')).toBeLessThan(plan.stdout.indexOf('Plan "pending"'));
    expect(plan.stdout.indexOf('Plan "pending"')).toBeLessThan(plan.stdout.indexOf('Plan "gated"'));

    const run = await cli(['run', plans, '--database-url', url, '--json']);
    expect(run.code, run.stdout + run.stderr).toBe(5);
    const starts = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; planId?: string; status?: string })
      .filter((e) => e.type === 'run.end')
      .map((e) => `${e.planId}:${e.status}`);
    expect(starts).toEqual(['done:nothing', 'pending:done', 'gated:gate']);
    expect(
      await query(url, `SELECT to_regclass('folder_b') IS NOT NULL AS b, to_regclass('folder_c') IS NOT NULL AS c`),
    ).toEqual([{ b: true, c: true }]);

    const waiting = await cli(['status', plans, '--check', '--database-url', url]);
    expect(waiting.code).toBe(6);
    expect(waiting.stdout + waiting.stderr).toContain('gated (waiting)');
    const one = await cli(['status', `${plans}/003-gated.plan.ts`, '--check', '--database-url', url]);
    expect(one.code).toBe(6);

    expect((await cli(['flag', 'set', 'folder.ready', 'on', '--database-url', url])).code).toBe(0);
    const rest = await cli(['run', plans, '--database-url', url]);
    expect(rest.code, rest.stdout + rest.stderr).toBe(0);
    const after = await cli(['status', plans, '--check', '--database-url', url]);
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect((await cli(['status', `${plans}/002-pending.plan.ts`, '--check', '--database-url', url])).code).toBe(0);
  });

  it('stops at the first failing plan (1) and does not start the next', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'a.plan.ts': `${HEAD}export default definePlan({ id: 'fails', expand: [sql({ id: 'bad', up: 'SELECT 1/0', down: 'SELECT 1' })] });\n`,
      'b.plan.mjs': `import { definePlan, sql } from 'tidemark';\nexport default definePlan({ id: 'after-fail', expand: [sql({ id: 'mk', up: 'CREATE TABLE folder_never (id int)', down: 'DROP TABLE folder_never' })] });\n`,
    });
    const r = await cli(['run', dir, '--database-url', url]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('not run: after-fail');
    expect(await query(url, `SELECT to_regclass('folder_never') IS NULL AS untouched`)).toEqual([{ untouched: true }]);
    const check = await cli(['status', dir, '--check', '--database-url', url]);
    expect(check.code).toBe(6);
    expect(check.stdout + check.stderr).toContain('fails (failed)');
  });

  it('bad input anywhere in the folder (2) stops before any plan runs; an empty folder is bad input', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      '1.plan.ts': `${HEAD}export default definePlan({ id: 'fine', expand: [sql({ id: 'mk', up: 'CREATE TABLE folder_fine (id int)', down: 'DROP TABLE folder_fine' })] });\n`,
      '2.plan.ts': `${HEAD}export default definePlan({ id: 'broken', records: [{ tool: 'flyway', migration: 'V1' }], expand: [] });\n`,
    });
    const r = await cli(['run', dir, '--database-url', url]);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain('plan "broken" is invalid');
    expect(r.stdout + r.stderr).toContain('records[0].tool: must be one of prisma, drizzle, alembic');
    expect(await query(url, `SELECT to_regclass('folder_fine') IS NULL AS untouched`)).toEqual([{ untouched: true }]);
    const empty = await cli(['run', tempDir(), '--database-url', url]);
    expect(empty.code).toBe(2);
    expect(empty.stdout + empty.stderr).toContain('no plan files');
    expect((await cli(['run', dir, '--to', 'mk', '--database-url', url])).code).toBe(2);
  });
});
