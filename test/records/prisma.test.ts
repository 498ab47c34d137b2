/**
 * `records: [{ tool: 'prisma' }]` against committed Prisma migration folders (Prisma's schema engine is
 * a binary downloaded at run time, which cannot be fetched here): the `_prisma_migrations` row is the
 * one `prisma migrate resolve --applied` writes, in the table as Prisma's engine creates it, with the
 * checksum as Prisma computes it (docs/decisions.md, "Writing the ORMs' history").
 */
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { readPlanStatus } from '../../src/api/status.js';
import { loadPlan } from '../../src/plan/load.js';
import { resolveOrmRecords } from '../../src/plan/orm-records.js';
import { rollbackPlan } from '../../src/runner/rollback.js';
import { killWhen } from '../helpers/crash.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

// Each test spawns the CLI (and the ORM's own tool) several times on a shared 2-core machine.
vi.setConfig({ testTimeout: 180_000 });

const FIXTURES = fileURLToPath(new URL('../fixtures/orm/prisma/migrations', import.meta.url));
const FIRST = '20251110_add_memory_entities';
const CRLF = '20251111_windows_line_endings';

let url: string;
beforeEach(async () => {
  url = await createTestDatabase('records_prisma');
  await query(url, `CREATE TABLE "Lead" (id uuid PRIMARY KEY)`);
});

/** A plan running the fixture's SQL with a record of it; the migrations folder copied beside the plan. */
function project(extraSteps = '', migration = FIRST): string {
  const dir = tempDir('tm-prisma-');
  cpSync(FIXTURES, join(dir, 'prisma', 'migrations'), { recursive: true });
  return writePlan(
    dir,
    `{ id: 'memory-entities',
       records: [{ tool: 'prisma', migration: '${migration}', dir: 'prisma/migrations' }],
       expand: [sqlFile({ id: 'migration', up: 'prisma/migrations/${migration}/migration.sql',
                          down: 'down.sql' })${extraSteps}] }`,
  );
}

/** The down script beside the plan. */
function writeDown(file: string, sql: string) {
  writeFileSync(join(file, '..', 'down.sql'), sql);
}

const DOWN_FIRST = `ALTER TABLE "Lead" DROP COLUMN "customer_id"; DROP TABLE "Customer"; DROP TYPE "MessageRole";`;

const rows = () =>
  query<{
    id: string;
    checksum: string;
    finished_at: Date | null;
    started_at: Date;
    migration_name: string;
    logs: string | null;
    rolled_back_at: Date | null;
    applied_steps_count: number;
  }>(url, `SELECT * FROM _prisma_migrations ORDER BY started_at`);

describe('records: prisma', () => {
  it('creates _prisma_migrations as Prisma does and records the migration with its checksum', async () => {
    const file = project();
    writeDown(file, DOWN_FIRST);
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode, r.message).toBe(0);
    expect(r.events.some((e) => e.type === 'notice' && e.message.includes('recorded prisma migration'))).toBe(true);

    // Prisma's definition (prisma-engines flavour/postgres.rs, create_migrations_table).
    const columns = await query(
      url,
      `SELECT column_name, data_type, character_maximum_length AS len, is_nullable, column_default
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', len: 36, is_nullable: 'NO', column_default: null },
      { column_name: 'checksum', data_type: 'character varying', len: 64, is_nullable: 'NO', column_default: null },
      {
        column_name: 'finished_at',
        data_type: 'timestamp with time zone',
        len: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'migration_name',
        data_type: 'character varying',
        len: 255,
        is_nullable: 'NO',
        column_default: null,
      },
      { column_name: 'logs', data_type: 'text', len: null, is_nullable: 'YES', column_default: null },
      {
        column_name: 'rolled_back_at',
        data_type: 'timestamp with time zone',
        len: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'started_at',
        data_type: 'timestamp with time zone',
        len: null,
        is_nullable: 'NO',
        column_default: 'now()',
      },
      {
        column_name: 'applied_steps_count',
        data_type: 'integer',
        len: null,
        is_nullable: 'NO',
        column_default: '0',
      },
    ]);
    expect(
      await query(
        url,
        `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
          WHERE i.indrelid = '_prisma_migrations'::regclass AND i.indisprimary`,
      ),
    ).toEqual([{ attname: 'id' }]);

    const [row, ...more] = await rows();
    expect(more).toEqual([]);
    // Prisma's checksum: sha256 of the file's bytes, 64 lowercase hex digits (checksum.rs).
    const bytes = readFileSync(join(FIXTURES, FIRST, 'migration.sql'));
    expect(row.checksum).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
    // What `prisma migrate resolve --applied` writes (sql_migration_persistence.rs, mark_migration_applied_impl).
    expect(row.migration_name).toBe(FIRST);
    expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(row.logs).toBe('');
    expect(row.finished_at).not.toBeNull();
    expect(row.finished_at!.getTime()).toBe(row.started_at.getTime());
    expect(row.rolled_back_at).toBeNull();
    expect(row.applied_steps_count).toBe(0);

    // check.migrationApplied, reading Prisma's history, sees it applied.
    const after = writePlan(
      tempDir(),
      `{ id: 'after-memory', preconditions: [check.migrationApplied({ id: 'memory-applied', tool: 'prisma', name: '${FIRST}' })],
         expand: [sql({ id: 'noop', up: 'SELECT 1', down: 'SELECT 1' })] }`,
    );
    const next = await runFile(after, { databaseUrl: url });
    expect(next.exitCode, next.message).toBe(0);
  });

  it("checksums the file's bytes as they are (Windows line endings kept), the vector of Prisma's own test", async () => {
    // Prisma's unit test: render_checksum("hello") = 2cf24dba…
    const dir = tempDir('tm-prisma-');
    cpSync(FIXTURES, join(dir, 'm'), { recursive: true });
    const issues: never[] = [];
    const [rec] = resolveOrmRecords([{ tool: 'prisma', migration: CRLF, dir: 'm' }], dir, [], issues);
    expect(issues).toEqual([]);
    const bytes = readFileSync(join(FIXTURES, CRLF, 'migration.sql'));
    expect(bytes.includes('\r\n')).toBe(true);
    expect(rec).toEqual({
      tool: 'prisma',
      migration: CRLF,
      checksum: createHash('sha256').update(bytes).digest('hex'),
    });
    expect(createHash('sha256').update('hello').digest('hex')).toBe(
      '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    );
  });

  it('is idempotent, keeps rows Prisma wrote, and a whole-plan rollback removes only its own', async () => {
    await query(url, PRISMA_DDL);
    await query(
      url,
      `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, started_at, applied_steps_count)
       VALUES ('00000000-0000-4000-8000-000000000000', repeat('a', 64), now() - interval '1 day', '20251101_init', NULL, now() - interval '1 day', 1)`,
    );
    const file = project();
    writeDown(file, DOWN_FIRST);
    expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(0);
    expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(0);
    expect((await rows()).map((r) => r.migration_name)).toEqual(['20251101_init', FIRST]);
    expect(await query(url, `SELECT tool, migration, removed_at FROM tidemark.orm_records`)).toEqual([
      { tool: 'prisma', migration: FIRST, removed_at: null },
    ]);
    expect((await readPlanStatus(await loadPlan(file), { databaseUrl: url })).records.map((r) => r.migration)).toEqual([
      FIRST,
    ]);

    // A partial rollback keeps the record: the plan is still partly applied.
    const partial = await rollbackPlan(await loadPlan(file), { databaseUrl: url, phase: 'expand' });
    expect(partial.exitCode, partial.message).toBe(0);
    expect((await rows()).map((r) => r.migration_name)).toEqual(['20251101_init', FIRST]);
    // Run again, then roll the whole plan back: the record goes, Prisma's own row stays.
    expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(0);
    const whole = await rollbackPlan(await loadPlan(file), { databaseUrl: url });
    expect(whole.exitCode, whole.message).toBe(0);
    expect((await rows()).map((r) => r.migration_name)).toEqual(['20251101_init']);
    expect((await readPlanStatus(await loadPlan(file), { databaseUrl: url })).records).toEqual([]);
    expect(await query(url, `SELECT to_regclass('"Customer"') IS NULL AS gone`)).toEqual([{ gone: true }]);
    // Running it again writes the record again.
    expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(0);
    expect((await rows()).map((r) => r.migration_name)).toEqual(['20251101_init', FIRST]);
  });

  it('never writes the ORM row without the ledger note: a failed write leaves neither, and no step runs', async () => {
    // A table in the way that is not Prisma's: the insert fails, the transaction takes back both.
    await query(url, `CREATE TABLE _prisma_migrations (id text PRIMARY KEY, migration_name text NOT NULL)`);
    const file = project();
    writeDown(file, DOWN_FIRST);
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(1);
    expect(await query(url, `SELECT count(*)::int AS n FROM _prisma_migrations`)).toEqual([{ n: 0 }]);
    expect(await query(url, `SELECT count(*)::int AS n FROM tidemark.orm_records`)).toEqual([{ n: 0 }]);
    expect(await query(url, `SELECT to_regclass('"Customer"') IS NULL AS not_run`)).toEqual([{ not_run: true }]);
  });

  it('a run killed between the record and the end of the step leaves exactly one record after the rerun', async () => {
    // Sleeps until the test says "rerun now" (the table), so the rerun does not sleep.
    const file = project(
      `, sql({ id: 'slow', up: "SELECT pg_sleep(30) WHERE to_regclass('rerun_now') IS NULL", down: 'SELECT 1' })`,
    );
    writeDown(file, DOWN_FIRST);
    await killWhen(file, url, {}, async () => {
      const [s] = await query<{ n: number }>(
        url,
        `SELECT count(*)::int AS n FROM tidemark.steps WHERE step_id = 'slow' AND status = 'running'`,
      );
      return s.n === 1;
    });
    expect((await rows()).length).toBe(1);
    // The killed process's sessions live on in the server until ended (a sleep does not notice).
    await query(
      url,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    await query(url, `CREATE TABLE rerun_now ()`);
    const done = await runFile(file, { databaseUrl: url });
    expect(done.exitCode, done.message).toBe(0);
    expect((await rows()).map((r) => r.migration_name)).toEqual([FIRST]);
    expect(await query(url, `SELECT count(*)::int AS n FROM tidemark.orm_records`)).toEqual([{ n: 1 }]);
  });
});

const PRISMA_DDL = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;
