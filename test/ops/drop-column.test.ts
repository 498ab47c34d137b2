/**
 * op.dropColumn: archive round trip (data, default, NOT NULL, indexes, constraints, comment come
 * back by catalog), apply → rollback → apply, refusals that write nothing, writes during the
 * archive copy, and a crash mid-copy resumed by a rerun.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { rollbackPlan } from '../../src/runner/rollback.js';
import { killWhen } from '../helpers/crash.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_drop_column');
});

async function rollbackFile(file: string) {
  return rollbackPlan(await loadPlan(file), { databaseUrl: url });
}

/** Columns, indexes and constraints of a table, order-insensitive. */
async function catalog(table: string) {
  const cols = await query(
    url,
    `SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull, pg_get_expr(d.adbin, d.adrelid) AS def, col_description(a.attrelid, a.attnum) AS comment
    FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY attname`,
    [table],
  );
  const idx = await query(
    url,
    `SELECT c.relname, pg_get_indexdef(c.oid) AS def, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = $1::regclass ORDER BY 1`,
    [table],
  );
  const cons = await query(
    url,
    `SELECT conname, contype::text AS contype, pg_get_constraintdef(oid) AS def, convalidated FROM pg_constraint WHERE conrelid = $1::regclass ORDER BY 1`,
    [table],
  );
  return { cols, idx, cons };
}

async function dataOf(sql: string) {
  return (
    await query<{ h: string; n: number }>(
      url,
      `SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) AS h, count(*)::int AS n FROM (${sql}) x`,
    )
  )[0];
}

const SETUP = `
  DROP TABLE IF EXISTS orders, customers CASCADE;
  CREATE TABLE customers (id int PRIMARY KEY);
  INSERT INTO customers SELECT g FROM generate_series(1, 50) g;
  CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    "Status ""Code""" varchar(20) NOT NULL DEFAULT 'new' CONSTRAINT status_not_blank CHECK ("Status ""Code""" <> ''),
    customer_id int CONSTRAINT orders_customer_fk REFERENCES customers (id) ON DELETE CASCADE,
    qty int NOT NULL DEFAULT 1,
    CONSTRAINT orders_status_id_key UNIQUE ("Status ""Code""", id)
  );
  CREATE INDEX orders_status_idx ON orders ("Status ""Code""");
  CREATE INDEX orders_status_lower_idx ON orders (lower("Status ""Code""")) WHERE qty > 0;
  COMMENT ON COLUMN orders."Status ""Code""" IS 'the order''s status';
  INSERT INTO orders ("Status ""Code""", customer_id, qty)
    SELECT (ARRAY['new', 'paid', 'shipped'])[1 + g % 3], CASE WHEN g % 7 = 0 THEN NULL ELSE 1 + g % 50 END, g % 5 FROM generate_series(1, 3000) g;
  ANALYZE orders;
`;

const PLAN = `{
  id: 'drop-cols',
  contract: [
    op.dropColumn({ id: 'drop-status', table: 'orders', column: 'Status "Code"' }),
    op.dropColumn({ id: 'drop-customer', table: 'public.orders', column: 'customer_id' }),
  ],
}`;

describe('op.dropColumn', () => {
  it('archives, drops, and restores the same data and catalog; apply → rollback → apply', async () => {
    await query(url, SETUP);
    const before = await catalog('orders');
    const data = await dataOf(`SELECT id, "Status ""Code""", customer_id FROM orders`);
    const file = writePlan(tempDir(), PLAN);

    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    const after = await catalog('orders');
    expect(after.cols.map((c) => c.attname)).toEqual(['id', 'qty']);
    expect(after.idx.map((i) => i.relname)).toEqual(['orders_pkey']);
    expect(after.cons.filter((c) => c.contype !== 'n').map((c) => c.conname)).toEqual(['orders_pkey']);
    const arch = await query(
      url,
      `SELECT kind, object, archive_schema, archive_table, restored_at FROM tidemark.archives ORDER BY id`,
    );
    expect(arch.map((a) => [a.kind, a.object, a.archive_schema, a.restored_at])).toEqual([
      ['column', 'public.orders.Status "Code"', 'tidemark_archive', null],
      ['column', 'public.orders.customer_id', 'tidemark_archive', null],
    ]);
    const n = await query(
      url,
      `SELECT count(*)::int AS n FROM tidemark_archive.${`"${String(arch[0].archive_table).replace(/"/g, '""')}"`}`,
    );
    expect(n[0].n).toBe(3000);
    // no trigger or function left behind
    expect(
      await query(url, `SELECT tgname FROM pg_trigger WHERE tgrelid = 'orders'::regclass AND NOT tgisinternal`),
    ).toEqual([]);
    expect(
      await query(url, `SELECT proname FROM pg_proc WHERE pronamespace = 'tidemark_archive'::regnamespace`),
    ).toEqual([]);

    const rb = await rollbackFile(file);
    expect(rb.message).toMatch(/rolled back 2/);
    expect(rb.exitCode).toBe(0);
    expect(await catalog('orders')).toEqual(before);
    expect(await dataOf(`SELECT id, "Status ""Code""", customer_id FROM orders`)).toEqual(data);
    expect(
      await query(
        url,
        `SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'tidemark_archive'::regnamespace AND relkind = 'r'`,
      ),
    ).toEqual([{ n: 0 }]);
    expect((await query(url, `SELECT count(*)::int AS n FROM tidemark.archives WHERE restored_at IS NULL`))[0].n).toBe(
      0,
    );

    const again = await runFile(file, { databaseUrl: url });
    expect(again.exitCode).toBe(0);
    expect((await catalog('orders')).cols.map((c) => c.attname)).toEqual(['id', 'qty']);
    const rb2 = await rollbackFile(file);
    expect(rb2.exitCode).toBe(0);
    expect(await catalog('orders')).toEqual(before);
    expect(await dataOf(`SELECT id, "Status ""Code""", customer_id FROM orders`)).toEqual(data);
  });

  it('refuses a column a view reads, or one without a primary key, naming why; nothing is written', async () => {
    await query(
      url,
      `
      DROP TABLE IF EXISTS vt, nokey CASCADE;
      CREATE TABLE vt (id int PRIMARY KEY, a text, b text);
      CREATE VIEW vt_a AS SELECT id, a FROM vt;
      CREATE TABLE nokey (a text, b text);`,
    );
    const file = writePlan(
      tempDir(),
      `{
      id: 'drop-refused',
      contract: [op.dropColumn({ id: 'drop-a', table: 'vt', column: 'a' })],
    }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(1);
    expect(r.message).toMatch(/views or rules read it: vt_a/);
    expect(await query(url, `SELECT count(*)::int AS n FROM tidemark.archives WHERE plan_id = 'drop-refused'`)).toEqual(
      [{ n: 0 }],
    );
    expect(
      (
        await query(
          url,
          `SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'vt'::regclass AND attname = 'a'`,
        )
      )[0].n,
    ).toBe(1);

    const f2 = writePlan(
      tempDir(),
      `{ id: 'drop-nokey', contract: [op.dropColumn({ id: 'drop-b', table: 'nokey', column: 'b' })] }`,
    );
    const r2 = await runFile(f2, { databaseUrl: url });
    expect(r2.exitCode).toBe(1);
    expect(r2.message).toMatch(/no primary key/);

    const f3 = writePlan(
      tempDir(),
      `{ id: 'drop-missing', contract: [op.dropColumn({ id: 'drop-z', table: 'vt', column: 'zzz' })] }`,
    );
    const r3 = await runFile(f3, { databaseUrl: url });
    // A column that neither exists nor is created by an earlier step is refused before the first step (docs/plans.md).
    expect(r3.exitCode).toBe(2);
    expect(r3.message).toContain('contract › step "drop-z" › column: no step creates "vt"."zzz" — typo?');
  });

  it('is refused outside the contract phase (exit 2)', async () => {
    const file = writePlan(
      tempDir(),
      `{ id: 'drop-expand', expand: [op.dropColumn({ id: 'drop-a', table: 'vt', column: 'a' })] }`,
    );
    await expect(loadPlan(file)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/expand › step "drop-a": op\.dropColumn is not allowed in the expand phase/),
    });
  });

  it('resumes after a kill -9 mid-copy, keeping rows written meanwhile', async () => {
    await query(
      url,
      `
      DROP TABLE IF EXISTS busy CASCADE;
      CREATE TABLE busy (id int PRIMARY KEY, v text);
      INSERT INTO busy SELECT g, 'v' || g FROM generate_series(1, 5000) g;`,
    );
    const file = writePlan(
      tempDir(),
      `{ id: 'drop-busy', contract: [op.dropColumn({ id: 'drop-v', table: 'busy', column: 'v', batch: { size: 10 } })] }`,
    );
    const progress = async () =>
      (
        await query<{ progress: { cursor?: string[] | null } | null }>(
          url,
          `SELECT progress FROM tidemark.steps WHERE plan_id = 'drop-busy'`,
        )
      )[0]?.progress;
    // Batches of ten rows: the copy takes hundreds of batches, so the kill lands mid-walk.
    await killWhen(file, url, {}, async () => !!(await progress())?.cursor);
    expect((await progress())?.cursor).not.toBeNull();
    expect(
      (
        await query(
          url,
          `SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'busy'::regclass AND attname = 'v'`,
        )
      )[0].n,
    ).toBe(1);
    // writes while the step is interrupted: the trigger records them
    await query(url, `UPDATE busy SET v = 'changed' WHERE id IN (1, 4999); INSERT INTO busy VALUES (6000, 'late')`);
    const r2 = await runFile(file, { databaseUrl: url });
    expect(r2.message).toBeUndefined();
    expect(r2.exitCode).toBe(0);
    const rb = await rollbackFile(file);
    expect(rb.exitCode).toBe(0);
    const rows = await query(url, `SELECT id, v FROM busy WHERE id IN (1, 2, 4999, 6000) ORDER BY id`);
    expect(rows).toEqual([
      { id: 1, v: 'changed' },
      { id: 2, v: 'v2' },
      { id: 4999, v: 'changed' },
      { id: 6000, v: 'late' },
    ]);
    expect((await query(url, `SELECT count(*)::int AS n FROM busy WHERE v IS NULL`))[0].n).toBe(0);
  });
});
