import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('backfill_insert');
  // Seed 004: campaigns whose metadata holds agent tasks, expanded into one IntelligenceEvent each.
  await query(
    url,
    `CREATE TABLE "Campaign" (id text PRIMARY KEY, "tenantId" text NOT NULL, metadata jsonb NOT NULL, "createdAt" timestamptz NOT NULL)`,
  );
  await query(
    url,
    `INSERT INTO "Campaign" SELECT 'c' || lpad(g::text, 5, '0'), 't' || (g % 3),
      jsonb_build_object('tasks', (SELECT coalesce(jsonb_agg(jsonb_build_object('agentId', 'a' || k, 'success', k % 2 = 0, 'tokensIn', k * 10, 'completedAt', '2025-10-01T00:00:00Z')), '[]') FROM generate_series(1, g % 4) k)),
      '2025-10-01T00:00:00Z'::timestamptz + g * interval '1 minute'
    FROM generate_series(1, 2000) g`,
  );
  await query(
    url,
    `CREATE TABLE "IntelligenceEvent" (id bigserial PRIMARY KEY, "eventType" text NOT NULL, "entityId" text NOT NULL, "campaignId" text NOT NULL, payload jsonb NOT NULL,
      severity text NOT NULL DEFAULT 'info', "createdAt" timestamptz NOT NULL DEFAULT now(), "tenantId" text NOT NULL, UNIQUE ("campaignId", "entityId"))`,
  );
});

const expand = `backfill.insert({ id: 'events', from: 'Campaign', into: 'IntelligenceEvent', select: ['tenantId', 'metadata'], batch: { size: 150 },
  transform: (rows) => rows.flatMap((c) => c.metadata.tasks.map((t) => ({
    eventType: 'AgentTaskCompleted', entityId: t.agentId, campaignId: c.id, tenantId: c.tenantId,
    payload: { campaignId: c.id, tokensIn: t.tokensIn, success: t.success },
    ...(t.success ? {} : { severity: 'high' }),
    createdAt: new Date(t.completedAt),
  }))),
})`;

describe('backfill.insert', () => {
  it('expands each source row into any number of rows (1 → N); a rerun inserts nothing twice', async () => {
    const file = writePlan(tempDir(), `{ id: 'ins', backfill: [${expand}] }`);
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    const expected = (await query(url, `SELECT sum(jsonb_array_length(metadata->'tasks'))::int n FROM "Campaign"`))[0]
      .n;
    expect(expected).toBe(3000);
    expect(r.steps[0].rowsAffected).toBe(expected);
    expect((await query(url, `SELECT count(*)::int n FROM "IntelligenceEvent"`))[0].n).toBe(expected);
    const e = await query(
      url,
      `SELECT jsonb_typeof(payload) t, payload->>'success' s, severity, "createdAt" = '2025-10-01T00:00:00Z' AS at_ok FROM "IntelligenceEvent" WHERE "campaignId" = 'c00003' ORDER BY "entityId"`,
    );
    expect(e).toEqual([
      { t: 'object', s: 'false', severity: 'high', at_ok: true },
      { t: 'object', s: 'true', severity: 'info', at_ok: true },
      { t: 'object', s: 'false', severity: 'high', at_ok: true },
    ]);
    // A redo of the completed step with onConflict would be needed to run again; a plain rerun does nothing.
    expect((await runFile(file, { databaseUrl: url })).status).toBe('nothing');
    expect((await query(url, `SELECT count(*)::int n FROM "IntelligenceEvent"`))[0].n).toBe(expected);
  });

  it('values + onConflict ignore, and a --redo catch-up pass inserts only what is missing', async () => {
    await query(url, `CREATE TABLE "Lead" (id int PRIMARY KEY, email text NOT NULL, name text, "orgId" int NOT NULL)`);
    await query(
      url,
      `INSERT INTO "Lead" SELECT g, 'l' || g || '@x.io', 'Lead ' || g, g % 4 FROM generate_series(1, 1200) g`,
    );
    await query(
      url,
      `CREATE TABLE "Customer" (id serial PRIMARY KEY, email text NOT NULL UNIQUE, "displayName" text, "orgId" int NOT NULL, "leadId" int)`,
    );
    const file = writePlan(
      tempDir(),
      `{ id: 'leads', backfill: [backfill.insert({ id: 'customers', from: 'Lead', into: 'Customer',
      values: { email: 'lower("Lead".email)', displayName: 'coalesce(name, email)', orgId: '"orgId"', leadId: 'id' }, onConflict: 'ignore', batch: { size: 100 } })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect((await query(url, `SELECT count(*)::int n FROM "Customer"`))[0].n).toBe(1200);
    await query(url, `INSERT INTO "Lead" VALUES (5000, 'new@x.io', NULL, 1)`);
    const redo = await runFile(file, { databaseUrl: url, redo: ['customers'] });
    expect(redo.exitCode).toBe(0);
    expect(redo.steps[0].rowsAffected).toBe(1);
    expect((await query(url, `SELECT count(*)::int n, count(DISTINCT email)::int d FROM "Customer"`))[0]).toEqual({
      n: 1201,
      d: 1201,
    });
    expect((await query(url, `SELECT "displayName" FROM "Customer" WHERE email = 'new@x.io'`))[0].displayName).toBe(
      'new@x.io',
    );
  });

  it('onConflict update replaces the listed columns', async () => {
    await query(url, `CREATE TABLE src (id int PRIMARY KEY, code text NOT NULL, v int)`);
    await query(url, `INSERT INTO src SELECT g, 'k' || g, g FROM generate_series(1, 100) g`);
    await query(url, `CREATE TABLE dst (code text PRIMARY KEY, v int)`);
    await query(url, `INSERT INTO dst VALUES ('k1', -1), ('k2', -2)`);
    const file = writePlan(
      tempDir(),
      `{ id: 'upsert', backfill: [backfill.insert({ id: 'up', from: 'src', into: 'dst', values: { code: 'code', v: 'v * 10' }, onConflict: { target: ['code'], update: ['v'] } })] }`,
    );
    expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(0);
    expect(await query(url, `SELECT code, v FROM dst WHERE code IN ('k1', 'k2') ORDER BY code`)).toEqual([
      { code: 'k1', v: 10 },
      { code: 'k2', v: 20 },
    ]);
    expect((await query(url, `SELECT count(*)::int n FROM dst`))[0].n).toBe(100);
  });

  // Regression: the onConflict probe inserted every column of `into` (`INSERT … SELECT *`), which
  // PostgreSQL refuses for a GENERATED ALWAYS identity: "cannot insert a non-DEFAULT value into column "id"".
  it('onConflict into a GENERATED ALWAYS AS IDENTITY table (the op.createTable docs example): ignore and update', async () => {
    await query(url, `CREATE TABLE legacy_runs (id int PRIMARY KEY, tenant_id int NOT NULL, status text)`);
    await query(url, `INSERT INTO legacy_runs SELECT g, g % 5, 'done' FROM generate_series(1, 300) g`);
    const createTable = `op.createTable({
      id: 'agent-runs',
      table: 'agent_runs',
      columns: { id: 'bigint GENERATED ALWAYS AS IDENTITY', tenant_id: 'int NOT NULL', status: 'text', created_at: 'timestamptz NOT NULL DEFAULT now()' },
      primaryKey: ['id'],
    }), op.createIndex({ id: 'agent-runs-tenant', table: 'agent_runs', columns: ['tenant_id', 'created_at'] }),
    op.createIndex({ id: 'agent-runs-legacy', table: 'agent_runs', columns: ['legacy_id'], unique: true })`;
    const file = writePlan(
      tempDir(),
      `{ id: 'always-identity', expand: [${createTable.replace("status: 'text',", "status: 'text', legacy_id: 'int',")}],
        backfill: [
          backfill.insert({ id: 'copy', from: 'legacy_runs', into: 'agent_runs', values: { tenant_id: 'tenant_id', status: 'status', legacy_id: 'id' }, onConflict: 'ignore', batch: { size: 100 } }),
          backfill.insert({ id: 'upsert', from: 'legacy_runs', into: 'agent_runs', values: { tenant_id: 'tenant_id', status: "'moved'", legacy_id: 'id' }, onConflict: { target: ['legacy_id'], update: ['status'] }, batch: { size: 100 } }),
        ] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(r.steps.find((s) => s.stepId === 'copy')?.rowsAffected).toBe(300);
    expect(
      await query(
        url,
        `SELECT count(*)::int n, count(DISTINCT id)::int ids, min(status) s, max(status) m FROM agent_runs`,
      ),
    ).toEqual([{ n: 300, ids: 300, s: 'moved', m: 'moved' }]);
  });

  it('refuses bad options with the field named, before anything runs', async () => {
    await query(url, `CREATE TABLE src2 (id int PRIMARY KEY, v int)`);
    await query(url, `CREATE TABLE dst2 (id int PRIMARY KEY, v int)`);
    const file = writePlan(
      tempDir(),
      `{ id: 'bad-ins', backfill: [backfill.insert({ id: 'b', from: 'src2', into: 'dst2', values: { id: 'id', v: 'v', w: 'v' }, onConflict: { target: ['id'], update: ['v'] } })] }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(2);
    expect(r.message).toContain('step "b" › values.w: no step creates "dst2"."w" — typo?');
  });
});
