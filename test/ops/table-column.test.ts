import { beforeAll, describe, expect, it } from 'vitest';
import { runPlan } from '../../src/runner/run.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { describedSql, exec, op, plan, rollback, run, sql, sqlStateOf, stepStatus } from './op-harness.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_table_column');
});

const columnsOf = async (table: string) =>
  await query<{ attname: string; type: string; attnotnull: boolean; def: string | null }>(
    url,
    `SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull, pg_get_expr(d.adbin, d.adrelid) AS def
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [table],
  );

describe('op.createTable', () => {
  it('creates with a primary key, rolls back, applies again; the SQL is the SQL that ran', async () => {
    const p = await plan({
      id: 'ct-life',
      expand: [
        op.createTable({
          id: 'tenants',
          table: 'Tenants',
          columns: { id: 'bigint GENERATED ALWAYS AS IDENTITY', tenant_key: 'text NOT NULL', 'Display Name': 'text' },
          primaryKey: ['id'],
        }),
      ],
    });
    const described = await describedSql(url, p);
    expect(described.tenants).toEqual([
      'CREATE TABLE "Tenants" ("id" bigint GENERATED ALWAYS AS IDENTITY, "tenant_key" text NOT NULL, "Display Name" text, PRIMARY KEY ("id"))',
    ]);
    const r = await run(url, p);
    expect(r.message).toBeUndefined();
    expect(r.statements).toEqual(described.tenants);
    expect((await columnsOf('"Tenants"')).map((c) => [c.attname, c.attnotnull])).toEqual([
      ['id', true],
      ['tenant_key', true],
      ['Display Name', false],
    ]);
    const pk = await query(
      url,
      `SELECT conname FROM pg_constraint WHERE conrelid = '"Tenants"'::regclass AND contype = 'p'`,
    );
    expect(pk).toHaveLength(1);

    expect((await describedSql(url, p, true)).tenants).toEqual(['DROP TABLE IF EXISTS "Tenants"']);
    const down = await rollback(url, p);
    expect(down.exitCode).toBe(0);
    expect(await sqlStateOf(url, 'SELECT 1 FROM "Tenants"')).toBe('42P01');

    const again = await run(url, p);
    expect(again.exitCode).toBe(0);
    expect(await sqlStateOf(url, 'SELECT 1 FROM "Tenants"')).toBeNull();
    await rollback(url, p);
  });

  it('refuses a table that already exists, naming it, and leaves it alone on rollback', async () => {
    await exec(url, 'CREATE TABLE preexisting (id int)', 'INSERT INTO preexisting VALUES (1)');
    const p = await plan({
      id: 'ct-exists',
      expand: [op.createTable({ id: 'make', table: 'preexisting', columns: { id: 'int' } })],
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('preexisting already exists and was not created by this step');
    expect(await stepStatus(url, 'ct-exists', 'make')).toBe('failed');
    await rollback(url, p);
    expect(await query(url, 'SELECT count(*)::int AS n FROM preexisting')).toEqual([{ n: 1 }]);
  });

  it('validates primaryKey against the columns, every problem at once', async () => {
    await expect(
      plan({
        id: 'ct-bad',
        expand: [
          op.createTable({ id: 'a', table: 't', columns: { id: 'int PRIMARY KEY' }, primaryKey: ['nope'] }),
          op.createTable({ id: 'b', table: 't2', columns: {} }),
        ],
      }),
    ).rejects.toThrow(
      /step "a" › primaryKey: "nope" is not one of the columns[\s\S]*step "a" › columns.id: declares PRIMARY KEY while `primaryKey` is also given[\s\S]*step "b" › columns: must define at least one column/,
    );
  });
});

describe('op.addColumn', () => {
  it('adds a nullable column with a stable default without rewriting, rolls back, applies again', async () => {
    await exec(
      url,
      'CREATE TABLE leads (id bigint PRIMARY KEY, email text)',
      "INSERT INTO leads SELECT g, g || '@x' FROM generate_series(1, 1000) g",
    );
    const before = (await query<{ f: string }>(url, `SELECT pg_relation_filenode('leads')::text AS f`))[0].f;
    const p = await plan({
      id: 'ac-life',
      expand: [
        op.addColumn({ id: 'created', table: 'leads', column: 'created_at', type: 'timestamptz', default: 'now()' }),
        op.addColumn({ id: 'status', table: 'leads', column: 'Status', type: 'text', default: "'new'" }),
      ],
    });
    const described = await describedSql(url, p);
    expect(described).toEqual({
      created: ['ALTER TABLE "leads" ADD COLUMN "created_at" timestamptz DEFAULT now()'],
      status: [`ALTER TABLE "leads" ADD COLUMN "Status" text DEFAULT 'new'`],
    });
    const r = await run(url, p);
    expect(r.message).toBeUndefined();
    expect(r.statements).toEqual([...described.created, ...described.status]);
    const after = (await query<{ f: string }>(url, `SELECT pg_relation_filenode('leads')::text AS f`))[0].f;
    expect(after).toBe(before); // no rewrite
    const cols = await columnsOf('leads');
    expect(cols.map((c) => [c.attname, c.attnotnull])).toEqual([
      ['id', true],
      ['email', false],
      ['created_at', false],
      ['Status', false],
    ]);
    expect(await query(url, `SELECT count(*)::int AS n FROM leads WHERE "Status" = 'new'`)).toEqual([{ n: 1000 }]);

    expect(await describedSql(url, p, true)).toEqual({
      status: ['ALTER TABLE "leads" DROP COLUMN IF EXISTS "Status"'],
      created: ['ALTER TABLE "leads" DROP COLUMN IF EXISTS "created_at"'],
    });
    await rollback(url, p);
    expect((await columnsOf('leads')).map((c) => c.attname)).toEqual(['id', 'email']);
    expect((await run(url, p)).exitCode).toBe(0);
    expect((await columnsOf('leads')).map((c) => c.attname)).toEqual(['id', 'email', 'created_at', 'Status']);
    await rollback(url, p);
  });

  it('refuses NOT NULL, serial, inline constraints and volatile defaults at plan validation', async () => {
    const err = await plan({
      id: 'ac-bad',
      expand: [
        op.addColumn({ id: 'nn', table: 'leads', column: 'tenant_id', type: 'uuid not null' }),
        op.addColumn({ id: 'serial', table: 'leads', column: 'n', type: 'bigserial' }),
        op.addColumn({ id: 'uuid', table: 'leads', column: 'u', type: 'uuid', default: 'gen_random_uuid()' }),
        op.addColumn({ id: 'rand', table: 'leads', column: 'r', type: 'float8', default: 'random() * 10' }),
        op.addColumn({ id: 'clock', table: 'leads', column: 'c', type: 'timestamptz', default: 'clock_timestamp()' }),
        op.addColumn({ id: 'seq', table: 'leads', column: 's', type: 'bigint', default: "nextval('s')" }),
        op.addColumn({ id: 'refs', table: 'leads', column: 'x', type: 'int REFERENCES other(id)' }),
        op.addColumn({ id: 'quoted-ok', table: 'leads', column: 'q', type: 'text', default: "'not null random()'" }),
      ],
    }).catch((e) => e as Error);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toMatch(/step "nn" › type: holds NOT NULL[^\n]*op\.setNotNull/);
    expect(msg).toMatch(/step "serial" › type: is bigserial/);
    expect(msg).toMatch(/step "uuid" › default: calls gen_random_uuid\(\), which is volatile/);
    expect(msg).toMatch(/step "rand" › default: calls random\(\)/);
    expect(msg).toMatch(/step "clock" › default: calls clock_timestamp\(\)/);
    expect(msg).toMatch(/step "seq" › default: calls nextval\(\)/);
    expect(msg).toMatch(/step "refs" › type: holds REFERENCES/);
    expect(msg).not.toContain('quoted-ok');
  });

  it('refuses a volatile user function at run time, by the catalog, with nothing changed', async () => {
    await exec(url, `CREATE FUNCTION next_code() RETURNS int LANGUAGE sql VOLATILE AS 'SELECT 7'`);
    const p = await plan({
      id: 'ac-userfn',
      expand: [op.addColumn({ id: 'code', table: 'leads', column: 'code', type: 'int', default: 'next_code()' })],
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('next_code()');
    expect(r.message).toContain('volatile');
    expect((await columnsOf('leads')).map((c) => c.attname)).not.toContain('code');
  });

  it('refuses a column that already exists (not added by this step)', async () => {
    const p = await plan({
      id: 'ac-dup',
      expand: [op.addColumn({ id: 'email', table: 'leads', column: 'email', type: 'text' })],
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('leads.email already exists (text)');
  });

  it('with references: NOT VALID, then VALIDATE; a type mismatch is refused up front naming both types', async () => {
    await exec(
      url,
      'CREATE TABLE customers (id uuid PRIMARY KEY, legacy_id text UNIQUE)',
      'CREATE TABLE deals (id int PRIMARY KEY)',
      'INSERT INTO deals SELECT generate_series(1, 50)',
    );
    const bad = await plan({
      id: 'ac-mismatch',
      expand: [
        op.addColumn({
          id: 'cust',
          table: 'deals',
          column: 'customer_id',
          type: 'text',
          references: { table: 'customers', column: 'id' },
        }),
      ],
    });
    const r = await run(url, bad);
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('deals.customer_id would be text but references customers.id, which is uuid');
    expect((await columnsOf('deals')).map((c) => c.attname)).toEqual(['id']);

    const p = await plan({
      id: 'ac-refs',
      expand: [
        op.addColumn({
          id: 'cust',
          table: 'deals',
          column: 'customer_id',
          type: 'uuid',
          references: { table: 'customers', column: 'id', onDelete: 'set null' },
        }),
      ],
    });
    const described = await describedSql(url, p);
    expect(described.cust).toEqual([
      'ALTER TABLE "deals" ADD COLUMN "customer_id" uuid',
      'ALTER TABLE "deals" ADD CONSTRAINT "deals_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON DELETE SET NULL NOT VALID',
      'ALTER TABLE "deals" VALIDATE CONSTRAINT "deals_customer_id_fkey"',
    ]);
    const ok = await run(url, p);
    expect(ok.message).toBeUndefined();
    expect(ok.statements).toEqual(described.cust);
    expect(
      await query(url, `SELECT convalidated, confdeltype FROM pg_constraint WHERE conname = 'deals_customer_id_fkey'`),
    ).toEqual([{ convalidated: true, confdeltype: 'n' }]);
    expect(await sqlStateOf(url, `INSERT INTO deals VALUES (1000, gen_random_uuid())`)).toBe('23503');
    await rollback(url, p);
    expect(
      await query(url, `SELECT count(*)::int AS n FROM pg_constraint WHERE conname = 'deals_customer_id_fkey'`),
    ).toEqual([{ n: 0 }]);
    expect((await columnsOf('deals')).map((c) => c.attname)).toEqual(['id']);
  });

  it('with references and a default that has no parent: fails with the rows, removes the column, reruns after the fix', async () => {
    await exec(
      url,
      `CREATE TABLE orgs (id int PRIMARY KEY)`,
      `CREATE TABLE projects (id int PRIMARY KEY)`,
      `INSERT INTO projects SELECT generate_series(1, 20)`,
    );
    const p = await plan({
      id: 'ac-orphan',
      expand: [
        op.addColumn({
          id: 'org',
          table: 'projects',
          column: 'org_id',
          type: 'int',
          default: '1',
          references: { table: 'orgs', column: 'id' },
        }),
      ],
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(1);
    expect(r.message).toMatch(/20 row\(s\)|20 /);
    expect(r.message).toMatch(/"org_id":1/);
    expect((await columnsOf('projects')).map((c) => c.attname)).toEqual(['id']);
    await exec(url, 'INSERT INTO orgs VALUES (1)');
    const again = await run(url, p);
    expect(again.message).toBeUndefined();
    expect(await query(url, `SELECT count(*)::int AS n FROM projects WHERE org_id = 1`)).toEqual([{ n: 20 }]);
  });

  it('runs raw sql after it in the same plan', async () => {
    const p = await plan({
      id: 'ac-then-sql',
      expand: [op.addColumn({ id: 'note', table: 'leads', column: 'note', type: 'text' })],
      backfill: [sql({ id: 'fill', up: `UPDATE leads SET note = 'x' WHERE id <= 3` })],
    });
    expect((await run(url, p)).exitCode).toBe(0);
    expect(await query(url, `SELECT count(*)::int AS n FROM leads WHERE note = 'x'`)).toEqual([{ n: 3 }]);
  });

  it('--dry-run prints the statements of pending ops (even on a table a pending step creates) and writes nothing', async () => {
    const fresh = await createTestDatabase('ops_table_column_dry');
    const p = await plan({
      id: 'dry',
      expand: [
        op.createTable({ id: 'runs', table: 'runs', columns: { id: 'bigint', tenant_id: 'int' }, primaryKey: ['id'] }),
        op.addColumn({ id: 'status', table: 'runs', column: 'status', type: 'text' }),
        op.createIndex({ id: 'runs-tenant', table: 'runs', columns: ['tenant_id'] }),
      ],
      contract: [op.setNotNull({ id: 'nn', table: 'runs', column: 'status' })],
    });
    const lines: string[] = [];
    const r = await runPlan(p, {
      databaseUrl: fresh,
      dryRun: true,
      events: (e) => {
        if (e.type === 'step.dry-run') lines.push(...e.lines);
      },
    });
    expect(r.exitCode).toBe(0);
    expect(lines.join('\n')).toContain('CREATE INDEX "runs_tenant_id_idx" ON "runs" ("tenant_id");');
    expect(lines.join('\n')).toContain('ALTER TABLE "runs" ALTER COLUMN "status" SET NOT NULL;');
    expect(await query(fresh, `SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'tidemark'`)).toEqual([
      { n: 0 },
    ]);
    expect(await sqlStateOf(fresh, 'SELECT 1 FROM runs')).toBe('42P01');
  });
});
