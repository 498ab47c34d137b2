/**
 * `npm run bench -- scale`: one backfill worked by 1, 2 and 4 workers (`run` plus `tidemark work`
 * processes, docs/work.md) on fresh copies of the same table (2M rows; TIDEMARK_BENCH_SCALE_ROWS=N
 * overrides), each worker one batch at a time (`batch.concurrency: 1`, target 200 ms). Printed:
 * rows/s and the ratio to 1 worker, with the cores this machine has (the database server runs on
 * the same machine: on 2 cores the server, not the runner, is the limit — the ratio says so).
 * Then the rates docs/scale.md's model is computed from, with 1 worker on a smaller copy
 * (TIDEMARK_BENCH_SCALE_SWEEP_ROWS, default 500k): rows/s at batch targets 100 ms, 200 ms, 500 ms
 * and 1 s, WAL bytes per row, dead rows left for vacuum and the `VACUUM` rate.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROWS = Number(process.env.TIDEMARK_BENCH_SCALE_ROWS ?? 2_000_000);
const SWEEP_ROWS = Number(process.env.TIDEMARK_BENCH_SCALE_SWEEP_ROWS ?? 500_000);
const WORKERS = [1, 2, 4];
const TARGETS = [100, 200, 500, 1000];
const BIN = fileURLToPath(new URL('../bin/tidemark.js', import.meta.url));

async function client(url) {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

function tidemark(args, url) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '--database-url', url, '--quiet'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`tidemark ${args[0]} exited ${code}: ${err}`)),
    );
  });
}

function planFile(dir, id, table, targetMs) {
  const file = join(dir, `${id}.plan.ts`);
  writeFileSync(
    file,
    `import { backfill, definePlan } from 'tidemark';
export default definePlan({ id: '${id}', backfill: [backfill.update({ id: 'fill', table: '${table}', set: { b: 'a * 2' }, batch: { targetMs: ${targetMs}, concurrency: 1 } })] });
`,
  );
  return file;
}

/** A fresh copy of the template, vacuumed and analyzed like a settled production table. */
async function copy(c, name, rows) {
  await c.query(`DROP TABLE IF EXISTS ${name}`);
  await c.query(`CREATE TABLE ${name} (id bigint PRIMARY KEY, a int NOT NULL, b int)`);
  await c.query(`INSERT INTO ${name} SELECT * FROM tpl WHERE id <= $1 ORDER BY id`, [rows]);
  await c.query(`VACUUM ANALYZE ${name}`);
}

/** Run the plan with `workers` workers (run + workers-1 `work` processes); what the ledger and the server say. */
async function backfillWith(c, url, dir, id, table, workers, targetMs) {
  const file = planFile(dir, id, table, targetMs);
  const lsn0 = (await c.query(`SELECT pg_current_wal_lsn() AS l`)).rows[0].l;
  // The workers start first and wait for the backfill (as they would in a deploy job).
  const joiners = Array.from({ length: workers - 1 }, () => tidemark(['work', file], url));
  await tidemark(['run', file], url);
  await Promise.all(joiners);
  const wal = Number(
    (await c.query(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn) AS b`, [lsn0])).rows[0].b,
  );
  const step = (
    await c.query(
      `SELECT s.duration_ms, s.rows_affected::bigint AS rows, (SELECT count(DISTINCT run_id) FROM tidemark.batches b WHERE b.plan_id = $1) AS runs,
              (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) FROM tidemark.batches b WHERE b.plan_id = $1) AS p50,
              (SELECT percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms) FROM tidemark.batches b WHERE b.plan_id = $1) AS p99
         FROM tidemark.steps s WHERE s.plan_id = $1`,
      [id],
    )
  ).rows[0];
  if (Number(step.rows) !== (await c.query(`SELECT count(*)::int AS n FROM ${table} WHERE b = a * 2`)).rows[0].n)
    throw new Error(`${id}: rows written and rows filled differ`);
  return {
    ms: step.duration_ms,
    rows: Number(step.rows),
    runs: Number(step.runs),
    wal,
    p50: step.p50,
    p99: step.p99,
  };
}

export default async function scale(ctx) {
  const url = await ctx.createDatabase('work_bench_scale');
  const c = await client(url);
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-scale-'));
  const cores = availableParallelism();
  try {
    await c.query(`CREATE TABLE tpl (id bigint PRIMARY KEY, a int NOT NULL, b int)`);
    await c.query(
      `INSERT INTO tpl SELECT g, (g::bigint * 7919 % 100000)::int, NULL FROM generate_series(1, ${Math.max(ROWS, SWEEP_ROWS)}) g`,
    );
    ctx.log(
      `${ROWS.toLocaleString('en-US')} rows · ${cores} core(s) available to this machine (the database server shares them) · load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );

    const results = [];
    for (const n of WORKERS) {
      const table = `w${n}`;
      await copy(c, table, ROWS);
      results.push({ n, ...(await backfillWith(c, url, dir, `scale-${n}`, table, n, 200)) });
      await c.query(`DROP TABLE ${table}`);
    }
    const base = results[0].rows / (results[0].ms / 1000);
    ctx.report(
      results.map((r) => {
        const rate = r.rows / (r.ms / 1000);
        return {
          workers: r.n,
          'runs that wrote batches': r.runs,
          time: `${(r.ms / 1000).toFixed(1)} s`,
          'rows/s': Math.round(rate),
          '÷ 1 worker': `${(rate / base).toFixed(2)}×`,
          'batch p50 / p99': `${Math.round(r.p50)} / ${Math.round(r.p99)} ms`,
        };
      }),
    );
    const best = Math.max(...results.map((r) => r.rows / (r.ms / 1000))) / base;
    const load = loadavg()[0];
    ctx.log(
      cores <= 2
        ? `On ${cores} core(s) the PostgreSQL server (which runs here too) is the limit, not the runner: the best ratio is ${best.toFixed(2)}×.${best > cores ? ` Above ${cores}× the workers only took a larger share of CPU from the other processes of this machine (load average ${load.toFixed(1)}): on a database server, that share is the application's.` : ''} More workers add rows/s only while the server has idle cores and I/O.`
        : `${cores} cores: the best ratio is ${best.toFixed(2)}×; beyond the server's spare cores and I/O more workers add nothing.`,
    );

    // The rates behind docs/scale.md: one worker, per batch target.
    const sweep = [];
    for (const t of TARGETS) {
      const table = `t${t}`;
      await copy(c, table, SWEEP_ROWS);
      const r = await backfillWith(c, url, dir, `target-${t}`, table, 1, t);
      const dead = (
        await c.query(
          `SELECT n_dead_tup::bigint AS dead, n_tup_hot_upd::bigint AS hot FROM pg_stat_user_tables WHERE relname = $1`,
          [table],
        )
      ).rows[0];
      const v0 = performance.now();
      await c.query(`VACUUM ${table}`);
      const vacuumMs = performance.now() - v0;
      sweep.push({ t, ...r, dead: Number(dead.dead), hot: Number(dead.hot), vacuumMs });
      await c.query(`DROP TABLE ${table}`);
    }
    ctx.report(
      sweep.map((r) => ({
        'batch target': `${r.t} ms`,
        'rows/s': Math.round(r.rows / (r.ms / 1000)),
        'batch p50 / p99': `${Math.round(r.p50)} / ${Math.round(r.p99)} ms`,
        'WAL bytes/row': Math.round(r.wal / r.rows),
        'WAL MB/s': (r.wal / (r.ms / 1000) / 1024 / 1024).toFixed(1),
        'HOT updates': `${Math.round((100 * r.hot) / r.rows)}%`,
        'VACUUM rows/s': Math.round(r.rows / (r.vacuumMs / 1000)),
      })),
    );
  } finally {
    await c.end();
  }
}
