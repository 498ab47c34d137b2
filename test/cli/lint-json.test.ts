/**
 * `tidemark lint --json` prints NDJSON like every command (docs/cli.md: "--json: NDJSON only"): one
 * `lint.finding` line per finding, then one `lint.end` line, nothing else; `--format json` stays the
 * single JSON document; asking for both is bad input.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writeFiles, writePlan } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';

let dir: string;
let url: string;

/** Every stdout line parsed; throws (failing the test) on any line that is not JSON. */
const lines = (stdout: string) => {
  expect(stdout.endsWith('\n')).toBe(true);
  return stdout
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
};

beforeAll(async () => {
  url = await createTestDatabase('cli_lint_json');
  await query(url, 'CREATE TABLE small (id int PRIMARY KEY, v text)');
  dir = tempDir();
  writeFiles(dir, {
    'bad.sql': [
      "SET lock_timeout = '2s';",
      "SET statement_timeout = '1min';",
      'CREATE INDEX small_v ON small (v);',
      '-- tidemark-ignore add-column-not-null: the table is empty in every environment',
      'ALTER TABLE small ADD COLUMN w int NOT NULL;',
      '',
    ].join('\n'),
  });
  writePlan(
    dir,
    `{ id: 'lint-json', expand: [sql({ id: 'idx', up: ["SET lock_timeout = '2s'", 'CREATE INDEX small_v2 ON small (v)'] })] }`,
    'wave.plan.ts',
  );
});

describe('tidemark lint --json', () => {
  it('prints one lint.finding line per finding, then lint.end, nothing else', async () => {
    const r = await cli(['lint', 'bad.sql', 'wave.plan.ts', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(1);
    const events = lines(r.stdout);
    const findings = events.slice(0, -1);
    const end = events.at(-1)!;
    expect(findings.length).toBeGreaterThanOrEqual(3);
    for (const f of findings) {
      expect(f.type).toBe('lint.finding');
      expect(Object.keys(f)).toEqual(expect.arrayContaining(['rule', 'level', 'file', 'line', 'column', 'message']));
    }
    expect(findings.find((f) => f.file === 'bad.sql' && f.rule === 'index-not-concurrent')).toMatchObject({
      level: 'error',
      line: 3,
      column: 25,
    });
    expect(findings.find((f) => f.rule === 'add-column-not-null')).toMatchObject({
      file: 'bad.sql',
      line: 5,
      suppressed: { reason: 'the table is empty in every environment' },
    });
    expect(findings.find((f) => f.file === 'wave.plan.ts' && f.rule === 'index-not-concurrent')).toMatchObject({
      level: 'error',
      stepId: 'idx',
      phase: 'expand',
    });
    expect(end).toEqual({
      type: 'lint.end',
      files: ['bad.sql', 'wave.plan.ts'],
      counts: {
        errors: 2,
        warnings: findings.filter((f) => f.level === 'warning' && !f.suppressed).length,
        suppressed: 1,
        waived: 0,
        files: 2,
      },
      exitCode: 1,
    });
  });

  it('a global --json before the command, and --database-url before it too: waived findings carry `waived`', async () => {
    const r = await cli(['--json', '--database-url', url, 'lint', 'bad.sql'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const events = lines(r.stdout);
    expect(events.find((e) => e.rule === 'index-not-concurrent')).toMatchObject({
      type: 'lint.finding',
      waived: expect.stringContaining('small'),
    });
    expect(events.at(-1)).toMatchObject({
      type: 'lint.end',
      counts: { errors: 0, waived: 1 },
      exitCode: 0,
      database: expect.not.stringContaining(new URL(url).password || '\0'),
    });
  });

  it('a clean file: just the lint.end line', async () => {
    writeFiles(dir, {
      'ok.sql': "SET lock_timeout = '2s';\nSET statement_timeout = '1min';\nALTER TABLE small ADD COLUMN note text;\n",
    });
    const r = await cli(['lint', '--json', 'ok.sql'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout)).toEqual([
      {
        type: 'lint.end',
        files: ['ok.sql'],
        counts: { errors: 0, warnings: 0, suppressed: 0, waived: 0, files: 1 },
        exitCode: 0,
      },
    ]);
  });

  it('--format json is still one JSON document; --json with --format is bad input (exit 2)', async () => {
    const doc = await cli(['lint', 'bad.sql', '--format', 'json'], { cwd: dir });
    expect(doc.code).toBe(1);
    expect(JSON.parse(doc.stdout)).toMatchObject({ version: 1, files: ['bad.sql'], exitCode: 1 });
    expect(doc.stdout.split('\n').length).toBeGreaterThan(3); // pretty-printed, not NDJSON
    const both = await cli(['lint', 'bad.sql', '--json', '--format', 'gcc'], { cwd: dir });
    expect(both.code).toBe(2);
    expect(lines(both.stdout)).toEqual([
      expect.objectContaining({ type: 'error', exitCode: 2, message: expect.stringContaining('--json prints NDJSON') }),
    ]);
  });
});
