/**
 * op.dropConstraint: check, foreign key, unique (deferrable) and primary key dropped with their
 * definitions recorded in the same transaction, restored without a long lock (NOT VALID → VALIDATE;
 * unique index CONCURRENTLY → USING INDEX), apply → rollback → apply by catalog; a NOT VALID
 * constraint stays NOT VALID; rows that violate it stop the rollback with a sample and a rerun
 * after the fix completes; exclusion constraints and unique keys a foreign key needs are refused.
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
  url = await createTestDatabase('ops_drop_constraint');
});

async function rollbackFile(file: string) {
  return rollbackPlan(await loadPlan(file), { databaseUrl: url });
}

async function constraints(table: string) {
  return query(
    url,
    `SELECT conname, contype::text AS type, pg_get_constraintdef(oid) AS def, convalidated, condeferrable, condeferred
    FROM pg_constraint WHERE conrelid = $1::regclass ORDER BY 1`,
    [table],
  );
}

async function indexes(table: string) {
  return query(
    url,
    `SELECT c.relname, pg_get_indexdef(c.oid) AS def, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass ORDER BY 1`,
    [table],
  );
}

const SETUP = `
  DROP TABLE IF EXISTS lines, orders, reservations CASCADE;
  CREATE TABLE orders (id int CONSTRAINT orders_pk PRIMARY KEY, code text);
  CREATE TABLE lines (
    id int PRIMARY KEY,
    order_id int CONSTRAINT lines_order_fk REFERENCES orders (id) ON DELETE CASCADE,
    qty int CONSTRAINT "Qty positive" CHECK (qty > 0),
    sku text,
    note text,
    CONSTRAINT lines_sku_key UNIQUE (order_id, sku) DEFERRABLE INITIALLY DEFERRED
  );
  ALTER TABLE lines ADD CONSTRAINT lines_note_short CHECK (length(note) < 100) NOT VALID;
  COMMENT ON CONSTRAINT "Qty positive" ON lines IS 'no zero lines';
  INSERT INTO orders SELECT g, 'o' || g FROM generate_series(1, 100) g;
  INSERT INTO lines SELECT g, 1 + g % 100, 1 + g % 5, 's' || g, 'n' FROM generate_series(1, 1000) g;
`;

const PLAN = `{ id: 'drop-cons', contract: [
  op.dropConstraint({ id: 'drop-check', table: 'lines', name: 'Qty positive' }),
  op.dropConstraint({ id: 'drop-fk', table: 'lines', name: 'lines_order_fk' }),
  op.dropConstraint({ id: 'drop-unique', table: 'lines', name: 'lines_sku_key' }),
  op.dropConstraint({ id: 'drop-not-valid', table: 'lines', name: 'lines_note_short' }),
  op.dropConstraint({ id: 'drop-pk', table: 'orders', name: 'orders_pk' }),
] }`;

describe('op.dropConstraint', () => {
  it('drops and restores check, foreign key, unique, NOT VALID and primary key; apply → rollback → apply', async () => {
    await query(url, SETUP);
    const before = {
      lines: await constraints('lines'),
      orders: await constraints('orders'),
      li: await indexes('lines'),
      oi: await indexes('orders'),
    };
    const file = writePlan(tempDir(), PLAN);
    const d = await describePlan(await loadPlan(file), { databaseUrl: url });
    expect(d.steps.map((s) => s.actions.map((a) => a.sql))).toEqual([
      ['ALTER TABLE "public"."lines" DROP CONSTRAINT "Qty positive"'],
      ['ALTER TABLE "public"."lines" DROP CONSTRAINT "lines_order_fk"'],
      ['ALTER TABLE "public"."lines" DROP CONSTRAINT "lines_sku_key"'],
      ['ALTER TABLE "public"."lines" DROP CONSTRAINT "lines_note_short"'],
      ['ALTER TABLE "public"."orders" DROP CONSTRAINT "orders_pk"'],
    ]);
    // the foreign key is dropped before the primary key it needs, and restored after it (rollback runs newest first)
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect((await constraints('lines')).filter((c) => c.type !== 'n').map((c) => c.conname)).toEqual(['lines_pkey']);
    expect((await constraints('orders')).filter((c) => c.type !== 'n')).toEqual([]);

    const dd = await describePlan(await loadPlan(file), { databaseUrl: url, rollback: true });
    const down = Object.fromEntries(dd.steps.map((s) => [s.stepId, s.actions.map((a) => a.sql)]));
    expect(down['drop-check']).toEqual([
      'ALTER TABLE "public"."lines" ADD CONSTRAINT "Qty positive" CHECK ((qty > 0)) NOT VALID',
      'ALTER TABLE "public"."lines" VALIDATE CONSTRAINT "Qty positive"',
      `COMMENT ON CONSTRAINT "Qty positive" ON "public"."lines" IS 'no zero lines'`,
    ]);
    expect(down['drop-unique']).toEqual([
      'CREATE UNIQUE INDEX CONCURRENTLY lines_sku_key ON public.lines USING btree (order_id, sku)',
      'ALTER TABLE "public"."lines" ADD CONSTRAINT "lines_sku_key" UNIQUE USING INDEX "lines_sku_key" DEFERRABLE INITIALLY DEFERRED',
    ]);
    expect(down['drop-not-valid']).toEqual([
      'ALTER TABLE "public"."lines" ADD CONSTRAINT "lines_note_short" CHECK ((length(note) < 100)) NOT VALID',
    ]);

    const rb = await rollbackFile(file);
    expect(rb.message).toMatch(/rolled back 5/);
    expect({
      lines: await constraints('lines'),
      orders: await constraints('orders'),
      li: await indexes('lines'),
      oi: await indexes('orders'),
    }).toEqual(before);
    expect(
      (
        await query(
          url,
          `SELECT obj_description(oid, 'pg_constraint') AS c FROM pg_constraint WHERE conname = 'Qty positive'`,
        )
      )[0].c,
    ).toBe('no zero lines');

    expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(0);
    expect((await rollbackFile(file)).exitCode).toBe(0);
    expect({
      lines: await constraints('lines'),
      orders: await constraints('orders'),
      li: await indexes('lines'),
      oi: await indexes('orders'),
    }).toEqual(before);
  });

  it('a rollback stopped by violating rows names them; the constraint is back NOT VALID; after the fix it validates', async () => {
    await query(url, SETUP);
    const file = writePlan(
      tempDir(),
      `{ id: 'drop-check-bad', contract: [op.dropConstraint({ id: 'drop-check', table: 'lines', name: 'Qty positive' })] }`,
    );
    expect((await runFile(file, { databaseUrl: url })).exitCode).toBe(0);
    await query(url, `UPDATE lines SET qty = 0 WHERE id IN (7, 8)`);
    const rb = await rollbackFile(file);
    expect(rb.exitCode).toBe(1);
    expect(rb.message).toMatch(/2 row\(s\) of public\.lines violate check "Qty positive"/);
    expect(rb.message).toMatch(/"id":7/);
    const mid = (await constraints('lines')).find((c) => c.conname === 'Qty positive');
    expect(mid?.convalidated).toBe(false);
    await expect(query(url, `INSERT INTO lines (id, qty) VALUES (5000, 0)`)).rejects.toMatchObject({ code: '23514' });
    await query(url, `UPDATE lines SET qty = 1 WHERE qty = 0`);
    const rb2 = await rollbackFile(file);
    expect(rb2.exitCode).toBe(0);
    expect((await constraints('lines')).find((c) => c.conname === 'Qty positive')?.convalidated).toBe(true);
  });

  it('refuses exclusion constraints and unique keys a foreign key depends on; nothing changes', async () => {
    await query(
      url,
      SETUP +
        `CREATE TABLE reservations (id int PRIMARY KEY, during int4range, CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&));`,
    );
    const f1 = writePlan(
      tempDir(),
      `{ id: 'drop-excl', contract: [op.dropConstraint({ id: 'drop-x', table: 'reservations', name: 'no_overlap' })] }`,
    );
    const r1 = await runFile(f1, { databaseUrl: url });
    expect(r1.exitCode).toBe(1);
    expect(r1.message).toMatch(
      /exclusion constraint "no_overlap" cannot be rebuilt without a long ACCESS EXCLUSIVE lock/,
    );
    const f2 = writePlan(
      tempDir(),
      `{ id: 'drop-pk-needed', contract: [op.dropConstraint({ id: 'drop-pk', table: 'orders', name: 'orders_pk' })] }`,
    );
    const r2 = await runFile(f2, { databaseUrl: url });
    expect(r2.exitCode).toBe(1);
    expect(r2.message).toMatch(/foreign keys depend on it: lines_order_fk on lines/);
    const f3 = writePlan(
      tempDir(),
      `{ id: 'drop-missing', contract: [op.dropConstraint({ id: 'drop-z', table: 'lines', name: 'nope' })] }`,
    );
    expect((await runFile(f3, { databaseUrl: url })).message).toMatch(
      /constraint "nope" does not exist on public\.lines/,
    );
    expect((await constraints('reservations')).map((c) => c.conname)).toContain('no_overlap');
  });
});
