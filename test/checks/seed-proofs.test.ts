/**
 * The validate phases of seed 002 (tenant-aware schema) and seed 000 (wave 1) written as check.*
 * steps, run through the runner: they pass on good data and name the offending rows on bad data.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writeFiles, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('checks_seed_proofs');
});

describe('seed 002: tenant-aware schema (revisions B, C, F)', () => {
  let file: string;
  beforeAll(async () => {
    await query(
      url,
      `
      CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
      INSERT INTO alembic_version VALUES ('20260214_0001');
      CREATE TABLE tenants (id int PRIMARY KEY, tenant_key text UNIQUE NOT NULL);
      INSERT INTO tenants VALUES (1, 'default'), (2, 'other');
      CREATE TABLE leads (id int PRIMARY KEY, email text NOT NULL, status text NOT NULL);
      CREATE TABLE deals (id int PRIMARY KEY, lead_id int REFERENCES leads, stage text NOT NULL);
      CREATE TABLE contracts (id int PRIMARY KEY, deal_id int REFERENCES deals, status text NOT NULL);
      INSERT INTO leads SELECT g, 'lead' || g || '@x.io', (ARRAY['new','qualified','lost'])[1 + g % 3] FROM generate_series(1, 60) g;
      INSERT INTO deals SELECT g, g, (ARRAY['open','won','lost'])[1 + g % 3] FROM generate_series(1, 40) g;
      INSERT INTO contracts SELECT g, g, (ARRAY['draft','signed'])[1 + g % 2] FROM generate_series(1, 20) g;
    `,
    );
    const dir = tempDir();
    writeFiles(dir, {
      'alembic/versions/0001.py': `revision = '20260213_0001'\ndown_revision = None\n`,
      'alembic/versions/0002.py': `revision = '20260214_0001'\ndown_revision = '20260213_0001'\n`,
    });
    file = writePlan(
      dir,
      `{
      id: 'tenancy-2026-02',
      title: 'Tenant-aware schema (revisions B, C, F)',
      preconditions: [check.migrationApplied({ id: 'baseline', tool: 'alembic', name: '20260213_0001', dir: 'alembic/versions' })],
      expand: [
        op.addColumn({ id: 'add-leads-tenant', table: 'leads', column: 'tenant_id', type: 'int', references: { table: 'tenants', column: 'id' } }),
        op.addColumn({ id: 'add-deals-tenant', table: 'deals', column: 'tenant_id', type: 'int', references: { table: 'tenants', column: 'id' } }),
        op.addColumn({ id: 'add-contracts-tenant', table: 'contracts', column: 'tenant_id', type: 'int', references: { table: 'tenants', column: 'id' } }),
      ],
      backfill: [
        sql({ id: 'default-tenant', up: ["UPDATE leads SET tenant_id = 1 WHERE tenant_id IS NULL", "UPDATE deals SET tenant_id = 1 WHERE tenant_id IS NULL",
          "UPDATE contracts SET tenant_id = 1 WHERE tenant_id IS NULL"] }),
      ],
      validate: [
        check.rowCount({ id: 'leads-count', table: 'leads', unchanged: true }),
        check.rowCount({ id: 'deals-count', table: 'deals', unchanged: true }),
        check.noNulls({ id: 'leads-tenant', table: 'leads', column: 'tenant_id' }),
        check.noNulls({ id: 'deals-tenant', table: 'deals', column: 'tenant_id' }),
        check.noNulls({ id: 'contracts-tenant', table: 'contracts', column: 'tenant_id' }),
        check.unique({ id: 'leads-email-per-tenant', table: 'leads', columns: ['tenant_id', 'email'] }),
        check.unique({ id: 'contracts-deal-per-tenant', table: 'contracts', columns: ['tenant_id', 'deal_id'] }),
        check.noOrphans({ id: 'deals-lead', table: 'deals', column: 'lead_id', references: { table: 'leads', column: 'id' } }),
        check.sameTenant({ id: 'deals-same-tenant', table: 'deals', column: 'lead_id', tenantColumn: 'tenant_id', references: { table: 'leads', column: 'id', tenantColumn: 'tenant_id' } }),
        check.allowedValues({ id: 'lead-status', table: 'leads', column: 'status', values: ['new', 'qualified', 'lost'] }),
        check.allowedValues({ id: 'deal-stage', table: 'deals', column: 'stage', values: ['open', 'won', 'lost'] }),
        check.allowedValues({ id: 'contract-status', table: 'contracts', column: 'status', values: ['draft', 'signed', 'void'] }),
      ],
      contract: [
        op.setNotNull({ id: 'leads-tenant-required', table: 'leads', column: 'tenant_id' }),
        op.setNotNull({ id: 'deals-tenant-required', table: 'deals', column: 'tenant_id' }),
        op.setNotNull({ id: 'contracts-tenant-required', table: 'contracts', column: 'tenant_id' }),
      ],
    }`,
    );
  });

  it('names the cross-tenant deal and the stray stage, then passes once fixed', async () => {
    // Application code writes a deal of tenant 2 on a lead of tenant 1 and a stage outside the enum mid-migration.
    const first = await runFile(file, { databaseUrl: url, phase: 'backfill' });
    expect(first.exitCode).toBe(0);
    await query(url, `UPDATE deals SET tenant_id = 2 WHERE id = 7; UPDATE deals SET stage = 'Won' WHERE id = 9`);
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(1);
    expect(r.message).toBe('the proof failed: deals-same-tenant, deal-stage; the contract phase did not start');
    const byId = Object.fromEntries(r.checks.map((c) => [c.stepId, c]));
    expect(byId['deals-same-tenant'].sample).toEqual([{ id: 7, lead_id: 7, tenant_id: 2, 'leads.tenant_id': 1 }]);
    expect(byId['deal-stage'].sample).toEqual([{ id: 9, stage: 'Won' }]);
    expect(byId['leads-count']).toMatchObject({ status: 'pass', actual: 60, expected: 60 });
    await query(url, `UPDATE deals SET tenant_id = 1 WHERE id = 7; UPDATE deals SET stage = 'won' WHERE id = 9`);
    const ok = await runFile(file, { databaseUrl: url });
    expect(ok.exitCode).toBe(0);
    expect(ok.checks.every((c) => c.status === 'pass')).toBe(true);
  });
});

describe('seed 000: wave 1 validate phase', () => {
  it('backfill fidelity, FK integrity, no cross-tenant leakage, cardinality', async () => {
    await query(
      url,
      `
      CREATE TABLE "Agent" (id text PRIMARY KEY, "tenantId" text NOT NULL);
      CREATE TABLE "Conversation" (id text PRIMARY KEY, "agentId" text REFERENCES "Agent", "tenantId" text NOT NULL, intent text, "primaryIntent" text,
        "totalTokensIn" int, "totalTokensOut" int, "tokensUsed" int);
      CREATE TABLE "Message" (id bigint PRIMARY KEY, "conversationId" text NOT NULL, model text, "modelUsed" text);
      CREATE TABLE "LLMUsage" (id bigint PRIMARY KEY, "conversationId" text, tokens int);
      INSERT INTO "Agent" VALUES ('a1', 'acme'), ('a2', 'globex');
      INSERT INTO "Conversation" SELECT 'c' || g, CASE WHEN g % 2 = 0 THEN 'a1' ELSE 'a2' END, CASE WHEN g % 2 = 0 THEN 'acme' ELSE 'globex' END,
        'i' || (g % 3), 'i' || (g % 3), g, g, 2 * g FROM generate_series(1, 30) g;
      UPDATE "Conversation" SET "primaryIntent" = NULL, intent = NULL WHERE id = 'c5';
      INSERT INTO "Message" SELECT g, 'c' || (1 + g % 30), 'gpt-4o', 'gpt-4o' FROM generate_series(1, 300) g;
      UPDATE "Message" SET "modelUsed" = NULL WHERE id = 42;
      INSERT INTO "LLMUsage" SELECT g, 'c' || (1 + g % 30), 10 FROM generate_series(1, 90) g;
    `,
    );
    const file = writePlan(
      tempDir(),
      `{
      id: 'wave-1',
      validate: [
        check.columnsMatch({ id: 'primary-intent', table: 'Conversation', column: 'primaryIntent', equals: 'intent' }),
        check.columnsMatch({ id: 'tokens-used', table: 'Conversation', column: 'tokensUsed', equals: '"totalTokensIn" + "totalTokensOut"' }),
        check.columnsMatch({ id: 'model-used', table: 'Message', column: 'modelUsed', equals: 'model' }),
        check.noOrphans({ id: 'message-conversation', table: 'Message', column: 'conversationId', references: { table: 'Conversation', column: 'id' } }),
        check.sameTenant({ id: 'conversation-agent-tenant', table: 'Conversation', column: 'agentId', tenantColumn: 'tenantId', references: { table: 'Agent', column: 'id', tenantColumn: 'tenantId' } }),
        check.perGroup({ id: 'usage-per-conversation', table: 'LLMUsage', groupBy: 'conversationId', min: 1, max: 10, groupsFrom: { table: 'Conversation', column: 'id' } }),
        check.rowCount({ id: 'usage-rows', table: 'LLMUsage', min: 1 }),
      ],
    }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(1);
    expect(r.checks.map((c) => [c.stepId, c.status])).toEqual([
      ['primary-intent', 'pass'],
      ['tokens-used', 'pass'],
      ['model-used', 'fail'],
      ['message-conversation', 'pass'],
      ['conversation-agent-tenant', 'pass'],
      ['usage-per-conversation', 'pass'],
      ['usage-rows', 'pass'],
    ]);
    expect(r.checks[2].sample).toEqual([{ id: '42', modelUsed: null, expected: 'gpt-4o' }]);
  });
});
