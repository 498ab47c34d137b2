/**
 * `records: [{ tool: 'alembic' }]` with the real Alembic (Debian's python3-alembic; `.ci/run`
 * installs it): `alembic upgrade <rev> --sql` → a plan with the record → `tidemark run` →
 * `alembic current` shows the revision and `alembic upgrade head` runs nothing more. A whole-plan
 * rollback moves `alembic_version` back. Says loudly when it is skipped (no alembic).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writeFiles } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';

// Each test spawns the CLI (and the ORM's own tool) several times on a shared 2-core machine.
vi.setConfig({ testTimeout: 240_000 });

const ALEMBIC = spawnSync('alembic', ['--version'], { encoding: 'utf8' }).status === 0;
if (!ALEMBIC)
  console.warn(
    '\n!! SKIPPED: test/records/alembic.test.ts — `alembic` is not installed (apt-get install python3-alembic python3-psycopg2; .ci/run does it)\n',
  );

function alembic(cwd: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('alembic', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

const REV_A = `"""create accounts"""
from alembic import op
import sqlalchemy as sa

revision = 'aaa111'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('accounts', sa.Column('id', sa.Integer, primary_key=True), sa.Column('name', sa.Text, nullable=False))


def downgrade():
    op.drop_table('accounts')
`;
const REV_B = `"""add email"""
from alembic import op
import sqlalchemy as sa

revision = 'bbb222'
down_revision = 'aaa111'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('accounts', sa.Column('email', sa.Text))


def downgrade():
    op.drop_column('accounts', 'email')
`;

/** `alembic init`, then two hand-written revisions; the ini points at `url` (psycopg2). */
async function scratch(url: string): Promise<string> {
  const dir = tempDir('tm-alembic-');
  const init = await alembic(dir, ['init', 'alembic']);
  expect(init.code, init.err).toBe(0);
  const u = new URL(url);
  const ini = join(dir, 'alembic.ini');
  writeFileSync(
    ini,
    readFileSync(ini, 'utf8').replace(
      /^sqlalchemy\.url = .*$/m,
      `sqlalchemy.url = postgresql://${u.username}${u.password ? `:${u.password}` : ''}@${u.host}${u.pathname}`,
    ),
  );
  writeFiles(dir, { 'alembic/versions/0001_aaa111.py': REV_A, 'alembic/versions/0002_bbb222.py': REV_B });
  return dir;
}

const versions = (url: string) =>
  query<{ version_num: string }>(url, `SELECT version_num FROM alembic_version ORDER BY 1`);

let url: string;
beforeAll(async () => {
  if (ALEMBIC) url = await createTestDatabase('records_alembic');
});

describe.skipIf(!ALEMBIC)('records: alembic, with the real Alembic', () => {
  it('offline SQL → plan → run: alembic current shows the revision, upgrade head runs nothing; rollback moves it back', async () => {
    await query(url, 'DROP TABLE IF EXISTS accounts, alembic_version; DROP SCHEMA IF EXISTS tidemark CASCADE');
    const dir = await scratch(url);
    // Alembic applies the first revision itself; Tidemark takes the second from its offline SQL.
    expect((await alembic(dir, ['upgrade', 'aaa111'])).code).toBe(0);
    const offline = await alembic(dir, ['upgrade', 'aaa111:bbb222', '--sql']);
    expect(offline.code, offline.err).toBe(0);
    expect(offline.out).toContain("UPDATE alembic_version SET version_num='bbb222'");
    writeFileSync(join(dir, 'bbb222.sql'), offline.out);
    const plan = writeFiles(dir, {
      'plans/bbb222.plan.ts': `import { definePlan, sql } from 'tidemark';
export default definePlan({
  id: 'add-email',
  records: [{ tool: 'alembic', migration: 'bbb222', dir: '../bbb222.sql' }],
  expand: [sql({ id: 'add-email', up: 'ALTER TABLE accounts ADD COLUMN email text', down: 'ALTER TABLE accounts DROP COLUMN email' })],
});
`,
    });
    const run = await cli(['run', plan, '--database-url', url]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await versions(url)).toEqual([{ version_num: 'bbb222' }]);

    const current = await alembic(dir, ['current']);
    expect(current.code, current.err).toBe(0);
    expect(current.out).toContain('bbb222 (head)');
    const head = await alembic(dir, ['upgrade', 'head']);
    expect(head.code, head.err).toBe(0);
    expect(head.err).not.toContain('Running upgrade');
    expect(await versions(url)).toEqual([{ version_num: 'bbb222' }]);

    // A whole-plan rollback moves alembic_version back to the down revision.
    const back = await cli(['rollback', plan, '--database-url', url]);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    expect(await versions(url)).toEqual([{ version_num: 'aaa111' }]);
    expect((await alembic(dir, ['current'])).out).toContain('aaa111');
    expect(
      await query(
        url,
        `SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'email'`,
      ),
    ).toEqual([{ n: 0 }]);
  });

  it('a first revision, its down revision read from the versions folder: then alembic applies only the next', async () => {
    await query(url, 'DROP TABLE IF EXISTS accounts, alembic_version; DROP SCHEMA IF EXISTS tidemark CASCADE');
    const dir = await scratch(url);
    const plan = writeFiles(dir, {
      'plans/aaa111.plan.ts': `import { definePlan, sql } from 'tidemark';
export default definePlan({
  id: 'accounts',
  records: [{ tool: 'alembic', migration: 'aaa111', dir: '../alembic/versions' }],
  expand: [sql({ id: 'accounts', up: 'CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL)', down: 'DROP TABLE accounts' })],
});
`,
    });
    const run = await cli(['run', plan, '--database-url', url]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(await versions(url)).toEqual([{ version_num: 'aaa111' }]);
    // Rerun: idempotent.
    expect((await cli(['run', plan, '--database-url', url])).code).toBe(0);
    expect(await versions(url)).toEqual([{ version_num: 'aaa111' }]);
    const head = await alembic(dir, ['upgrade', 'head']);
    expect(head.code, head.err).toBe(0);
    expect(head.err).toContain('Running upgrade aaa111 -> bbb222');
    expect(head.err).not.toContain('Running upgrade  -> aaa111');
    expect(await versions(url)).toEqual([{ version_num: 'bbb222' }]);
  });

  it('refuses a database that is not at the down revision, writing nothing', async () => {
    await query(url, 'DROP TABLE IF EXISTS accounts, alembic_version; DROP SCHEMA IF EXISTS tidemark CASCADE');
    const dir = await scratch(url);
    const plan = writeFiles(dir, {
      'plans/bbb222.plan.ts': `import { definePlan, sql } from 'tidemark';
export default definePlan({
  id: 'add-email',
  records: [{ tool: 'alembic', migration: 'bbb222', dir: '../alembic/versions' }],
  expand: [sql({ id: 'noop', up: 'SELECT 1', down: 'SELECT 1' })],
});
`,
    });
    const r = await cli(['run', plan, '--database-url', url]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('not at its down revision aaa111');
    expect(await query(url, `SELECT to_regclass('alembic_version') IS NULL AS none`)).toEqual([{ none: true }]);
  });
});
