import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

const ROLE = 'tm_rls_migrator';
const PASSWORD = 'rls-pw-7781';
let adminDb: string;
let asApp: string;

beforeAll(async () => {
  adminDb = await createTestDatabase('backfill_rls');
  const dbName = new URL(adminDb).pathname.slice(1);
  await query(
    adminDb,
    `DO $$ BEGIN CREATE ROLE ${ROLE} LOGIN PASSWORD '${PASSWORD}'; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
  );
  await query(adminDb, `GRANT CREATE ON DATABASE "${dbName}" TO ${ROLE}`);
  await query(adminDb, `CREATE TABLE tenants (id text PRIMARY KEY)`);
  await query(adminDb, `INSERT INTO tenants VALUES ('acme'), ('globex'), ('initech')`);
  await query(
    adminDb,
    `CREATE TABLE notes (id int PRIMARY KEY, tenant text NOT NULL REFERENCES tenants, body text NOT NULL, len int)`,
  );
  await query(
    adminDb,
    `INSERT INTO notes SELECT g, (ARRAY['acme', 'globex', 'initech'])[g % 3 + 1], repeat('x', g % 17) FROM generate_series(1, 900) g`,
  );
  await query(adminDb, `ALTER TABLE notes ENABLE ROW LEVEL SECURITY`);
  await query(adminDb, `CREATE POLICY tenant_isolation ON notes USING (tenant = current_setting('app.tenant', true))`);
  await query(adminDb, `GRANT SELECT, UPDATE ON notes TO ${ROLE}`);
  await query(adminDb, `GRANT SELECT ON tenants TO ${ROLE}`);
  await query(adminDb, `ANALYZE notes`);
  const u = new URL(adminDb);
  u.username = ROLE;
  u.password = PASSWORD;
  asApp = u.toString();
});

describe('row-level security', () => {
  it('refuses a backfill whose policies would hide rows, with the reason, changing nothing', async () => {
    const file = writePlan(
      tempDir(),
      `{ id: 'rls-refused', backfill: [backfill.update({ id: 'len', table: 'notes', set: { len: 'length(body)' } })] }`,
    );
    const r = await runFile(file, { databaseUrl: asApp });
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain(
      'row-level security that applies to role "tm_rls_migrator" (policies "tenant_isolation")',
    );
    expect(r.message).not.toContain(PASSWORD);
    expect((await query(adminDb, `SELECT count(len)::int n FROM notes`))[0].n).toBe(0);
  });

  it('perTenant runs it tenant by tenant under SET LOCAL (tenants from the referenced table)', async () => {
    const file = writePlan(
      tempDir(),
      `{ id: 'rls-tenants', backfill: [backfill.update({ id: 'len', table: 'notes', set: { len: 'length(body)' }, perTenant: { column: 'tenant', setting: 'app.tenant' }, batch: { size: 100 } })] }`,
    );
    const r = await runFile(file, { databaseUrl: asApp });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(r.steps[0].rowsAffected).toBe(900);
    expect(
      (await query(adminDb, `SELECT count(*)::int n FROM notes WHERE len IS DISTINCT FROM length(body)`))[0].n,
    ).toBe(0);
    expect(
      r.events.some((e) => e.type === 'notice' && e.message.includes('perTenant: 3 tenant(s) from public.tenants.id')),
    ).toBe(true);
  });

  it('never reports success after touching 0 of N rows', async () => {
    await query(adminDb, `UPDATE notes SET len = NULL`);
    const file = writePlan(
      tempDir(),
      `{ id: 'rls-zero', backfill: [backfill.update({ id: 'len', table: 'notes', set: { len: 'length(body)' }, perTenant: { column: 'tenant', setting: 'app.not_the_policy_setting' } })] }`,
    );
    const r = await runFile(file, { databaseUrl: asApp });
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('walked 0 of about 900 rows of notes');
    expect((await query(adminDb, `SELECT count(len)::int n FROM notes`))[0].n).toBe(0);
  });

  it('backfill.insert: refused under RLS without perTenant; with it, copies tenant by tenant into an RLS table, once', async () => {
    await query(
      adminDb,
      `CREATE TABLE note_copies (note_id int PRIMARY KEY, tenant text NOT NULL, body text NOT NULL)`,
    );
    await query(adminDb, `ALTER TABLE note_copies ENABLE ROW LEVEL SECURITY`);
    await query(
      adminDb,
      `CREATE POLICY copies_isolation ON note_copies USING (tenant = current_setting('app.tenant', true)) WITH CHECK (tenant = current_setting('app.tenant', true))`,
    );
    await query(adminDb, `GRANT SELECT, INSERT ON note_copies TO ${ROLE}`);
    const values = `values: { note_id: 'id', tenant: 'tenant', body: 'body' }`;
    const refused = writePlan(
      tempDir(),
      `{ id: 'rls-insert-refused', backfill: [backfill.insert({ id: 'copy', from: 'notes', into: 'note_copies', ${values} })] }`,
    );
    const r0 = await runFile(refused, { databaseUrl: asApp });
    expect(r0.exitCode).toBe(1);
    expect(r0.message).toContain('table notes has row-level security');
    expect((await query(adminDb, `SELECT count(*)::int n FROM note_copies`))[0].n).toBe(0);

    const file = writePlan(
      tempDir(),
      `{ id: 'rls-insert', backfill: [backfill.insert({ id: 'copy', from: 'notes', into: 'note_copies', ${values}, onConflict: 'ignore', perTenant: { column: 'tenant', setting: 'app.tenant' }, batch: { size: 100 } })] }`,
    );
    const r = await runFile(file, { databaseUrl: asApp });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(r.steps[0].rowsAffected).toBe(900);
    expect(await query(adminDb, `SELECT tenant, count(*)::int n FROM note_copies GROUP BY 1 ORDER BY 1`)).toEqual([
      { tenant: 'acme', n: 300 },
      { tenant: 'globex', n: 300 },
      { tenant: 'initech', n: 300 },
    ]);
    expect(
      (
        await query(
          adminDb,
          `SELECT count(*)::int n FROM note_copies c JOIN notes n ON n.id = c.note_id WHERE n.tenant <> c.tenant OR n.body <> c.body`,
        )
      )[0].n,
    ).toBe(0);
    const again = await runFile(file, { databaseUrl: asApp, redo: ['copy'] });
    expect(again.exitCode, again.message).toBe(0); // a catch-up pass: every row is already there
    expect(again.steps[0].rowsAffected).toBe(0);
    expect((await query(adminDb, `SELECT count(*)::int n FROM note_copies`))[0].n).toBe(900);
  });
});
