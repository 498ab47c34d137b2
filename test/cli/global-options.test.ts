/**
 * Global options through the built CLI (docs/cli.md): `tidemark --json status`,
 * `tidemark --database-url U status`, `tidemark flag --database-url U list` and the rest work before
 * the command, after it and after its arguments, and take effect; usage errors under `--json` still
 * end stdout with an NDJSON line; `--help` lists the global options on every command.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';

let url: string;
let dir: string;
let plan: string;

const ndjson = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  url = await createTestDatabase('cli_global_options');
  dir = tempDir();
  plan = writePlan(
    dir,
    `{ id: 'globals', expand: [sql({ id: 'mk', up: 'CREATE TABLE globals_t (id int)', down: 'DROP TABLE globals_t' })] }`,
  );
});

describe('global options through the CLI', () => {
  it('before the command: --json status, --database-url U status, flag --database-url U list', async () => {
    const json = await cli(['--json', 'status', '--database-url', url]);
    expect(json.code, json.stderr).toBe(0);
    expect(ndjson(json.stdout)).toEqual([{ type: 'status', schema: 'tidemark', ledger: false, plans: [] }]);
    const text = await cli(['--database-url', url, 'status']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('no ledger in this database yet');
    const flags = await cli(['flag', '--database-url', url, 'list']);
    expect(flags.code, flags.stderr).toBe(0);
    expect(flags.stdout).toContain('no flags set');
  });

  it('take effect wherever they stand: --ledger-schema, --json and --quiet on run, flag set and status', async () => {
    const run = await cli(['--ledger-schema', 'tm_globals', '--quiet', 'run', plan, '--database-url', url]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('→ mk');
    expect(await query(url, `SELECT status FROM tm_globals.plans WHERE plan_id = 'globals'`)).toEqual([
      { status: 'completed' },
    ]);
    expect(await query(url, `SELECT to_regnamespace('tidemark') AS n`)).toEqual([{ n: null }]);

    const set = await cli(
      ['flag', '--json', 'set', '--ledger-schema', 'tm_globals', 'g.on', 'on', '--database-url', url],
      { env: { TIDEMARK_ACTOR: 'carol' } },
    );
    expect(set.code, set.stderr).toBe(0);
    expect(ndjson(set.stdout)).toEqual([
      expect.objectContaining({ type: 'flag', name: 'g.on', enabled: true, setBy: 'carol' }),
    ]);
    expect(await query(url, `SELECT name, enabled, set_by FROM tm_globals.flags`)).toEqual([
      { name: 'g.on', enabled: true, set_by: 'carol' },
    ]);

    const status = await cli(['status', plan, '--database-url', url, '--ledger-schema', 'tm_globals', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const [doc] = ndjson(status.stdout);
    expect(doc).toMatchObject({
      type: 'status',
      schema: 'tm_globals',
      ledger: true,
      planId: 'globals',
      status: 'completed',
      lastRun: { command: 'run', status: 'done' },
    });
  });

  it('a bare --embedded before the command starts a temporary embedded PostgreSQL (not one in ./status)', async () => {
    const cwd = tempDir();
    const r = await cli(['--json', '--embedded', 'status'], { cwd, timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(ndjson(r.stdout)).toEqual([{ type: 'status', schema: 'tidemark', ledger: false, plans: [] }]);
    expect(existsSync(join(cwd, 'status'))).toBe(false);
  }, 120_000);

  it('usage errors: exit 2; under --json stdout is still NDJSON, ending with the error', async () => {
    const unknown = await cli(['--json', 'stauts', '--database-url', url]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'stauts'");
    expect(ndjson(unknown.stdout)).toEqual([
      { type: 'error', message: expect.stringContaining("unknown command 'stauts'"), exitCode: 2 },
    ]);
    const missing = await cli(['run', '--json']);
    expect(missing.code).toBe(2);
    expect(ndjson(missing.stdout)).toEqual([expect.objectContaining({ type: 'error', exitCode: 2 })]);
    expect((await cli([])).code).toBe(2);
    expect((await cli(['flag'])).code).toBe(2);
  });

  it('--help lists the global options, on the program and on every command', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Global Options:\n\s+--database-url <url>/);
    expect(top.stdout).toContain('Global options may stand before the command');
    for (const args of [
      ['run', '--help'],
      ['flag', 'list', '--help'],
      ['help', 'status'],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(0);
      const globals = r.stdout.slice(r.stdout.indexOf('Global Options:'));
      for (const o of [
        '--database-url <url>',
        '--embedded [dir]',
        '--ledger-schema <name>',
        '--json',
        '--quiet',
        '--no-color',
      ])
        expect(globals, `${args.join(' ')}: ${o}`).toContain(o);
    }
  });
});
