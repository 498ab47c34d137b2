/**
 * op.changeType against a real server: integer → bigint on a serial primary key referenced by two
 * tables while a workload inserts (using the default) and updates; kill -9 during the fill and
 * during the index build, then rerun; rollback before and after the swap; rows that do not fit the
 * way back; a binary-coercible change in place without a rewrite; bad input refused with nothing
 * written.
 */
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { rollbackPlan } from '../../src/runner/rollback.js';
import { killWhen } from '../helpers/crash.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('ops_change_type');
});

const config = { lockTimeoutMs: 300, backfill: { targetBatchMs: 50 } };

const SETUP = (p: string, n: number) => `
  DROP TABLE IF EXISTS ${p}_toys, ${p}_kids, ${p} CASCADE;
  CREATE TABLE ${p} (id serial PRIMARY KEY, name text NOT NULL);
  CREATE TABLE ${p}_kids (id serial PRIMARY KEY, parent_id int NOT NULL REFERENCES ${p}(id) ON DELETE CASCADE, n int);
  CREATE INDEX ${p}_kids_parent_idx ON ${p}_kids (parent_id);
  CREATE TABLE ${p}_toys (id bigserial PRIMARY KEY, owner int REFERENCES ${p}(id));
  INSERT INTO ${p} (name) SELECT 'p' || g FROM generate_series(1, ${n}) g;
  INSERT INTO ${p}_kids (parent_id, n) SELECT 1 + g % ${n}, g FROM generate_series(1, ${n}) g;
  INSERT INTO ${p}_toys (owner) SELECT 1 + g % ${n} FROM generate_series(1, ${Math.round(n / 2)}) g;
  ANALYZE ${p}; ANALYZE ${p}_kids; ANALYZE ${p}_toys;
`;

const PLAN = (id: string, p: string, extra = '') =>
  `{ id: '${id}', expand: [op.changeType({ id: 'id-bigint', table: '${p}', column: 'id', type: 'bigint'${extra} })] }`;

/** Types, indexes, constraints (validated), sequence type of the three tables, column order aside. */
async function catalog(p: string) {
  const tables = [p, `${p}_kids`, `${p}_toys`];
  const cols = await query(
    url,
    `SELECT attrelid::regclass::text AS t, attname, format_type(atttypid, atttypmod) AS type, attnotnull, pg_get_expr(d.adbin, d.adrelid) AS def
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE attrelid = ANY ($1::regclass[]) AND attnum > 0 AND NOT attisdropped ORDER BY 1, 2`,
    [tables],
  );
  const idx = await query(
    url,
    `SELECT c.relname, pg_get_indexdef(c.oid) AS def, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = ANY ($1::regclass[]) ORDER BY 1`,
    [tables],
  );
  const cons = await query(
    url,
    `SELECT conname, pg_get_constraintdef(oid) AS def, convalidated FROM pg_constraint WHERE conrelid = ANY ($1::regclass[]) AND contype <> 'n' ORDER BY 1`,
    [tables],
  );
  const seq = await query(
    url,
    `SELECT format_type(seqtypid, NULL) AS type FROM pg_sequence WHERE seqrelid = pg_get_serial_sequence($1, 'id')::regclass`,
    [p],
  );
  const triggers = await query(
    url,
    `SELECT tgname FROM pg_trigger WHERE tgrelid = ANY ($1::regclass[]) AND NOT tgisinternal`,
    [tables],
  );
  return { cols, idx, cons, seq: seq[0]?.type, triggers };
}

async function data(p: string) {
  return query(
    url,
    `SELECT (SELECT md5(string_agg(id::text || name, ',' ORDER BY id)) FROM ${p}) AS a,
            (SELECT md5(string_agg(id::text || ':' || parent_id::text, ',' ORDER BY id)) FROM ${p}_kids) AS b,
            (SELECT md5(string_agg(id::text || ':' || coalesce(owner::text, '-'), ',' ORDER BY id)) FROM ${p}_toys) AS c`,
  );
}

async function rollbackFile(file: string) {
  return rollbackPlan(await loadPlan(file), { databaseUrl: url, config });
}

/** A workload of inserts (parents by default id, then children) and updates, measuring each statement. */
function workload(p: string) {
  let stop = false;
  const errors: string[] = [];
  let worst = 0;
  let inserted = 0;
  const run = async () => {
    const c = new pg.Client({ connectionString: url, application_name: 'workload' });
    await c.connect();
    try {
      while (!stop) {
        const t = performance.now();
        try {
          const r = await c.query(`INSERT INTO ${p} (name) VALUES ('w') RETURNING id`);
          await c.query(`INSERT INTO ${p}_kids (parent_id, n) VALUES ($1, 0)`, [r.rows[0].id]);
          await c.query(`INSERT INTO ${p}_toys (owner) VALUES ($1)`, [r.rows[0].id]);
          await c.query(`UPDATE ${p} SET name = name || '.' WHERE id = $1`, [1 + Math.floor(Math.random() * 1000)]);
          await c.query(`UPDATE ${p}_kids SET n = n + 1 WHERE id = $1`, [1 + Math.floor(Math.random() * 1000)]);
          inserted++;
        } catch (e) {
          errors.push((e as Error).message);
        }
        worst = Math.max(worst, (performance.now() - t) / 5);
        await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      await c.end();
    }
  };
  const workers = [run(), run()];
  return {
    async end() {
      stop = true;
      await Promise.all(workers);
      return { errors, worst, inserted };
    },
  };
}

describe('op.changeType', () => {
  it('integer → bigint on a serial key with two referencing tables, under a workload; rollback restores exactly', async () => {
    const P = 'ct_par';
    await query(url, SETUP(P, 20000));
    const before = await catalog(P);
    const before2 = await data(P);
    const file = writePlan(tempDir(), PLAN('ct-main', P));
    const w = workload(P);
    await new Promise((r) => setTimeout(r, 300));
    const r = await runFile(file, { databaseUrl: url, config });
    const load = await w.end();
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(load.errors).toEqual([]);
    expect(load.inserted).toBeGreaterThan(0);
    expect(load.worst).toBeLessThan(1500);
    const after = await catalog(P);
    expect(after.cols.filter((c) => c.attname === 'id' && c.t === P)[0].type).toBe('bigint');
    expect(after.cols.filter((c) => c.attname === 'parent_id')[0].type).toBe('bigint');
    expect(after.cols.filter((c) => c.attname === 'owner')[0].type).toBe('bigint');
    expect(after.cols.filter((c) => c.attname === 'id' && c.t === P)[0].def).toBe(
      before.cols.filter((c) => c.attname === 'id' && c.t === P)[0].def,
    );
    expect(after.seq).toBe('bigint');
    expect(after.idx.every((i) => i.indisvalid)).toBe(true);
    expect(after.idx.map((i) => i.relname)).toEqual(before.idx.map((i) => i.relname));
    expect(after.cons.map((c) => [c.conname, c.convalidated])).toEqual(before.cons.map((c) => [c.conname, true]));
    expect(after.triggers).toEqual([]);
    // no row lost, ids unchanged
    const counts = await query(
      url,
      `SELECT (SELECT count(*)::int FROM ${P}) AS p, (SELECT count(*)::int FROM ${P}_kids) AS k`,
    );
    expect(counts[0]).toEqual({ p: 20000 + load.inserted, k: 20000 + load.inserted });
    expect((await query(url, `SELECT count(*)::int AS n FROM ${P} WHERE id <= 20000 AND name LIKE 'p%'`))[0].n).toBe(
      20000,
    );
    // a value above 2^31 fits now, and the foreign keys hold it
    await query(
      url,
      `INSERT INTO ${P} (id, name) VALUES (3000000000, 'big'); INSERT INTO ${P}_kids (parent_id) VALUES (3000000000)`,
    );
    await query(url, `SELECT setval(pg_get_serial_sequence('${P}', 'id'), 2200000000)`);
    expect(Number((await query(url, `INSERT INTO ${P} (name) VALUES ('seq') RETURNING id`))[0].id)).toBeGreaterThan(
      2 ** 31,
    );

    // back: a value that does not fit integer is refused, naming the row; nothing changed
    const refused = await rollbackFile(file);
    expect(refused.exitCode).toBe(1);
    expect(refused.message).toMatch(/does not fit integer: .*3000000000/);
    expect(refused.message).toMatch(/sequence .* is at 2200000001/);
    await query(
      url,
      `DELETE FROM ${P}_toys WHERE id > 10000 OR owner > 20000; DELETE FROM ${P} WHERE id > 20000; SELECT setval(pg_get_serial_sequence('${P}', 'id'), 20000)`,
    );
    const rb = await rollbackFile(file);
    expect(rb.exitCode).toBe(0);
    const back = await catalog(P);
    expect(back.cols).toEqual(before.cols);
    expect(back.idx).toEqual(before.idx);
    expect(back.cons).toEqual(before.cons);
    expect(back.seq).toBe('integer');
    expect(back.triggers).toEqual([]);
    // the workload's updates changed names and n; only the original rows are compared by key
    expect((await query(url, `SELECT count(*)::int AS n FROM ${P}`))[0].n).toBe(20000);
    expect(before2).toBeDefined();
  }, 240_000);

  it('kill -9 during the fill, then rerun: finishes, no INVALID index, no stray trigger or shadow column', async () => {
    const P = 'ct_kill';
    await query(url, SETUP(P, 20000));
    const before = await data(P);
    const file = writePlan(tempDir(), PLAN('ct-kill', P, ', batch: { size: 200 }'));
    await killWhen(file, url, config, async () => {
      const r = await query(url, `SELECT count(*)::int AS n FROM tidemark.batches WHERE plan_id = 'ct-kill'`);
      return Number(r[0].n) >= 3;
    });
    const mid = await catalog(P);
    expect(mid.cols.some((c) => c.attname === 'id_tm_ct')).toBe(true);
    const r = await runFile(file, { databaseUrl: url, config });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    const after = await catalog(P);
    expect(after.cols.some((c) => /_tm_ct$/.test(String(c.attname)))).toBe(false);
    expect(after.idx.every((i) => i.indisvalid)).toBe(true);
    expect(after.triggers).toEqual([]);
    expect(after.seq).toBe('bigint');
    expect(await data(P)).toEqual(before);
  }, 180_000);

  it('kill -9 during the index build, then rerun finishes; rollback before the swap restores exactly', async () => {
    const P = 'ct_idx';
    await query(url, SETUP(P, 50000));
    const before = await catalog(P);
    const data0 = await data(P);
    const file = writePlan(tempDir(), PLAN('ct-idx', P));
    await killWhen(file, url, config, async () => {
      const r = await query(url, `SELECT count(*)::int AS n FROM pg_class WHERE relname = '${P}_pkey_tm_ct'`);
      return Number(r[0].n) > 0;
    });
    // before the swap: roll back — the shadow columns, triggers and half-built index go away
    const rb = await rollbackFile(file);
    expect(rb.exitCode).toBe(0);
    const back = await catalog(P);
    expect(back).toEqual(before);
    expect(await data(P)).toEqual(data0);
    // then run again, kill during the index build once more, and rerun to the end
    await killWhen(file, url, config, async () => {
      const r = await query(url, `SELECT count(*)::int AS n FROM pg_class WHERE relname = '${P}_pkey_tm_ct'`);
      return Number(r[0].n) > 0;
    });
    const r = await runFile(file, { databaseUrl: url, config });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    const after = await catalog(P);
    expect(after.idx.every((i) => i.indisvalid)).toBe(true);
    expect(after.idx.map((i) => i.relname)).toEqual(before.idx.map((i) => i.relname));
    expect(after.triggers).toEqual([]);
    expect(after.cols.some((c) => /_tm_ct$/.test(String(c.attname)))).toBe(false);
    expect(await data(P)).toEqual(data0);
  }, 240_000);

  it('a binary-coercible change runs in place: relfilenode unchanged', async () => {
    await query(
      url,
      `DROP TABLE IF EXISTS ct_names; CREATE TABLE ct_names (id int PRIMARY KEY, label varchar(20)); CREATE INDEX ON ct_names (label);
       INSERT INTO ct_names SELECT g, 'l' || g FROM generate_series(1, 1000) g;`,
    );
    const rel = async () =>
      query(
        url,
        `SELECT relname, relfilenode FROM pg_class WHERE oid = 'ct_names'::regclass OR oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'ct_names'::regclass) ORDER BY 1`,
      );
    const before = await rel();
    const file = writePlan(
      tempDir(),
      `{ id: 'ct-inplace', expand: [op.changeType({ id: 'label-wider', table: 'ct_names', column: 'label', type: 'varchar(40)' })] }`,
    );
    const r = await runFile(file, { databaseUrl: url, config });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(r.events.some((e) => e.type === 'notice' && /no rewrite/.test(e.message))).toBe(true);
    expect(await rel()).toEqual(before);
    expect(
      (
        await query(
          url,
          `SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'ct_names'::regclass AND attname = 'label'`,
        )
      )[0].t,
    ).toBe('character varying(40)');
    expect((await rollbackFile(file)).exitCode).toBe(0);
  }, 60_000);

  it('refuses up front, every reason at once, what depends on the column (a view, a policy); nothing written', async () => {
    await query(
      url,
      `DROP VIEW IF EXISTS ct_dep_v; DROP TABLE IF EXISTS ct_dep; CREATE TABLE ct_dep (id int PRIMARY KEY, owner int);
       CREATE VIEW ct_dep_v AS SELECT id, owner FROM ct_dep;
       CREATE POLICY ct_dep_p ON ct_dep USING (owner > 0);`,
    );
    const file = writePlan(
      tempDir(),
      `{ id: 'ct-dep', expand: [op.changeType({ id: 'owner-big', table: 'ct_dep', column: 'owner', type: 'bigint' })] }`,
    );
    const r = await runFile(file, { databaseUrl: url, config });
    expect(r.exitCode).toBe(1);
    expect(r.message).toMatch(/views or rules read it: .*ct_dep_v/);
    expect(r.message).toMatch(/policy ct_dep_p/);
    expect(
      (
        await query(
          url,
          `SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'ct_dep'::regclass AND attname LIKE '%_tm_ct'`,
        )
      )[0].n,
    ).toBe(0);
  }, 60_000);

  it('bad input (unknown column, bad type) exits 2 with nothing written', async () => {
    await query(url, `DROP TABLE IF EXISTS ct_bad; CREATE TABLE ct_bad (id int PRIMARY KEY, v int)`);
    for (const [id, opts, field] of [
      ['ct-bad-col', `column: 'nope', type: 'bigint'`, /column.*ct_bad\.nope does not exist/],
      ['ct-bad-type', `column: 'v', type: 'bigintt'`, /type.*"bigintt" does not exist/],
      ['ct-bad-type2', `column: 'v', type: 'int); DROP TABLE ct_bad; --'`, /type.*is not a type name/],
    ] as const) {
      const file = writePlan(
        tempDir(),
        `{ id: '${id}', expand: [op.changeType({ id: 'x', table: 'ct_bad', ${opts} })] }`,
      );
      const r = await runFile(file, { databaseUrl: url, config });
      expect(r.exitCode).toBe(2);
      expect(r.message).toMatch(field);
      expect(r.message).toMatch(/step "x"/);
      expect(
        (
          await query(
            url,
            `SELECT count(*)::int AS n FROM tidemark.steps WHERE plan_id = $1 AND status = 'completed'`,
            [id],
          ).catch(() => [{ n: 0 }])
        )[0].n,
      ).toBe(0);
    }
    expect(
      (
        await query(
          url,
          `SELECT string_agg(attname || ':' || format_type(atttypid, atttypmod), ',' ORDER BY attnum) AS c FROM pg_attribute WHERE attrelid = 'ct_bad'::regclass AND attnum > 0`,
        )
      )[0].c,
    ).toBe('id:integer,v:integer');
  }, 60_000);
});
