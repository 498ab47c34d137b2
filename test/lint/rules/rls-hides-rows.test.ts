/**
 * Rule `rls-hides-rows` (database, warning): row-level security that would hide rows from the
 * connected (migrating) role. Against a real server with a non-superuser role.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../../helpers/db.js';
import { active, lintPlanBody, lintSql, tty } from '../helpers.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('lint_rule_rls');
});

describe('rls-hides-rows (--database-url)', () => {
  const role = 'tm_lint_rls_app';
  let appUrl: string;
  beforeAll(async () => {
    await query(
      url,
      `
      CREATE TABLE tenant_rows (id int PRIMARY KEY, tenant int, v text);
      INSERT INTO tenant_rows SELECT g, g % 3, 'x' FROM generate_series(1, 30) g;
      ALTER TABLE tenant_rows ENABLE ROW LEVEL SECURITY;
      CREATE POLICY by_tenant ON tenant_rows USING (tenant = current_setting('app.tenant', true)::int);
      CREATE TABLE open_rows (id int PRIMARY KEY, v text);
    `,
    );
    await query(
      url,
      `DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN EXECUTE 'DROP OWNED BY ${role}'; EXECUTE 'DROP ROLE ${role}'; END IF; END $$`,
    );
    await query(url, `CREATE ROLE ${role} LOGIN PASSWORD 'rls-pass-123'`);
    await query(url, `GRANT ALL ON tenant_rows, open_rows TO ${role}`);
    const u = new URL(url);
    u.username = role;
    u.password = 'rls-pass-123';
    appUrl = u.toString();
  });
  afterAll(async () => {
    await query(url, `DROP OWNED BY ${role}; DROP ROLE ${role}`).catch(() => undefined);
  });

  it('warns when the connected role would see only the rows the policies allow', async () => {
    const r = await lintSql(
      "UPDATE tenant_rows SET v = upper(v) WHERE v IS NOT NULL;\nUPDATE open_rows SET v = 'y' WHERE id < 10;",
      { databaseUrl: appUrl },
    );
    const found = active(r, 'rls-hides-rows');
    expect(found.map((f) => [f.table, f.level, f.line])).toEqual([['tenant_rows', 'warning', 1]]);
    expect(found[0].message).toContain(`role "${role}"`);
    expect(tty(r, 'rls-hides-rows')).toMatchSnapshot();
  });

  it('ok: the owner (a superuser here) bypasses RLS', async () => {
    const r = await lintSql('UPDATE tenant_rows SET v = upper(v) WHERE v IS NOT NULL;', { databaseUrl: url });
    expect(active(r, 'rls-hides-rows')).toEqual([]);
  });

  it("also checks the tables of a plan's backfills", async () => {
    const r = await lintPlanBody(
      `{ id: 'w', backfill: [backfill.update({ id: 'upper', table: 'tenant_rows', set: { v: 'upper(v)' }, where: 'v IS NOT NULL' })] }`,
      { databaseUrl: appUrl },
    );
    expect(active(r, 'rls-hides-rows').map((f) => f.stepId)).toEqual(['upper']);
  });
});
