import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { describedSql, exec, op, plan, rollback, run, sql, sqlStateOf } from './op-harness.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_enums_ext');
});

const labels = async (type: string) =>
  (
    await query<{ enumlabel: string }>(
      url,
      `SELECT enumlabel FROM pg_enum WHERE enumtypid = to_regtype($1) ORDER BY enumsortorder`,
      [type],
    )
  ).map((r) => r.enumlabel);
const extension = async (name: string) =>
  (await query<{ extversion: string }>(url, `SELECT extversion FROM pg_extension WHERE extname = $1`, [name]))[0];

describe('op.createEnum', () => {
  it('creates, rolls back, creates again; labels with quotes and backslashes round-trip', async () => {
    const values = ['new', "it's", 'back\\slash', 'Mixed Case', 'ünï'];
    const p = await plan({ id: 'enum-life', expand: [op.createEnum({ id: 'status', name: 'LeadStatus', values })] });
    const d = await describedSql(url, p);
    expect(d.status).toEqual([
      `CREATE TYPE "LeadStatus" AS ENUM ('new', 'it''s', E'back\\\\slash', 'Mixed Case', 'ünï')`,
    ]);
    const r = await run(url, p);
    expect(r.message).toBeUndefined();
    expect(r.statements).toEqual(d.status);
    expect(await labels('"LeadStatus"')).toEqual(values);
    expect((await describedSql(url, p, true)).status).toEqual(['DROP TYPE IF EXISTS "LeadStatus"']);
    await rollback(url, p);
    expect(await labels('"LeadStatus"')).toEqual([]);
    expect((await run(url, p)).exitCode).toBe(0);
    expect(await labels('"LeadStatus"')).toEqual(values);
    await rollback(url, p);
  });

  it('refuses an existing type, duplicate labels and labels over 63 bytes', async () => {
    await exec(url, `CREATE TYPE mood AS ENUM ('ok')`);
    const exists = await run(
      url,
      await plan({ id: 'enum-exists', expand: [op.createEnum({ id: 'mood', name: 'mood', values: ['ok', 'sad'] })] }),
    );
    expect(exists.exitCode).toBe(1);
    expect(exists.message).toContain('type mood already exists as an enum (ok)');
    await expect(
      plan({ id: 'enum-bad', expand: [op.createEnum({ id: 'e', name: 'e', values: ['a', 'a', 'x'.repeat(64)] })] }),
    ).rejects.toThrow(/values\[1\]: "a" is listed twice[\s\S]*values\[2\]: is 64 bytes long/);
  });

  it('rollback refuses clearly while a column still uses the type', async () => {
    const p = await plan({
      id: 'enum-used',
      expand: [
        op.createEnum({ id: 'kind', name: 'deal_kind', values: ['a', 'b'] }),
        sql({ id: 'use', up: 'CREATE TABLE deals_k (k deal_kind)', down: 'SELECT 1' }),
      ],
    });
    expect((await run(url, p)).exitCode).toBe(0);
    const r = await rollback(url, p, { to: 'kind' });
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('type deal_kind is still in use');
    expect(r.message).toContain('deals_k');
    await exec(url, 'DROP TABLE deals_k', 'DROP TYPE deal_kind');
  });
});

describe('op.addEnumValue', () => {
  it('adds after/before; the value is usable by the next step; rollback refuses before undoing anything', async () => {
    await exec(
      url,
      `CREATE TYPE stage AS ENUM ('lead', 'won')`,
      `CREATE TABLE deals (id int PRIMARY KEY, stage stage)`,
    );
    const p = await plan({
      id: 'enum-add',
      expand: [
        op.createTable({ id: 'notes', table: 'notes', columns: { id: 'int' } }),
        op.addEnumValue({ id: 'negotiation', enum: 'stage', value: 'negotiation', after: 'lead' }),
        op.addEnumValue({ id: 'prospect', enum: 'stage', value: 'prospect', before: 'lead' }),
      ],
      backfill: [
        sql({
          id: 'use-it',
          up: `INSERT INTO deals VALUES (1, 'negotiation')`,
          down: 'DELETE FROM deals WHERE id = 1',
        }),
      ],
    });
    const d = await describedSql(url, p);
    expect(d.negotiation).toEqual([`ALTER TYPE "stage" ADD VALUE IF NOT EXISTS 'negotiation' AFTER 'lead'`]);
    expect(d.prospect).toEqual([`ALTER TYPE "stage" ADD VALUE IF NOT EXISTS 'prospect' BEFORE 'lead'`]);
    const r = await run(url, p);
    expect(r.message).toBeUndefined();
    expect(await labels('stage')).toEqual(['prospect', 'lead', 'negotiation', 'won']);

    const down = await describePlanRollback(p);
    expect(down).toContain('PostgreSQL cannot drop an enum value');
    const rb = await rollback(url, p);
    expect(rb.exitCode).toBe(1);
    expect(rb.message).toContain('step "prospect" is irreversible');
    expect(await query(url, `SELECT count(*)::int AS n FROM deals`)).toEqual([{ n: 1 }]); // nothing undone
    expect(await sqlStateOf(url, 'SELECT 1 FROM notes')).toBeNull();
    expect((await rollback(url, p, { to: 'use-it' })).exitCode).toBe(0);
    expect(await query(url, `SELECT count(*)::int AS n FROM deals`)).toEqual([{ n: 0 }]);
  });

  it('an existing value is a no-op; a missing anchor or enum is refused clearly; after+before is invalid', async () => {
    const again = await run(
      url,
      await plan({ id: 'enum-again', expand: [op.addEnumValue({ id: 'won', enum: 'stage', value: 'won' })] }),
    );
    expect(again.exitCode).toBe(0);
    expect(await labels('stage')).toEqual(['prospect', 'lead', 'negotiation', 'won']);
    const anchor = await run(
      url,
      await plan({
        id: 'enum-anchor',
        expand: [op.addEnumValue({ id: 'x', enum: 'stage', value: 'lost', after: 'nope' })],
      }),
    );
    expect(anchor.exitCode).toBe(1);
    expect(anchor.message).toContain('has no value "nope"');
    const missing = await run(
      url,
      await plan({ id: 'enum-missing', expand: [op.addEnumValue({ id: 'x', enum: 'nothere', value: 'a' })] }),
    );
    expect(missing.message).toContain('enum nothere does not exist');
    await expect(
      plan({
        id: 'enum-both',
        expand: [op.addEnumValue({ id: 'x', enum: 'stage', value: 'a', after: 'lead', before: 'won' })],
      }),
    ).rejects.toThrow(/before: give `after` or `before`, not both/);
  });
});

describe('op.enableExtension', () => {
  it('installs, rolls back by dropping it, installs again', async () => {
    const p = await plan({ id: 'ext-life', expand: [op.enableExtension({ id: 'hstore', name: 'hstore' })] });
    expect((await describedSql(url, p)).hstore).toEqual(['CREATE EXTENSION IF NOT EXISTS "hstore"']);
    expect((await run(url, p)).exitCode).toBe(0);
    expect(await extension('hstore')).toBeDefined();
    expect((await describedSql(url, p, true)).hstore).toEqual(['DROP EXTENSION IF EXISTS "hstore"']);
    await rollback(url, p);
    expect(await extension('hstore')).toBeUndefined();
    expect((await run(url, p)).exitCode).toBe(0);
    await rollback(url, p);
  });

  it('keepOnRollback leaves it installed (seed 002, revision G)', async () => {
    const p = await plan({
      id: 'ext-keep',
      expand: [op.enableExtension({ id: 'uuid', name: 'uuid-ossp', keepOnRollback: true })],
    });
    expect((await describedSql(url, p)).uuid).toEqual(['CREATE EXTENSION IF NOT EXISTS "uuid-ossp"']);
    expect((await run(url, p)).exitCode).toBe(0);
    expect((await describedSql(url, p, true)).uuid).toEqual([]);
    await rollback(url, p);
    expect(await extension('uuid-ossp')).toBeDefined();
  });

  it('an extension installed before the step is left installed on rollback', async () => {
    await exec(url, 'CREATE EXTENSION IF NOT EXISTS citext');
    const p = await plan({ id: 'ext-pre', expand: [op.enableExtension({ id: 'citext', name: 'citext' })] });
    const r = await run(url, p);
    expect(r.exitCode).toBe(0);
    await rollback(url, p);
    expect(await extension('citext')).toBeDefined();
  });

  it('an extension the server does not have is refused with what to install', async () => {
    const r = await run(
      url,
      await plan({ id: 'ext-missing', expand: [op.enableExtension({ id: 'vector', name: 'tidemark_no_such_ext' })] }),
    );
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('extension "tidemark_no_such_ext" is not available on this server');
  });
});

async function describePlanRollback(p: Awaited<ReturnType<typeof plan>>): Promise<string> {
  const { describePlan } = await import('../../src/runner/describe.js');
  const d = await describePlan(p, { databaseUrl: url, rollback: true });
  return JSON.stringify(d.steps.map((s) => s.irreversible ?? null));
}
