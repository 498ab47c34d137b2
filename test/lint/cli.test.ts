/**
 * `tidemark lint` through the built CLI: exit codes (0 clean or warnings only, 1 errors, 2 bad
 * input), formats, and the database only with an explicit --database-url (never $DATABASE_URL).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writeFiles } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';

let dir: string;
let url: string;
beforeAll(async () => {
  url = await createTestDatabase('lint_cli');
  await query(
    url,
    "CREATE TABLE tiny (id int PRIMARY KEY, v text); INSERT INTO tiny SELECT g, 'x' FROM generate_series(1, 50) g;",
  );
  dir = tempDir();
  writeFiles(dir, {
    'ok.sql': "SET lock_timeout = '2s';\nSET statement_timeout = '1min';\nALTER TABLE tiny ADD COLUMN w text;\n",
    'warn.sql': 'ALTER TABLE tiny ADD COLUMN w text;\n',
    'bad.sql': 'CREATE INDEX tiny_v ON tiny (v);\n',
  });
});

describe('tidemark lint (CLI)', () => {
  it('exit 0 on a clean file and on warnings only, 1 on errors', async () => {
    expect((await cli(['lint', 'ok.sql'], { cwd: dir })).code).toBe(0);
    const warn = await cli(['lint', 'warn.sql'], { cwd: dir });
    expect(warn.code).toBe(0);
    expect(warn.stdout).toContain('warning[missing-timeout]');
    const bad = await cli(['lint', 'bad.sql', '--format', 'gcc'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe(
      'bad.sql:1:24: error: CREATE INDEX on existing table "tiny" without CONCURRENTLY blocks writes to it until the build ends [index-not-concurrent]\nbad.sql:1:24: warning: this statement locks "tiny" with no lock_timeout or statement_timeout set: behind one long transaction it waits, and every query on the table queues behind it [missing-timeout]\n',
    );
  });

  it('exit 2 on a missing target or an unknown format', async () => {
    expect((await cli(['lint', 'nope.sql'], { cwd: dir })).code).toBe(2);
    expect((await cli(['lint', 'ok.sql', '--format', 'xml'], { cwd: dir })).code).toBe(2);
  });

  it('uses the database only with an explicit --database-url', async () => {
    const envOnly = await cli(['lint', 'bad.sql', '--format', 'json'], { cwd: dir, env: { DATABASE_URL: url } });
    expect(envOnly.code).toBe(1);
    expect(JSON.parse(envOnly.stdout).waived).toEqual([]);
    const explicit = await cli(['lint', 'bad.sql', '--format', 'json', '--database-url', url], { cwd: dir });
    expect(explicit.code).toBe(0);
    expect(JSON.parse(explicit.stdout).waived.map((f: { rule: string }) => f.rule)).toEqual(['index-not-concurrent']);
  });
});
