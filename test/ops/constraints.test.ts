import { beforeAll, describe, expect, it } from 'vitest';
import { PlanInvalidError } from '../../src/model/errors.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { describedSql, exec, FAST, op, plan, rollback, run, session, sqlStateOf } from './op-harness.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_constraints');
  await exec(
    url,
    'CREATE TABLE tenants (id int PRIMARY KEY, region text, UNIQUE (id, region))',
    "INSERT INTO tenants SELECT g, 'eu' FROM generate_series(1, 5) g",
    'CREATE TABLE "Invoices" (id bigint PRIMARY KEY, tenant_id int, region text, amount numeric, legacy_tenant text)',
    'INSERT INTO "Invoices" SELECT g, 1 + g % 5, \'eu\', g, (1 + g % 5)::text FROM generate_series(1, 2000) g',
  );
});

const constraint = async (name: string) =>
  (
    await query<{ convalidated: boolean; def: string }>(
      url,
      `SELECT convalidated, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = $1`,
      [name],
    )
  )[0];

describe('op.addForeignKey', () => {
  it('adds NOT VALID then validates; rolls back; applies again — exact SQL', async () => {
    const p = await plan({
      id: 'fk-life',
      contract: [
        op.addForeignKey({
          id: 'inv-tenant',
          table: 'Invoices',
          columns: ['tenant_id'],
          references: { table: 'tenants', columns: ['id'] },
          onDelete: 'cascade',
        }),
      ],
    });
    const d = await describedSql(url, p);
    expect(d['inv-tenant']).toEqual([
      'ALTER TABLE "Invoices" ADD CONSTRAINT "Invoices_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON DELETE CASCADE NOT VALID',
      'ALTER TABLE "Invoices" VALIDATE CONSTRAINT "Invoices_tenant_id_fkey"',
    ]);
    const r = await run(url, p);
    expect(r.message).toBeUndefined();
    expect(r.statements).toEqual(d['inv-tenant']);
    expect(await constraint('Invoices_tenant_id_fkey')).toMatchObject({ convalidated: true });
    expect(await sqlStateOf(url, 'INSERT INTO "Invoices" (id, tenant_id) VALUES (99999, 42)')).toBe('23503');

    expect((await describedSql(url, p, true))['inv-tenant']).toEqual([
      'ALTER TABLE "Invoices" DROP CONSTRAINT IF EXISTS "Invoices_tenant_id_fkey"',
    ]);
    expect((await rollback(url, p)).exitCode).toBe(0);
    expect(await constraint('Invoices_tenant_id_fkey')).toBeUndefined();
    expect((await run(url, p)).exitCode).toBe(0);
    expect(await constraint('Invoices_tenant_id_fkey')).toMatchObject({ convalidated: true });
    await rollback(url, p);
  });

  it('composite keys, named', async () => {
    const p = await plan({
      id: 'fk-composite',
      contract: [
        op.addForeignKey({
          id: 'pair',
          table: 'Invoices',
          columns: ['tenant_id', 'region'],
          references: { table: 'tenants', columns: ['id', 'region'] },
          name: 'inv_tenant_region',
        }),
      ],
    });
    expect((await run(url, p)).exitCode).toBe(0);
    expect(await constraint('inv_tenant_region')).toEqual({
      convalidated: true,
      def: 'FOREIGN KEY (tenant_id, region) REFERENCES tenants(id, region)',
    });
    await rollback(url, p);
  });

  it('orphans: fails with count and sample before anything is left behind; rerun after the fix succeeds', async () => {
    await exec(
      url,
      `UPDATE "Invoices" SET tenant_id = 77 WHERE id IN (10, 20, 30)`,
      `UPDATE "Invoices" SET region = 'us' WHERE id = 40`,
    );
    const p = await plan({
      id: 'fk-orphans',
      contract: [
        op.addForeignKey({
          id: 'inv-tenant',
          table: 'Invoices',
          columns: ['tenant_id'],
          references: { table: 'tenants', columns: ['id'] },
        }),
      ],
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('3 row(s)');
    for (const id of [10, 20, 30]) expect(r.message).toContain(`"id":"${id}"`);
    expect(r.message).toContain('"tenant_id":77');
    expect(await constraint('Invoices_tenant_id_fkey')).toBeUndefined();

    const composite = await plan({
      id: 'fk-orphans-2',
      contract: [
        op.addForeignKey({
          id: 'pair',
          table: 'Invoices',
          columns: ['tenant_id', 'region'],
          references: { table: 'tenants', columns: ['id', 'region'] },
        }),
      ],
    });
    const c = await run(url, composite);
    expect(c.exitCode).toBe(1);
    expect(c.message).toContain(
      '4 row(s) of Invoices reference a missing row of tenants (tenant_id, region → id, region)',
    );
    expect(c.message).toContain('"region":"us"');

    await exec(
      url,
      `UPDATE "Invoices" SET tenant_id = 1 WHERE id IN (10, 20, 30)`,
      `UPDATE "Invoices" SET region = 'eu' WHERE id = 40`,
    );
    const again = await run(url, p);
    expect(again.message).toBeUndefined();
    expect(await constraint('Invoices_tenant_id_fkey')).toMatchObject({ convalidated: true });
    await rollback(url, p);
  });

  it('refuses mismatched types (text → int) before anything runs, naming both', async () => {
    const p = await plan({
      id: 'fk-types',
      contract: [
        op.addForeignKey({
          id: 'legacy',
          table: 'Invoices',
          columns: ['legacy_tenant'],
          references: { table: 'tenants', columns: ['id'] },
        }),
      ],
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('Invoices.legacy_tenant is text but tenants.id is integer');
    expect(await constraint('Invoices_legacy_tenant_fkey')).toBeUndefined();
  });

  it('validates column pairs at plan validation', async () => {
    await expect(
      plan({
        id: 'fk-bad',
        contract: [
          op.addForeignKey({ id: 'x', table: 'a', columns: ['a', 'b'], references: { table: 'b', columns: ['id'] } }),
        ],
      }),
    ).rejects.toThrow(/contract › step "x" › references.columns: lists 1 column\(s\) for 2/);
  });

  it('VALIDATE waits for a session holding a conflicting lock instead of failing in lock_timeout', async () => {
    const holder = await session(url);
    let holding: Promise<unknown> | undefined;
    const p = await plan({
      id: 'fk-wait',
      contract: [
        op.addForeignKey({
          id: 'inv-tenant',
          table: 'Invoices',
          columns: ['tenant_id'],
          references: { table: 'tenants', columns: ['id'] },
        }),
      ],
    });
    const t0 = Date.now();
    const r = await run(url, p, FAST, {
      events: (e) => {
        if (e.type === 'step.statement' && e.sql.includes('VALIDATE') && !holding) {
          holding = holder
            .query('BEGIN; LOCK TABLE "Invoices" IN SHARE UPDATE EXCLUSIVE MODE')
            .then(() => new Promise((res) => setTimeout(res, 1500)))
            .then(() => holder.query('COMMIT'));
        }
      },
    });
    await holding;
    await holder.end();
    expect(r.message).toBeUndefined();
    expect(Date.now() - t0).toBeGreaterThan(1400);
    expect(await constraint('Invoices_tenant_id_fkey')).toMatchObject({ convalidated: true });
    await rollback(url, p);
  });
});

describe('op.addCheck', () => {
  it('NOT VALID then VALIDATE; violations are sampled with the columns the expression uses; rerun after the fix', async () => {
    const p = await plan({
      id: 'chk',
      contract: [
        op.addCheck({
          id: 'positive',
          table: 'Invoices',
          name: 'amount_positive',
          expression: 'amount > 0 AND "region" IS NOT NULL',
        }),
      ],
    });
    const d = await describedSql(url, p);
    expect(d.positive).toEqual([
      'ALTER TABLE "Invoices" ADD CONSTRAINT "amount_positive" CHECK (amount > 0 AND "region" IS NOT NULL) NOT VALID',
      'ALTER TABLE "Invoices" VALIDATE CONSTRAINT "amount_positive"',
    ]);
    await exec(url, `UPDATE "Invoices" SET amount = -1 WHERE id IN (5, 6)`);
    const bad = await run(url, p);
    expect(bad.exitCode).toBe(1);
    expect(bad.message).toContain('2 row(s) of Invoices violate check "amount_positive"');
    expect(bad.message).toContain('{"id":"5","amount":"-1","region":"eu"}');
    expect(await constraint('amount_positive')).toBeUndefined();
    await exec(url, `UPDATE "Invoices" SET amount = 1 WHERE id IN (5, 6)`);
    const ok = await run(url, p);
    expect(ok.message).toBeUndefined();
    expect(ok.statements).toEqual(d.positive);
    expect(await constraint('amount_positive')).toMatchObject({ convalidated: true });
    expect(await sqlStateOf(url, `UPDATE "Invoices" SET amount = 0 WHERE id = 1`)).toBe('23514');
    await rollback(url, p);
    expect(await constraint('amount_positive')).toBeUndefined();
    expect((await run(url, p)).exitCode).toBe(0);
    await rollback(url, p);
  });

  it('refuses an expression that smuggles a second statement at validation, before anything runs', async () => {
    const e = await plan({
      id: 'chk-inject',
      contract: [
        op.addCheck({ id: 'evil', table: 'Invoices', name: 'evil', expression: 'true); DROP TABLE tenants; --' }),
      ],
    }).catch((x) => x);
    expect(e).toBeInstanceOf(PlanInvalidError);
    expect(e.exitCode).toBe(2);
    expect((e as PlanInvalidError).issues).toEqual([
      expect.objectContaining({
        stepId: 'evil',
        field: 'expression',
        message: expect.stringContaining('closes a ")"'),
      }),
    ]);
    expect(await sqlStateOf(url, 'SELECT 1 FROM tenants')).toBeNull();
  });
});
