/**
 * op.createTable's inline `REFERENCES` is type-checked before the run's first step (seed 001: a text
 * `job_id REFERENCES "Job" (id)` where ids are uuid): against an existing table, a table an earlier
 * step of the plan creates, and the table itself (self-reference). Matching types spelled differently
 * run; a dry run refuses the same way; a table a raw `sql` step creates is left to PostgreSQL. Also:
 * the type comparison agrees with PostgreSQL's own foreign key check.
 */

import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TidemarkEvent } from '../../src/kind/events.js';
import { resolveTypeName, typesMatch } from '../../src/ops/catalog.js';
import { runPlan } from '../../src/runner/run.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { exec, op, plan, run, sql } from './op-harness.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_create_table_preflight');
  await exec(url, 'CREATE TABLE "Job" (id uuid PRIMARY KEY)');
});

const tableExists = async (t: string) =>
  (await query<{ x: boolean }>(url, `SELECT to_regclass($1) IS NOT NULL AS x`, [`"${t}"`]))[0].x;
const attempts = async (planId: string) =>
  query(url, `SELECT step_id, attempts, status FROM tidemark.steps WHERE plan_id = $1 ORDER BY position`, [planId]);
const fks = async (t: string) =>
  (
    await query<{ def: string }>(
      url,
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY 1`,
      [`"${t}"`],
    )
  ).map((r) => r.def);

describe('op.createTable pre-flight: inline REFERENCES types', () => {
  it('a text column REFERENCES an existing uuid key: refused before the first step, nothing applied', async () => {
    const p = await plan({
      id: 'ct-text-job',
      expand: [
        op.createTable({ id: 'customer', table: 'CustomerA', columns: { id: 'uuid PRIMARY KEY' } }),
        op.createTable({
          id: 'job-item',
          table: 'JobItemA',
          columns: {
            id: 'uuid PRIMARY KEY',
            qty: 'int',
            job_id: 'text NOT NULL REFERENCES "Job" (id) ON DELETE CASCADE',
          },
        }),
      ],
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(1);
    expect(r.message).toBe(
      'plan "ct-text-job": expand › step "job-item" › columns.job_id: JobItemA.job_id would be text but references Job.id, which is uuid: the types must match',
    );
    expect(r.hint).toContain('Declare "job_id" as uuid');
    expect(r.hint).toContain('nothing was applied');
    expect(r.events.some((e) => e.type === 'step.start')).toBe(false);
    expect(await tableExists('CustomerA')).toBe(false);
    expect(await attempts('ct-text-job')).toEqual([
      { step_id: 'customer', attempts: 0, status: 'pending' },
      { step_id: 'job-item', attempts: 0, status: 'pending' },
    ]);
  });

  it('the referenced table is created by an earlier step of the same plan: refused up front', async () => {
    const p = await plan({
      id: 'ct-plan-parent',
      expand: [
        op.createTable({
          id: 'account',
          table: 'AccountB',
          columns: { id: 'UUID DEFAULT gen_random_uuid()', name: 'text' },
          primaryKey: ['id'],
        }),
        op.createTable({
          id: 'invoice',
          table: 'InvoiceB',
          columns: { id: 'bigint PRIMARY KEY', account_id: 'varchar(36) REFERENCES "AccountB" (id)' },
        }),
      ],
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain(
      'expand › step "invoice" › columns.account_id: InvoiceB.account_id would be character varying but references AccountB.id, which is uuid (as step "account" creates it): the types must match',
    );
    expect(await tableExists('AccountB')).toBe(false);
    expect(await tableExists('InvoiceB')).toBe(false);
  });

  it("a self-reference without a column list is checked against the table's own primary key", async () => {
    const p = await plan({
      id: 'ct-self',
      expand: [
        op.createTable({
          id: 'node',
          table: 'NodeC',
          columns: { id: 'bigint PRIMARY KEY', parent_id: 'text REFERENCES "NodeC"' },
        }),
      ],
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain(
      'step "node" › columns.parent_id: NodeC.parent_id would be text but references NodeC.id, which is bigint: the types must match',
    );
    expect(await tableExists('NodeC')).toBe(false);
  });

  it('matching types spelled differently (UUID/uuid, int4/integer, int8/bigint, self-reference) run', async () => {
    const p = await plan({
      id: 'ct-match',
      expand: [
        op.createTable({ id: 'tenant', table: 'TenantD', columns: { id: 'UUID PRIMARY KEY' } }),
        op.createTable({ id: 'region', table: 'RegionD', columns: { id: 'integer PRIMARY KEY' } }),
        op.createTable({
          id: 'site',
          table: 'SiteD',
          columns: {
            id: 'int8 PRIMARY KEY',
            tenant_id: 'uuid NOT NULL REFERENCES "TenantD" (id)',
            region_id: 'int4 REFERENCES "RegionD"',
            job_id: 'UUID REFERENCES "Job" (id)',
            parent_id: 'bigint REFERENCES "SiteD" (id)',
          },
        }),
      ],
    });
    const r = await run(url, p);
    expect(r.exitCode, r.message).toBe(0);
    expect(await fks('SiteD')).toEqual([
      'FOREIGN KEY (job_id) REFERENCES "Job"(id)',
      'FOREIGN KEY (parent_id) REFERENCES "SiteD"(id)',
      'FOREIGN KEY (region_id) REFERENCES "RegionD"(id)',
      'FOREIGN KEY (tenant_id) REFERENCES "TenantD"(id)',
    ]);
  });

  it('a dry run refuses the same way and writes nothing', async () => {
    const p = await plan({
      id: 'ct-dry',
      expand: [
        op.createTable({ id: 'account', table: 'AccountE', columns: { id: 'uuid PRIMARY KEY' } }),
        op.createTable({
          id: 'invoice',
          table: 'InvoiceE',
          columns: { id: 'bigint PRIMARY KEY', account_id: 'text REFERENCES "AccountE" (id)' },
        }),
      ],
    });
    const events: TidemarkEvent[] = [];
    const dry = await runPlan(p, { databaseUrl: url, dryRun: true, events: (e) => events.push(e) });
    expect(dry.exitCode).toBe(1);
    expect(dry.message).toContain(
      'step "invoice" › columns.account_id: InvoiceE.account_id would be text but references AccountE.id, which is uuid',
    );
    expect(events.some((e) => e.type === 'step.dry-run')).toBe(false);
    const real = await run(url, p);
    expect(real.message).toBe(dry.message);
    expect(await tableExists('AccountE')).toBe(false);
  });

  it('a table a raw sql step creates cannot be known up front: left to PostgreSQL when the step runs', async () => {
    const p = await plan({
      id: 'ct-raw-parent',
      expand: [
        sql({ id: 'legacy', up: 'CREATE TABLE "LegacyF" (id uuid PRIMARY KEY)', down: 'DROP TABLE "LegacyF"' }),
        op.createTable({
          id: 'child',
          table: 'ChildF',
          columns: { id: 'bigint PRIMARY KEY', legacy_id: 'text REFERENCES "LegacyF" (id)' },
        }),
      ],
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('incompatible types: text and uuid');
    expect(r.steps.map((s) => [s.stepId, s.outcome])).toEqual([['legacy', 'applied']]);
    expect(await tableExists('ChildF')).toBe(false);
  });
});

describe('foreign key type compatibility agrees with PostgreSQL', () => {
  // [referencing type, referenced type]
  const pairs: [string, string][] = [
    ['text', 'uuid'],
    ['uuid', 'text'],
    ['UUID', 'uuid'],
    ['varchar(20)', 'text'],
    ['text', 'varchar(36)'],
    ['int4', 'integer'],
    ['integer', 'bigint'],
    ['bigint', 'integer'],
    ['integer', 'numeric'],
    ['numeric', 'integer'],
    ['integer', 'text'],
    ['timestamp', 'timestamptz'],
    ['date', 'timestamp'],
    ['smallint', 'bigint'],
    ['citext_missing', 'text'],
  ];
  it.each(pairs)('%s → %s', async (fk, pk) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const a = await resolveTypeName(c, fk);
      const b = await resolveTypeName(c, pk);
      if (!a || !b) {
        expect(fk).toBe('citext_missing'); // an unknown type is not compared at all
        return;
      }
      let accepted = true;
      await c.query('BEGIN');
      try {
        await c.query(`CREATE TEMP TABLE fk_pk (k ${pk} PRIMARY KEY)`);
        await c.query(`CREATE TEMP TABLE fk_fk (k ${fk} REFERENCES fk_pk (k))`);
      } catch (e) {
        expect((e as { code?: string }).code).toBe('42804');
        accepted = false;
      } finally {
        await c.query('ROLLBACK');
      }
      expect(await typesMatch(c, a.oid, b.oid)).toBe(accepted);
    } finally {
      await c.end();
    }
  });
});
