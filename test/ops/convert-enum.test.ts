/**
 * op.convertToEnum in place: the exact SQL (asserted, then executed), column + default + indexes +
 * constraints converted, apply → rollback → apply, the enum left droppable; offending values refused
 * with nothing half-applied and a rerun after the fix; a dependent view refused with the reason.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { describePlan } from '../../src/runner/describe.js';
import { rollbackPlan } from '../../src/runner/rollback.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_convert_enum');
});

async function rollbackFile(file: string) {
  return rollbackPlan(await loadPlan(file), { databaseUrl: url });
}

async function column(table: string, col: string) {
  return (
    await query(
      url,
      `SELECT format_type(atttypid, atttypmod) AS type, attnotnull, pg_get_expr(d.adbin, d.adrelid) AS def
    FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = $1::regclass AND a.attname = $2`,
      [table, col],
    )
  )[0];
}

async function indexes(table: string) {
  return query(
    url,
    `SELECT c.relname, pg_get_indexdef(c.oid) AS def, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass ORDER BY 1`,
    [table],
  );
}

async function constraints(table: string) {
  return query(
    url,
    `SELECT conname, pg_get_constraintdef(oid) AS def, convalidated FROM pg_constraint WHERE conrelid = $1::regclass AND contype <> 'n' ORDER BY 1`,
    [table],
  );
}

const SETUP = `
  DROP TABLE IF EXISTS leads CASCADE;
  DROP TYPE IF EXISTS lead_status;
  CREATE TABLE leads (
    id serial PRIMARY KEY,
    status varchar(20) NOT NULL DEFAULT 'new' CONSTRAINT leads_status_not_blank CHECK (status <> ''),
    email text
  );
  CREATE INDEX leads_status_idx ON leads (status);
  INSERT INTO leads (status, email) SELECT (ARRAY['new', 'won', 'lost'])[1 + g % 3], 'u' || g || '@x' FROM generate_series(1, 300) g;
`;

const PLAN = `{
  id: 'enum-inplace',
  expand: [op.convertToEnum({ id: 'status-enum', table: 'leads', column: 'status', enum: 'lead_status', values: ['new', 'won', 'lost'] })],
}`;

describe('op.convertToEnum in place', () => {
  it('prints the exact SQL, converts column, default, index and check, and rolls back to a droppable enum', async () => {
    await query(url, SETUP);
    const file = writePlan(tempDir(), PLAN);
    const d = await describePlan(await loadPlan(file), { databaseUrl: url });
    expect(d.steps[0].actions.map((a) => a.sql)).toEqual([
      `CREATE TYPE "lead_status" AS ENUM ('new', 'won', 'lost')`,
      `ALTER TABLE "public"."leads" ALTER COLUMN "status" DROP DEFAULT`,
      `ALTER TABLE "public"."leads" ALTER COLUMN "status" TYPE "lead_status" USING "status"::text::"lead_status"`,
      `ALTER TABLE "public"."leads" ALTER COLUMN "status" SET DEFAULT 'new'::"lead_status"`,
    ]);
    const before = {
      col: await column('leads', 'status'),
      idx: await indexes('leads'),
      cons: await constraints('leads'),
    };

    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(await column('leads', 'status')).toEqual({
      type: 'lead_status',
      attnotnull: true,
      def: "'new'::lead_status",
    });
    expect((await indexes('leads')).map((i) => [i.relname, i.indisvalid])).toEqual([
      ['leads_pkey', true],
      ['leads_status_idx', true],
    ]);
    expect((await constraints('leads')).find((c) => c.conname === 'leads_status_not_blank')?.convalidated).toBe(true);
    expect((await query(url, `SELECT count(*)::int AS n FROM leads WHERE status = 'won'`))[0].n).toBe(100);
    // the check still passes on the converted column (values compare as text)
    await query(url, `INSERT INTO leads (email) VALUES ('default@x')`);
    expect((await query(url, `SELECT status::text AS s FROM leads WHERE email = 'default@x'`))[0].s).toBe('new');
    await query(url, `DELETE FROM leads WHERE email = 'default@x'`);

    const dd = await describePlan(await loadPlan(file), { databaseUrl: url, rollback: true });
    expect(dd.steps[0].actions.map((a) => a.sql)).toEqual([
      `ALTER TABLE "public"."leads" ALTER COLUMN "status" DROP DEFAULT`,
      `ALTER TABLE "public"."leads" ALTER COLUMN "status" TYPE character varying(20) USING "status"::text::character varying(20)`,
      `ALTER TABLE "public"."leads" ALTER COLUMN "status" SET DEFAULT 'new'::character varying`,
      `DROP TYPE IF EXISTS "lead_status"`,
    ]);
    const rb = await rollbackFile(file);
    expect(rb.exitCode).toBe(0);
    expect({
      col: await column('leads', 'status'),
      idx: await indexes('leads'),
      cons: await constraints('leads'),
    }).toEqual(before);
    expect((await query(url, `SELECT to_regtype('lead_status') AS t`))[0].t).toBeNull();

    const again = await runFile(file, { databaseUrl: url });
    expect(again.exitCode).toBe(0);
    expect((await column('leads', 'status')).type).toBe('lead_status');
    expect((await rollbackFile(file)).exitCode).toBe(0);
  });

  it('reports offending values with nothing half-applied, then succeeds after the data is fixed', async () => {
    await query(
      url,
      `${SETUP}UPDATE leads SET status = 'Won ' WHERE id IN (3, 6); UPDATE leads SET status = 'spam' WHERE id = 9;`,
    );
    const file = writePlan(tempDir(), PLAN.replace('enum-inplace', 'enum-offenders'));
    const dry = await runFile(file, { databaseUrl: url, dryRun: true });
    expect(dry.exitCode).toBe(0);
    expect(dry.steps[0].note).toMatch(/would be refused: 3 row\(s\)/);
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(1);
    expect(r.message).toMatch(
      /cannot convert public\.leads\.status to enum lead_status: 3 row\(s\).*"Won " \(2\), "spam" \(1\)/,
    );
    expect((await column('leads', 'status')).type).toBe('character varying(20)');
    expect((await query(url, `SELECT to_regtype('lead_status') AS t`))[0].t).toBeNull();

    await query(
      url,
      `UPDATE leads SET status = 'won' WHERE status = 'Won '; UPDATE leads SET status = 'lost' WHERE status = 'spam'`,
    );
    const r2 = await runFile(file, { databaseUrl: url });
    expect(r2.message).toBeUndefined();
    expect(r2.exitCode).toBe(0);
    expect((await column('leads', 'status')).type).toBe('lead_status');
    expect((await rollbackFile(file)).exitCode).toBe(0);
  });

  it('refuses a column a view depends on, naming the view; nothing is created', async () => {
    await query(url, `${SETUP}CREATE VIEW won_leads AS SELECT id, email FROM leads WHERE status = 'won';`);
    const file = writePlan(tempDir(), PLAN.replace('enum-inplace', 'enum-view'));
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(1);
    expect(r.message).toMatch(/views or rules depend on it: won_leads/);
    expect((await query(url, `SELECT to_regtype('lead_status') AS t`))[0].t).toBeNull();
    await query(url, `DROP VIEW won_leads`);
  });

  it('converts with an existing enum (no values), and its rollback leaves that enum droppable', async () => {
    await query(url, `${SETUP}CREATE TYPE lead_status AS ENUM ('new', 'won', 'lost', 'archived');`);
    const file = writePlan(
      tempDir(),
      `{ id: 'enum-existing', contract: [op.convertToEnum({ id: 'conv', table: 'leads', column: 'status', enum: 'lead_status' })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect((await column('leads', 'status')).type).toBe('lead_status');
    expect((await rollbackFile(file)).exitCode).toBe(0);
    expect((await column('leads', 'status')).type).toBe('character varying(20)');
    await query(url, `DROP TYPE lead_status`);
  });

  it('refuses invalid options up front (exit 2)', async () => {
    const file = writePlan(
      tempDir(),
      `{ id: 'enum-bad', expand: [op.convertToEnum({ id: 'conv', table: 'leads', column: 'status', enum: 'lead_status', values: ['a', 'a', '${'x'.repeat(64)}'] })] }`,
    );
    await expect(loadPlan(file)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/values\[1\]: "a" is listed twice[\s\S]*values\[2\]: is 64 bytes long/),
    });
  });
});
