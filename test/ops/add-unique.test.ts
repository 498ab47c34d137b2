import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { describedSql, exec, op, plan, rollback, run, sqlStateOf } from './op-harness.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_add_unique');
  await exec(
    url,
    'CREATE TABLE contracts (id bigint PRIMARY KEY, tenant_id int, deal_id int, "Code" text)',
    "INSERT INTO contracts SELECT g, 1 + g % 3, g, 'c' || g FROM generate_series(1, 3000) g",
  );
});

const uniques = async () =>
  await query<{ conname: string; def: string }>(
    url,
    `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'contracts'::regclass AND contype = 'u' ORDER BY 1`,
  );
const invalidIndexes = async () =>
  (
    await query<{ relname: string }>(
      url,
      `SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'contracts'::regclass AND NOT i.indisvalid`,
    )
  ).map((r) => r.relname);

describe('op.addUnique', () => {
  it('unique index CONCURRENTLY, then ADD CONSTRAINT … USING INDEX; rollback; apply again', async () => {
    const p = await plan({
      id: 'uq-life',
      contract: [op.addUnique({ id: 'tenant-deal', table: 'contracts', columns: ['tenant_id', 'deal_id'] })],
    });
    const d = await describedSql(url, p);
    expect(d['tenant-deal']).toEqual([
      'CREATE UNIQUE INDEX CONCURRENTLY "contracts_tenant_id_deal_id_key" ON "contracts" ("tenant_id", "deal_id")',
      'ALTER TABLE "contracts" ADD CONSTRAINT "contracts_tenant_id_deal_id_key" UNIQUE USING INDEX "contracts_tenant_id_deal_id_key"',
    ]);
    const r = await run(url, p);
    expect(r.message).toBeUndefined();
    expect(r.statements).toEqual(d['tenant-deal']);
    expect(await uniques()).toEqual([
      { conname: 'contracts_tenant_id_deal_id_key', def: 'UNIQUE (tenant_id, deal_id)' },
    ]);
    expect(await sqlStateOf(url, 'INSERT INTO contracts VALUES (99999, 2, 1)')).toBe('23505');

    expect((await describedSql(url, p, true))['tenant-deal']).toEqual([
      'ALTER TABLE "contracts" DROP CONSTRAINT IF EXISTS "contracts_tenant_id_deal_id_key"',
      'DROP INDEX CONCURRENTLY IF EXISTS "public"."contracts_tenant_id_deal_id_key"',
    ]);
    expect((await rollback(url, p)).exitCode).toBe(0);
    expect(await uniques()).toEqual([]);
    expect((await run(url, p)).exitCode).toBe(0);
    expect(await uniques()).toHaveLength(1);
    await rollback(url, p);
  });

  it('duplicates: fails with a sample, leaves no INVALID index; rerun after the fix succeeds', async () => {
    await exec(url, `UPDATE contracts SET "Code" = 'same' WHERE id IN (3, 4, 5)`);
    const p = await plan({
      id: 'uq-dups',
      contract: [op.addUnique({ id: 'code', table: 'contracts', columns: ['Code'], name: 'contracts code unique' })],
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain('1 value(s) of Code appear more than once in contracts (3 rows)');
    for (const id of [3, 4, 5]) expect(r.message).toContain(`{"id":"${id}","Code":"same"}`);
    expect(await invalidIndexes()).toEqual([]);
    expect(await uniques()).toEqual([]);

    await exec(url, `UPDATE contracts SET "Code" = 'c' || id WHERE id IN (3, 4, 5)`);
    const again = await run(url, p);
    expect(again.message).toBeUndefined();
    expect(await uniques()).toEqual([{ conname: 'contracts code unique', def: 'UNIQUE ("Code")' }]);
    await rollback(url, p);
  });

  it('an INVALID index left by an earlier failed build is replaced on the rerun', async () => {
    await exec(url, `UPDATE contracts SET deal_id = 1 WHERE id = 2`);
    expect(await sqlStateOf(url, 'CREATE UNIQUE INDEX CONCURRENTLY contracts_deal_id_key ON contracts (deal_id)')).toBe(
      '23505',
    );
    expect(await invalidIndexes()).toEqual(['contracts_deal_id_key']);
    await exec(url, `UPDATE contracts SET deal_id = 2 WHERE id = 2`);
    const p = await plan({
      id: 'uq-leftover',
      contract: [op.addUnique({ id: 'deal', table: 'contracts', columns: ['deal_id'] })],
    });
    const r = await run(url, p);
    expect(r.message).toBeUndefined();
    expect(r.statements).toEqual([
      'DROP INDEX CONCURRENTLY IF EXISTS "public"."contracts_deal_id_key"',
      'CREATE UNIQUE INDEX CONCURRENTLY "contracts_deal_id_key" ON "contracts" ("deal_id")',
      'ALTER TABLE "contracts" ADD CONSTRAINT "contracts_deal_id_key" UNIQUE USING INDEX "contracts_deal_id_key"',
    ]);
    expect(await invalidIndexes()).toEqual([]);
    await rollback(url, p);
  });

  it('refuses a valid index of the same name it did not build, and leaves it in place on rollback', async () => {
    await exec(url, 'CREATE UNIQUE INDEX contracts_id_tenant_id_key ON contracts (id, tenant_id)');
    const p = await plan({
      id: 'uq-foreign',
      contract: [op.addUnique({ id: 'x', table: 'contracts', columns: ['id', 'tenant_id'] })],
    });
    const r = await run(url, p);
    expect(r.exitCode).toBe(1);
    expect(r.message).toContain(
      'index "contracts_id_tenant_id_key" already exists on contracts and was not built by this step',
    );
    await rollback(url, p);
    expect(
      await query(url, `SELECT count(*)::int AS n FROM pg_class WHERE relname = 'contracts_id_tenant_id_key'`),
    ).toEqual([{ n: 1 }]);
    await exec(url, 'DROP INDEX contracts_id_tenant_id_key');
  });
});
