/**
 * Refused before anything runs (docs/plans.md): a referencing column whose type differs from the
 * referenced one (seed 001: uuid ids, a text customer_id) stops the run before its first step, not
 * when its own step comes up after earlier steps were applied. Also for op.addForeignKey, in dry
 * runs, and when an earlier step of the plan creates the referenced table or column (its type is
 * taken from that step's definition).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { TidemarkEvent } from '../../src/kind/events.js';
import { runPlan } from '../../src/runner/run.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { exec, op, plan, run } from './op-harness.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_add_column_preflight');
  await exec(
    url,
    'CREATE TABLE "Customer" (id uuid PRIMARY KEY)',
    'CREATE TABLE "Lead" (id uuid PRIMARY KEY, email text)',
    'CREATE TABLE "Job" (id uuid PRIMARY KEY)',
  );
});

const columns = async (table: string) =>
  (
    await query<{ attname: string }>(
      url,
      `SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [`"${table}"`],
    )
  ).map((r) => r.attname);

describe('pre-flight: foreign key types', () => {
  it('op.addColumn: a mismatched references type in the second step refuses the run before the first step', async () => {
    const p = await plan({
      id: 'seed-001-text-ids',
      expand: [
        op.addColumn({ id: 'lead-note', table: 'Lead', column: 'note', type: 'text' }),
        op.addColumn({
          id: 'job-customer',
          table: 'Job',
          column: 'customer_id',
          type: 'text',
          references: { table: 'Customer', column: 'id' },
        }),
      ],
    });
    const r = await run(url, p);
    expect(r.exitCode).not.toBe(0);
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('plan "seed-001-text-ids"');
    expect(r.message).toContain('step "job-customer"');
    expect(r.message).toContain('step "job-customer" › type:');
    expect(r.message).toContain('Job.customer_id would be text but references Customer.id, which is uuid');
    expect(r.hint).toContain('Declare the column as uuid');
    expect(r.events.some((e) => e.type === 'step.start')).toBe(false);
    // NOTHING applied: the first column is absent, and no step of the plan was attempted.
    expect(await columns('Lead')).toEqual(['id', 'email']);
    expect(await columns('Job')).toEqual(['id']);
    expect(
      await query(
        url,
        `SELECT step_id, attempts FROM tidemark.steps WHERE plan_id = 'seed-001-text-ids' ORDER BY position`,
      ),
    ).toEqual([
      { step_id: 'lead-note', attempts: 0 },
      { step_id: 'job-customer', attempts: 0 },
    ]);
  });

  it('a dry run reports the same refusal and writes nothing', async () => {
    const p = await plan({
      id: 'seed-001-dry',
      expand: [
        op.addColumn({ id: 'lead-note', table: 'Lead', column: 'note2', type: 'text' }),
        op.addColumn({
          id: 'lead-customer',
          table: 'Lead',
          column: 'customer_id',
          type: 'text',
          references: { table: 'Customer', column: 'id' },
        }),
      ],
    });
    const events: TidemarkEvent[] = [];
    const dry = await runPlan(p, { databaseUrl: url, dryRun: true, events: (e) => events.push(e) });
    const real = await run(url, p);
    expect(dry.exitCode).toBe(1);
    expect(dry.message).toBe(real.message);
    expect(events.some((e) => e.type === 'step.dry-run')).toBe(false);
    expect(await columns('Lead')).toEqual(['id', 'email']);
  });

  it('op.addForeignKey: mismatched column types refuse the run before its first step', async () => {
    await exec(url, 'CREATE TABLE "Invoice" (id int PRIMARY KEY, customer_ref text)');
    const p = await plan({
      id: 'fk-text-uuid',
      expand: [op.addColumn({ id: 'invoice-note', table: 'Invoice', column: 'note', type: 'text' })],
      contract: [
        op.addForeignKey({
          id: 'invoice-customer',
          table: 'Invoice',
          columns: ['customer_ref'],
          references: { table: 'Customer', columns: ['id'] },
        }),
      ],
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('plan "fk-text-uuid"');
    expect(r.message).toContain('step "invoice-customer"');
    expect(r.message).toContain('Invoice.customer_ref is text but Customer.id is uuid');
    expect(await columns('Invoice')).toEqual(['id', 'customer_ref']);
  });

  it('a referenced table or column an earlier step creates is checked up front from that step, and matching types run', async () => {
    const p = await plan({
      id: 'creates-parent',
      expand: [
        op.createTable({ id: 'account', table: 'Account', columns: { id: 'bigint PRIMARY KEY', ref: 'UUID' } }),
        op.addColumn({
          id: 'customer-account',
          table: 'Customer',
          column: 'account_id',
          type: 'int8',
          references: { table: 'Account', column: 'id' },
        }),
        op.addColumn({ id: 'customer-code', table: 'Customer', column: 'code', type: 'text' }),
        op.addUnique({ id: 'customer-code-unique', table: 'Customer', columns: ['code'] }),
        op.addUnique({ id: 'account-ref-unique', table: 'Account', columns: ['ref'] }),
        op.addColumn({
          id: 'job-account-ref',
          table: 'Job',
          column: 'account_ref',
          type: 'uuid',
          references: { table: 'Account', column: 'ref' },
        }),
        op.addColumn({ id: 'job-code', table: 'Job', column: 'customer_code', type: 'text' }),
      ],
      contract: [
        op.addForeignKey({
          id: 'job-customer-code',
          table: 'Job',
          columns: ['customer_code'],
          references: { table: 'Customer', columns: ['code'] },
        }),
      ],
    });
    const r = await run(url, p);
    expect(r.exitCode, r.message).toBe(0);
    expect(
      await query(
        url,
        `SELECT conname FROM pg_constraint WHERE conrelid IN ('"Customer"'::regclass, '"Job"'::regclass) AND contype = 'f' ORDER BY 1`,
      ),
    ).toEqual([
      { conname: 'Customer_account_id_fkey' },
      { conname: 'Job_account_ref_fkey' },
      { conname: 'Job_customer_code_fkey' },
    ]);
  });

  it('op.addColumn: the referenced table is created by an earlier op.createTable with another type: refused before the first step', async () => {
    const p = await plan({
      id: 'creates-parent-text',
      expand: [
        op.createTable({ id: 'region', table: 'Region', columns: { code: 'text PRIMARY KEY' } }),
        op.addColumn({
          id: 'job-region',
          table: 'Job',
          column: 'region_id',
          type: 'int',
          references: { table: 'Region', column: 'code' },
        }),
      ],
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(1);
    expect(r.message).toBe(
      'plan "creates-parent-text": expand › step "job-region" › type: Job.region_id would be integer but references Region.code, which is text (as step "region" creates it): the types must match',
    );
    expect(r.hint).toContain('Declare the column as text');
    expect(r.events.some((e) => e.type === 'step.start')).toBe(false);
    expect(await query(url, `SELECT to_regclass('"Region"') IS NULL AS absent`)).toEqual([{ absent: true }]);
    expect(await columns('Job')).not.toContain('region_id');
    expect(
      await query(
        url,
        `SELECT step_id, attempts FROM tidemark.steps WHERE plan_id = 'creates-parent-text' ORDER BY position`,
      ),
    ).toEqual([
      { step_id: 'region', attempts: 0 },
      { step_id: 'job-region', attempts: 0 },
    ]);
  });

  it('op.addColumn: the referenced column is added by an earlier op.addColumn with another type: refused up front, also in a dry run', async () => {
    const p = await plan({
      id: 'adds-parent-column',
      expand: [
        op.addColumn({ id: 'lead-ext', table: 'Lead', column: 'ext_id', type: 'bigint' }),
        op.addUnique({ id: 'lead-ext-unique', table: 'Lead', columns: ['ext_id'] }),
        op.addColumn({
          id: 'job-lead-ext',
          table: 'Job',
          column: 'lead_ext_id',
          type: 'text',
          references: { table: 'Lead', column: 'ext_id' },
        }),
      ],
    });
    const dry = await runPlan(p, { databaseUrl: url, dryRun: true });
    const r = await run(url, p);
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain(
      'step "job-lead-ext" › type: Job.lead_ext_id would be text but references Lead.ext_id, which is bigint (as step "lead-ext" creates it)',
    );
    expect(dry.exitCode).toBe(1);
    expect(dry.message).toBe(r.message);
    expect(await columns('Lead')).toEqual(['id', 'email']);
  });

  it('op.addForeignKey: both columns created by earlier steps with different types: refused before the first step', async () => {
    const p = await plan({
      id: 'fk-planned-both',
      expand: [
        op.createTable({ id: 'shop', table: 'Shop', columns: { id: 'uuid PRIMARY KEY' } }),
        op.addColumn({ id: 'job-shop', table: 'Job', column: 'shop_id', type: 'text' }),
      ],
      contract: [
        op.addForeignKey({
          id: 'job-shop-fk',
          table: 'Job',
          columns: ['shop_id'],
          references: { table: 'Shop', columns: ['id'] },
        }),
      ],
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(1);
    expect(r.message).toBe(
      'plan "fk-planned-both": contract › step "job-shop-fk" › columns: Job.shop_id is text (as step "job-shop" creates it) but Shop.id is uuid (as step "shop" creates it): a foreign key needs matching types',
    );
    expect(r.events.some((e) => e.type === 'step.start')).toBe(false);
    expect(await query(url, `SELECT to_regclass('"Shop"') IS NULL AS absent`)).toEqual([{ absent: true }]);
    expect(await columns('Job')).not.toContain('shop_id');
  });
});
