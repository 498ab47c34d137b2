/**
 * op.renameTable: two applications — one using the old table name, one the new — write and read
 * from before expand to just before contract with zero errors (INSERT … RETURNING, UPDATE,
 * DELETE, ON CONFLICT (columns) through either name), while a child table's foreign key, the
 * sequence and the indexes keep working; the completion in contract leaves only the new name;
 * rollback before (and after) the completion restores the original exactly; bad input exits 2.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { TidemarkEvent } from '../../src/kind/events.js';
import { runPlan } from '../../src/runner/run.js';
import { connect, createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';
import { exec, op, plan, rollback, run } from './op-harness.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_rename_table');
});

const SETUP = `
  DROP TABLE IF EXISTS line_items, orders, purchase_orders CASCADE;
  DROP VIEW IF EXISTS orders;
  DROP SCHEMA IF EXISTS tidemark CASCADE;
  CREATE TABLE orders (id serial PRIMARY KEY, ref text NOT NULL UNIQUE, total int NOT NULL DEFAULT 0 CHECK (total >= 0));
  CREATE TABLE line_items (id serial PRIMARY KEY, order_id int NOT NULL REFERENCES orders (id), qty int NOT NULL);
  GRANT SELECT, INSERT ON orders TO PUBLIC;
  INSERT INTO orders (ref, total) SELECT 'r' || g, g FROM generate_series(1, 2000) g;
  INSERT INTO line_items (order_id, qty) SELECT 1 + g % 2000, 1 FROM generate_series(1, 2000) g;
`;

async function snapshot(name = 'orders') {
  return {
    rel: await query(
      url,
      `SELECT relname, relkind::text AS k, relacl::text AS acl FROM pg_class WHERE relname IN ('orders', 'purchase_orders') ORDER BY 1`,
    ),
    cols: await query(
      url,
      `SELECT attname, format_type(atttypid, atttypmod) AS t, attnotnull FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [name],
    ),
    idx: await query(url, `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY 1`, [name]),
    cons: await query(
      url,
      `SELECT conname, conrelid::regclass::text AS t, pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conrelid IN ($1::regclass, 'line_items'::regclass) ORDER BY 1`,
      [name],
    ),
    seq: await query(url, `SELECT pg_get_serial_sequence($1, 'id') AS s`, [name]),
    data: await query(url, `SELECT md5(string_agg(o::text, '|' ORDER BY id)) AS h FROM ${name} o`),
  };
}

/** An application using table `t` until stopped; every statement checked. */
function app(t: string, tag: string) {
  const state = { stop: false, errors: [] as string[], ops: 0, maxMs: 0 };
  const done = (async () => {
    const c = await connect(url);
    let i = 0;
    try {
      while (!state.stop) {
        i++;
        const ref = `${tag}${i}`;
        const timed = async <T>(f: () => Promise<T>) => {
          const t0 = Date.now();
          const r = await f();
          state.maxMs = Math.max(state.maxMs, Date.now() - t0);
          state.ops++;
          return r;
        };
        try {
          const ins = await timed(() =>
            c.query(`INSERT INTO ${t} (ref, total) VALUES ($1, 1) RETURNING id, ref`, [ref]),
          );
          if (ins.rows[0].ref !== ref) state.errors.push(`insert returned ${ins.rows[0].ref}`);
          const id = ins.rows[0].id;
          await timed(() => c.query(`INSERT INTO line_items (order_id, qty) VALUES ($1, 2)`, [id]));
          const upd = await timed(() =>
            c.query(`UPDATE ${t} SET total = total + 1 WHERE id = $1 RETURNING total`, [id]),
          );
          if (upd.rows[0]?.total !== 2) state.errors.push(`update returned ${JSON.stringify(upd.rows[0])}`);
          const up = await timed(() =>
            c.query(
              `INSERT INTO ${t} (ref, total) VALUES ($1, 9) ON CONFLICT (ref) DO UPDATE SET total = ${t}.total + 10 RETURNING total`,
              [ref],
            ),
          );
          if (up.rows[0]?.total !== 12) state.errors.push(`upsert returned ${JSON.stringify(up.rows[0])}`);
          const tmp = await timed(() => c.query(`INSERT INTO ${t} (ref) VALUES ($1) RETURNING id`, [`${ref}-x`]));
          await timed(() => c.query(`DELETE FROM ${t} WHERE id = $1`, [tmp.rows[0].id]));
          const n = await timed(() => c.query(`SELECT count(*)::int AS n FROM ${t} WHERE id = $1`, [id]));
          if (n.rows[0].n !== 1) state.errors.push(`row ${id} not found`);
        } catch (e) {
          state.errors.push((e as Error).message);
        }
      }
    } finally {
      await c.end();
    }
  })();
  return { state, done };
}

const renamePlan = () =>
  plan({
    id: 'rename-orders',
    expand: [op.renameTable({ id: 'rename-orders', table: 'orders', to: 'purchase_orders' })],
  });

describe('op.renameTable', () => {
  it('keeps both names working for two applications until contract; the completion leaves only the new name', async () => {
    await exec(url, SETUP);
    const p = await renamePlan();
    expect(p.steps.map((s) => `${s.phase}:${s.kind}:${s.id}`)).toEqual([
      'expand:op.renameTable:rename-orders',
      'contract:op.renameTable.complete:rename-orders-complete',
    ]);
    const old = app('orders', 'old');
    let fresh: ReturnType<typeof app> | undefined;
    try {
      await new Promise((r) => setTimeout(r, 300));
      const r = await runPlan(p, {
        databaseUrl: url,
        phase: 'validate',
        config: { lockTimeoutMs: 200 },
        events: (e: TidemarkEvent) => {
          if (e.type === 'step.done' && e.stepId === 'rename-orders') fresh = app('purchase_orders', 'new');
        },
      });
      expect(r.exitCode).toBe(0);
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      old.state.stop = true;
      if (fresh) fresh.state.stop = true;
      await Promise.all([old.done, fresh?.done]);
    }
    expect(old.state.errors).toEqual([]);
    expect(fresh!.state.errors).toEqual([]);
    expect(fresh!.state.ops).toBeGreaterThan(10);
    expect(old.state.maxMs).toBeLessThan(2_000);
    const [a, b] = await Promise.all([
      query(url, `SELECT md5(string_agg(o::text, '|' ORDER BY id)) AS h FROM orders o`),
      query(url, `SELECT md5(string_agg(o::text, '|' ORDER BY id)) AS h FROM purchase_orders o`),
    ]);
    expect(a).toEqual(b);
    // grants were repeated on the view
    expect((await query(url, `SELECT has_table_privilege('public', 'orders', 'INSERT') AS ok`))[0].ok).toBe(true);
    // the child's foreign key points at the renamed table and still holds
    const fk = await query(
      url,
      `SELECT confrelid::regclass::text AS t FROM pg_constraint WHERE conrelid = 'line_items'::regclass AND contype = 'f'`,
    );
    expect(fk).toEqual([{ t: 'purchase_orders' }]);
    expect(
      await query(
        url,
        `SELECT count(*)::int AS n FROM line_items l LEFT JOIN purchase_orders o ON o.id = l.order_id WHERE o.id IS NULL`,
      ),
    ).toEqual([{ n: 0 }]);

    // documented (docs/steps/rename-table.md): through the view, ON CONFLICT ON CONSTRAINT is refused by PostgreSQL
    const viaConstraint = await query(
      url,
      `INSERT INTO orders (ref) VALUES ('r1') ON CONFLICT ON CONSTRAINT orders_ref_key DO NOTHING`,
    ).catch((e) => e.code);
    expect(viaConstraint).toBe('42704');

    expect((await run(url, p)).exitCode).toBe(0);
    expect(await query(url, `SELECT relname FROM pg_class WHERE relname IN ('orders', 'purchase_orders')`)).toEqual([
      { relname: 'purchase_orders' },
    ]);
  }, 180_000);

  it('rollback before the completion restores the original exactly; after it too', async () => {
    await exec(url, SETUP);
    const before = await snapshot();
    const p = await renamePlan();
    expect((await runPlan(p, { databaseUrl: url, phase: 'validate', events: () => undefined })).exitCode).toBe(0);
    expect((await rollback(url, p)).exitCode).toBe(0);
    expect(await snapshot()).toEqual(before);
    expect((await run(url, p)).exitCode).toBe(0);
    expect((await rollback(url, p)).exitCode).toBe(0);
    expect(await snapshot()).toEqual(before);
  }, 180_000);

  it('bad input — unknown table, target name taken — exits 2 and writes nothing', async () => {
    await exec(url, SETUP);
    const before = await snapshot();
    for (const [opts, field] of [
      [`table: 'nope', to: 'x'`, 'table'],
      [`table: 'orders', to: 'line_items'`, 'to'],
    ]) {
      const file = writePlan(tempDir(), `{ id: 'bad-rename', expand: [op.renameTable({ id: 'r', ${opts} })] }`);
      const r = await cli(['run', file, '--database-url', url]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`step "r" › ${field}`);
    }
    expect(await snapshot()).toEqual(before);
  }, 180_000);

  it('a plan that already uses the id of the completion is invalid (exit 2)', async () => {
    const e = await plan({
      id: 'rename-orders',
      expand: [op.renameTable({ id: 'rename-orders', table: 'orders', to: 'purchase_orders' })],
      contract: [op.dropIndex({ id: 'rename-orders-complete', name: 'x' })],
    }).catch((x) => x);
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain('contract › step "rename-orders-complete" › id');
    expect(e.message).toContain('the completion of step "rename-orders"');
  });
});
