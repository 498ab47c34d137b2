/**
 * A newcomer's first run, as the README's "Install into your app" says: `npm pack` Tidemark,
 * `npm install` the tarball into an app of one's own, then `npx tidemark init`, `plan`, `run` and
 * `rollback` against a real database that already holds the app's `customers` table — which the
 * scaffolded example must leave exactly as it was.
 *
 * Packs the current build (`npm run build` first, as for every test that spawns the CLI); the
 * tarball's dependencies come from the npm cache (`--prefer-offline`).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir } from '../helpers/plan-files.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

interface Ran {
  code: number | null;
  out: string;
}

/** Run a command (`npm`, `npx`) in `cwd`; resolves with its exit code and combined output. */
function sh(cmd: string, args: string[], cwd: string, timeoutMs = 180_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', CI: '1', DATABASE_URL: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

let url: string;
/** The app's own table: its columns and rows. */
async function appCustomers(): Promise<unknown> {
  return {
    columns: await query(
      url,
      `SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull FROM pg_attribute
        WHERE attrelid = 'customers'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    ),
    rows: await query(url, 'SELECT * FROM customers ORDER BY id'),
  };
}

beforeAll(async () => {
  url = await createTestDatabase('install_tarball');
  await query(url, 'CREATE TABLE customers (id bigint PRIMARY KEY, full_name text NOT NULL, email text)');
  await query(
    url,
    `INSERT INTO customers SELECT g, 'App customer ' || g, 'c' || g || '@app.test' FROM generate_series(1, 50) g`,
  );
});

describe('installing Tidemark into an app from a packed tarball', () => {
  it('npm pack → npm install <tgz> → npx tidemark init, plan, run, rollback; the app’s customers table untouched', async () => {
    const work = tempDir('tidemark-install-');
    // The current build, packed as `npm pack` packs it (the build ran before the suite: see above).
    const pack = await sh('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], REPO);
    expect(pack.code, pack.out).toBe(0);
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
    expect(tgz, pack.out).toBeDefined();

    // What the tarball ships: the runtime (dist, bin, the demo's example), no tests, sources or source maps.
    const list = await sh('tar', ['tzf', join(work, tgz!)], work);
    const files = list.out.split('\n').filter(Boolean);
    expect(files).toContain('package/bin/tidemark.js');
    expect(files).toContain('package/dist/cli/main.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/examples/wave1.plan.ts');
    expect(files.filter((f) => /\.map$|^package\/(test|src|bench)\//.test(f))).toEqual([]);

    const app = join(work, 'app');
    await sh('mkdir', [app], work);
    writeFileSync(
      join(app, 'package.json'),
      `${JSON.stringify({ name: 'scratch-app', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
    );
    const install = await sh(
      'npm',
      ['install', '--save-dev', '--no-audit', '--no-fund', '--prefer-offline', join(work, tgz!)],
      app,
      240_000,
    );
    expect(install.code, install.out).toBe(0);

    const init = await sh('npx', ['tidemark', 'init'], app);
    expect(init.code, init.out).toBe(0);
    expect(init.out).toContain('wrote plans/example.plan.ts');
    expect(init.out).toContain('next: npx tidemark plan plans/example.plan.ts');
    expect(readFileSync(join(app, '.gitignore'), 'utf8')).toBe('.tidemark/\n');

    const before = await appCustomers();
    const plan = await sh('npx', ['tidemark', 'plan', 'plans/example.plan.ts', '--database-url', url], app);
    expect(plan.code, plan.out).toBe(0);
    expect(plan.out).toContain('CREATE TABLE tidemark_example_customers');
    expect(plan.out).not.toMatch(/ALTER TABLE "?customers"?\b/);

    const run = await sh('npx', ['tidemark', 'run', 'plans/example.plan.ts', '--database-url', url], app);
    expect(run.code, run.out).toBe(0);
    expect((await query(url, 'SELECT count(display_name)::int AS n FROM tidemark_example_customers'))[0]).toEqual({
      n: 10000,
    });
    expect(await appCustomers()).toEqual(before);

    const back = await sh('npx', ['tidemark', 'rollback', 'plans/example.plan.ts', '--database-url', url], app);
    expect(back.code, back.out).toBe(0);
    expect((await query(url, `SELECT to_regclass('tidemark_example_customers') AS t`))[0].t).toBeNull();
    expect(await appCustomers()).toEqual(before);
  }, 600_000);
});
