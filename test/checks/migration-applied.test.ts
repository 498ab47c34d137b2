import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kind, schema } from '../../src/checks/migration-applied.js';
import { parseAlembicFile } from '../../src/checks/migration-files.js';
import { installLedger } from '../../src/ledger/install.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writeFiles } from '../helpers/plan-files.js';
import { Db, planOf, readCtx } from './context.js';

let url: string;
let db: Db;
let dir: string;
const run = (o: Record<string, unknown>) =>
  kind.evaluate(readCtx(db, { plan: planOf('checks-test', dir) }), schema.parse({ id: 'm', ...o }));

beforeAll(async () => {
  url = await createTestDatabase('checks_migration_applied');
  db = new Db(url);
  dir = tempDir();
  writeFiles(dir, {
    'alembic/versions/0001_base.py': `"""base"""\nrevision = '20260213_0001'\ndown_revision = None\n`,
    'alembic/versions/0002_a.py': `revision: str = "0002a"\ndown_revision: Union[str, None] = "20260213_0001"\n`,
    'alembic/versions/0002_b.py': `revision = '0002b'\ndown_revision = '20260213_0001'\n`,
    'alembic/versions/sub/0003_merge.py': `revision = "0003"\ndown_revision = (\n    "0002a",\n    "0002b",\n)\n`,
    'alembic/versions/0004_next.py': `revision = '0004'\ndown_revision = '0003'\n`,
    'drizzle/meta/_journal.json': JSON.stringify({
      version: '7',
      dialect: 'postgresql',
      entries: [
        { idx: 0, version: '7', when: 1734221536864, tag: '0000_init', breakpoints: true },
        { idx: 1, version: '7', when: 1734300000000, tag: '0001_brave_hulk', breakpoints: true },
      ],
    }),
  });
});
afterAll(() => db.close());

describe('check.migrationApplied', () => {
  it('prisma: finished and not rolled back', async () => {
    expect((await run({ tool: 'prisma', name: '20260101000000_init' })).actual).toBe('no _prisma_migrations table');
    await query(
      url,
      `CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz, migration_name varchar(255) NOT NULL,
        logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count int NOT NULL DEFAULT 0);
      INSERT INTO _prisma_migrations VALUES ('1', 'x', '2026-01-01T00:00:00Z', '20260101000000_init', NULL, NULL, '2026-01-01T00:00:00Z', 1),
        ('2', 'x', NULL, '20260102000000_broken', 'boom', NULL, '2026-01-02T00:00:00Z', 0),
        ('3', 'x', '2026-01-03T00:00:00Z', '20260103000000_undone', NULL, '2026-01-04T00:00:00Z', '2026-01-03T00:00:00Z', 1)`,
    );
    expect(await run({ tool: 'prisma', name: '20260101000000_init' })).toEqual({
      status: 'pass',
      actual: 'applied 2026-01-01T00:00:00.000Z',
      expected: 'applied',
      sample: [],
    });
    expect((await run({ tool: 'prisma', name: '20260101000000' })).status).toBe('pass');
    const broken = await run({ tool: 'prisma', name: '20260102000000_broken' });
    expect(broken).toMatchObject({ status: 'fail', actual: 'started but not finished (failed)' });
    expect(broken.sample).toHaveLength(1);
    expect((await run({ tool: 'prisma', name: '20260103000000_undone' })).actual).toBe('rolled back');
    const missing = await run({ tool: 'prisma', name: 'nope' });
    expect(missing.message).toBe('no Prisma migration named "nope" in _prisma_migrations');
    expect(missing.sample.map((r) => r.migration_name)).toEqual([
      '20260103000000_undone',
      '20260102000000_broken',
      '20260101000000_init',
    ]);
  });

  it('alembic: a current head, or an ancestor of one when dir is given', async () => {
    await query(
      url,
      `CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('0004')`,
    );
    expect((await run({ tool: 'alembic', name: '0004' })).status).toBe('pass');
    const noDir = await run({ tool: 'alembic', name: '20260213_0001' });
    expect(noDir.status).toBe('fail');
    expect(noDir.message).toMatch(/give dir/);
    expect(await run({ tool: 'alembic', name: '20260213_0001', dir: 'alembic/versions' })).toMatchObject({
      status: 'pass',
      actual: 'ancestor of head 0004',
    });
    expect((await run({ tool: 'alembic', name: '0002b', dir: 'alembic/versions' })).status).toBe('pass');
    expect((await run({ tool: 'alembic', name: '0005', dir: 'alembic/versions' })).status).toBe('fail');
  });

  it('parses alembic revision headers in their usual spellings', () => {
    expect(parseAlembicFile(`revision = 'a'\ndown_revision = ('b', 'c')`)).toMatchObject({
      revision: 'a',
      parents: ['b', 'c'],
    });
    expect(
      parseAlembicFile(`revision: str = "a"\ndown_revision: Union[str, Sequence[str], None] = None`),
    ).toMatchObject({ revision: 'a', parents: [] });
    expect(parseAlembicFile(`# no revision here`)).toBeUndefined();
  });

  it("drizzle v0: by the journal entry's when; v1: by name", async () => {
    await query(
      url,
      `CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations (id serial PRIMARY KEY, hash text NOT NULL, created_at bigint);
      INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('h0', 1734221536864)`,
    );
    expect((await run({ tool: 'drizzle', name: '0000_init', dir: 'drizzle' })).status).toBe('pass');
    expect((await run({ tool: 'drizzle', name: 'init', dir: 'drizzle' })).status).toBe('pass');
    const pending = await run({ tool: 'drizzle', name: '0001_brave_hulk', dir: 'drizzle' });
    expect(pending).toMatchObject({ status: 'fail', actual: 'not applied' });
    expect(pending.sample).toEqual([{ id: 1, created_at: '1734221536864' }]);
    expect((await run({ tool: 'drizzle', name: '0000_init' })).message).toMatch(/give dir/);
    await query(
      url,
      `ALTER TABLE drizzle.__drizzle_migrations ADD COLUMN name text, ADD COLUMN applied_at timestamptz;
      INSERT INTO drizzle.__drizzle_migrations (hash, created_at, name) VALUES ('h1', 1734400000000, '20251222212715_windy_celestials')`,
    );
    expect((await run({ tool: 'drizzle', name: '20251222212715_windy_celestials' })).status).toBe('pass');
    expect((await run({ tool: 'drizzle', name: 'windy_celestials' })).status).toBe('pass');
    expect((await run({ tool: 'drizzle', name: 'pretty_mockingbird' })).status).toBe('fail');
  });

  it('tidemark: a plan completed in the ledger', async () => {
    expect((await run({ tool: 'tidemark', name: 'base-plan' })).actual).toBe('no ledger');
    await installLedger(db, 'tidemark');
    expect((await run({ tool: 'tidemark', name: 'base-plan' })).actual).toBe('never run');
    await query(
      url,
      `INSERT INTO tidemark.plans (plan_id, title, checksum, status) VALUES ('base-plan', 'Base', 'x', 'running')`,
    );
    expect((await run({ tool: 'tidemark', name: 'base-plan' })).actual).toBe('running');
    await query(
      url,
      `UPDATE tidemark.plans SET status = 'completed', completed_at = now() WHERE plan_id = 'base-plan'`,
    );
    expect((await run({ tool: 'tidemark', name: 'base-plan' })).status).toBe('pass');
  });

  it('refuses dir where no files are read', () => {
    expect(kind.validate(schema.parse({ id: 'm', tool: 'prisma', name: 'x', dir: 'y' }))).toEqual([
      { field: 'dir', message: 'is not used with tool "prisma" (only alembic and drizzle read migration files)' },
    ]);
  });
});
