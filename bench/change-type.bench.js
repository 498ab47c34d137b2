/**
 * `npm run bench -- change-type`: `integer` → `bigint` on a serial primary key referenced by two
 * tables (1M parents, 1M children, 500k other children; TIDEMARK_BENCH_LARGE=1 for 10M parents),
 * with a concurrent workload (inserts of parents and children using the default, updates) the
 * whole time. Compared: op.changeType against a plain `ALTER TABLE … TYPE bigint` of the same three
 * columns in one transaction, on identical fresh tables. Printed: total time, the workload's worst
 * single statement and p99, statements over 1 s, WAL bytes (pg_current_wal_lsn diff), and the
 * ratios Tidemark ÷ plain ALTER. Env: TIDEMARK_BENCH_ROWS=N overrides the size.
 */
import pg from 'pg';
import { definePlan, op, runPlan, validatePlan } from '../dist/index.js';

const LARGE = process.env.TIDEMARK_BENCH_LARGE === '1';
const ROWS = Number(process.env.TIDEMARK_BENCH_ROWS ?? (LARGE ? 10_000_000 : 1_000_000));
const CLIENTS = 2;
const TARGET_MS = 200;

const SETUP = `
  DROP TABLE IF EXISTS b_toys, b_kids, b_par CASCADE;
  DROP SCHEMA IF EXISTS tidemark CASCADE;
  CREATE TABLE b_par (id serial PRIMARY KEY, name text NOT NULL);
  CREATE TABLE b_kids (id serial PRIMARY KEY, parent_id int NOT NULL REFERENCES b_par(id), n int NOT NULL DEFAULT 0);
  CREATE INDEX b_kids_parent_idx ON b_kids (parent_id);
  CREATE TABLE b_toys (id bigserial PRIMARY KEY, owner int REFERENCES b_par(id));
  INSERT INTO b_par (name) SELECT 'p' || g FROM generate_series(1, ${ROWS}) g;
  INSERT INTO b_kids (parent_id) SELECT 1 + g % ${ROWS} FROM generate_series(1, ${ROWS}) g;
  INSERT INTO b_toys (owner) SELECT 1 + g % ${ROWS} FROM generate_series(1, ${Math.round(ROWS / 2)}) g;
`;
const VACUUM = ['b_par', 'b_kids', 'b_toys'].map((t) => `VACUUM ANALYZE ${t}`);

const pct = (s, p) => (s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0);

/** Inserts of parents (default id) and their children, and updates, until stopped; each statement timed. */
function workload(url) {
  let stop = false;
  const lat = [];
  let errors = 0;
  const loop = async () => {
    const c = new pg.Client({ connectionString: url, application_name: 'bench-workload' });
    c.on('error', () => undefined);
    await c.connect();
    const timed = async (sql, params) => {
      const t = performance.now();
      try {
        return await c.query(sql, params);
      } catch {
        errors++;
        return null;
      } finally {
        lat.push(performance.now() - t);
      }
    };
    while (!stop) {
      const r = await timed(`INSERT INTO b_par (name) VALUES ('w') RETURNING id`);
      const id = r?.rows[0]?.id;
      if (id != null) {
        await timed(`INSERT INTO b_kids (parent_id) VALUES ($1)`, [id]);
        await timed(`INSERT INTO b_toys (owner) VALUES ($1)`, [id]);
      }
      await timed(`UPDATE b_kids SET n = n + 1 WHERE id = $1`, [1 + Math.floor(Math.random() * ROWS)]);
      await new Promise((res) => setTimeout(res, 2));
    }
    await c.end();
  };
  const loops = Array.from({ length: CLIENTS }, loop);
  return {
    async stop() {
      stop = true;
      await Promise.all(loops);
      return { lat: lat.sort((a, b) => a - b), errors };
    },
  };
}

async function lsn(c) {
  return (await c.query(`SELECT pg_current_wal_lsn()::text AS l`)).rows[0].l;
}
async function walSince(c, from) {
  return Number((await c.query(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::bigint AS d`, [from])).rows[0].d);
}

async function plain(c) {
  await c.query('BEGIN');
  await c.query('ALTER TABLE b_par ALTER COLUMN id TYPE bigint');
  await c.query('ALTER TABLE b_kids ALTER COLUMN parent_id TYPE bigint');
  await c.query('ALTER TABLE b_toys ALTER COLUMN owner TYPE bigint');
  await c.query('ALTER SEQUENCE b_par_id_seq AS bigint');
  await c.query('COMMIT');
}

async function tidemark(url) {
  const plan = await validatePlan(
    definePlan({
      id: 'bench-change-type',
      expand: [op.changeType({ id: 'id-bigint', table: 'b_par', column: 'id', type: 'bigint' })],
    }),
  );
  const r = await runPlan(plan, { databaseUrl: url, config: { backfill: { targetBatchMs: TARGET_MS } } });
  if (r.exitCode !== 0) throw new Error(`op.changeType: ${r.message}`);
}

export default async function (ctx) {
  const url = await ctx.createDatabase('tm_bench_change_type');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const results = {};
  try {
    for (const [name, run] of [
      ['plain ALTER … TYPE bigint', () => plain(admin)],
      ['op.changeType', () => tidemark(url)],
    ]) {
      ctx.log(`${name}: loading ${ROWS} parents, ${ROWS} + ${Math.round(ROWS / 2)} children…`);
      await admin.query(SETUP);
      for (const v of VACUUM) await admin.query(v);
      await admin.query('CHECKPOINT');
      ctx.log(`${name}: running with ${CLIENTS} workload clients…`);
      const w = workload(url);
      await new Promise((res) => setTimeout(res, 500));
      const from = await lsn(admin);
      const t = performance.now();
      await run();
      const total = performance.now() - t;
      const wal = await walSince(admin, from);
      await new Promise((res) => setTimeout(res, 500));
      const { lat, errors } = await w.stop();
      results[name] = {
        total,
        wal,
        max: lat[lat.length - 1] ?? 0,
        p99: pct(lat, 99),
        over1s: lat.filter((x) => x > 1000).length,
        n: lat.length,
        errors,
      };
    }
  } finally {
    await admin.end();
  }
  const rows = Object.entries(results).map(([name, r]) => ({
    how: name,
    'total s': +(r.total / 1000).toFixed(2),
    'WAL MB': +(r.wal / 1024 / 1024).toFixed(1),
    statements: r.n,
    errors: r.errors,
    'worst wait ms': +r.max.toFixed(1),
    'p99 ms': +r.p99.toFixed(2),
    '> 1 s': r.over1s,
  }));
  const a = results['plain ALTER … TYPE bigint'];
  const b = results['op.changeType'];
  rows.push({
    how: 'op.changeType ÷ plain',
    'total s': +(b.total / a.total).toFixed(2),
    'WAL MB': +(b.wal / a.wal).toFixed(2),
    statements: '',
    errors: '',
    'worst wait ms': +(b.max / a.max).toFixed(3),
    'p99 ms': +(b.p99 / a.p99).toFixed(3),
    '> 1 s': '',
  });
  ctx.log(
    `worst workload wait under op.changeType: ${b.max.toFixed(0)} ms (batch target ${TARGET_MS} ms: 1.5 × = ${1.5 * TARGET_MS} ms)`,
  );
  ctx.report(rows);
}
