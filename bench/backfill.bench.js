/**
 * `npm run bench -- backfill`: Tidemark's batched backfill against the alternatives, on identical
 * fresh tables (1M rows; 10M with TIDEMARK_BENCH_LARGE=1), a narrow one and one with a wide jsonb
 * column. Compared: the single `UPDATE` of the same rows (the physical limit), an OFFSET-paged batch
 * loop and seed 004's row-by-row loop (the last two timed on a 100k-row sample and extrapolated
 * linearly, which flatters OFFSET paging: it is O(n²)). Printed: time ratios, p50/p99 batch
 * duration, the runner's peak RSS (at 100k and at full size: flat means it does not grow with the
 * table), and the latency of a concurrent workload of random point updates and reads on the same
 * table at baseline, during the Tidemark backfill and during the single UPDATE.
 * Tidemark runs with its default (`batch.concurrency: 'auto'`: two batches in flight while no other
 * session is active on the database, one while the workload runs) and pinned to 1 for comparison.
 * Env: TIDEMARK_BENCH_ROWS=N overrides the size; TIDEMARK_BENCH_VARIANTS=narrow,wide picks tables.
 */
import pg from 'pg';
import { backfill, definePlan, runPlan, validatePlan } from '../dist/index.js';

const LARGE = process.env.TIDEMARK_BENCH_LARGE === '1';
const ROWS = Number(process.env.TIDEMARK_BENCH_ROWS ?? (LARGE ? 10_000_000 : 1_000_000));
const SAMPLE = Math.min(100_000, ROWS);
const TARGET_MS = 200;
const WORKLOAD_CLIENTS = 4;
const BASELINE_MS = 3000;

const VARIANTS = {
  narrow: {
    columns: 'id bigint PRIMARY KEY, a int NOT NULL, b int',
    fill: (n) => `INSERT INTO tpl SELECT g, (g::bigint * 7919 % 100000)::int, NULL FROM generate_series(1, ${n}) g`,
    set: { b: 'a * 2' },
  },
  wide: {
    columns: 'id bigint PRIMARY KEY, a int NOT NULL, doc jsonb NOT NULL, b int',
    fill: (n) =>
      `INSERT INTO tpl SELECT g, (g::bigint * 7919 % 100000)::int, jsonb_build_object('n', g, 'tags', jsonb_build_array('alpha', 'beta', 'gamma'), 'text', repeat(md5(g::text), 12)), NULL FROM generate_series(1, ${n}) g`,
    set: { b: "(doc->>'n')::int + a" },
  },
};

const pct = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : '-');
const secs = (x) => `${(x / 1000).toFixed(2)} s`;
const mb = (x) => `${(x / 1024 / 1024).toFixed(0)} MB`;

async function client(url) {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

/** A fresh copy of the template: same rows, vacuumed and analyzed like a settled production table. */
async function copy(c, name, variant, rows) {
  await c.query(`DROP TABLE IF EXISTS ${name}`);
  await c.query(`CREATE TABLE ${name} (${VARIANTS[variant].columns})`);
  await c.query(`INSERT INTO ${name} SELECT * FROM tpl WHERE id <= $1 ORDER BY id`, [rows]);
  await c.query(`VACUUM ANALYZE ${name}`);
}

function setSql(variant) {
  return Object.entries(VARIANTS[variant].set)
    .map(([k, v]) => `"${k}" = (${v})`)
    .join(', ');
}

/** Random point updates and reads until stopped; returns every latency (ms). */
function workload(url, table, rows) {
  let stop = false;
  const lat = [];
  const runners = Array.from({ length: WORKLOAD_CLIENTS }, async (_, i) => {
    const c = await client(url);
    try {
      while (!stop) {
        const id = 1 + Math.floor(Math.random() * rows);
        const t = performance.now();
        if (i % 2 === 0) await c.query(`UPDATE ${table} SET a = a + 0 WHERE id = $1`, [id]);
        else await c.query(`SELECT * FROM ${table} WHERE id = $1`, [id]);
        lat.push(performance.now() - t);
      }
    } finally {
      await c.end();
    }
  });
  return {
    async stop() {
      stop = true;
      await Promise.all(runners);
      return lat;
    },
  };
}

/** Run the Tidemark backfill; returns its time, batch durations and the peak RSS growth of this process. */
async function tidemark(url, table, variant, concurrency) {
  const batch = concurrency === undefined ? { targetMs: TARGET_MS } : { targetMs: TARGET_MS, concurrency };
  const plan = await validatePlan(
    definePlan({
      id: `bench-${variant}-${table.replace(/_/g, '-')}`,
      backfill: [backfill.update({ id: 'fill', table, set: VARIANTS[variant].set, batch })],
    }),
  );
  globalThis.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t = performance.now();
  const notes = [];
  const r = await runPlan(plan, {
    databaseUrl: url,
    events: (e) => e.type === 'step.done' && notes.push(...(e.notes ?? [])),
  });
  const elapsed = performance.now() - t;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  if (r.exitCode !== 0) throw new Error(`tidemark backfill failed: ${r.message}`);
  const width = notes.find((n) => n.startsWith('batch.concurrency auto')) ?? '';
  const c = await client(url);
  const b = (await c.query(`SELECT duration_ms, size FROM tidemark.batches WHERE plan_id = $1 ORDER BY id`, [plan.id]))
    .rows;
  await c.end();
  return { elapsed, batches: b.map((x) => x.duration_ms), sizes: b.map((x) => x.size), rss: peak - rss0, width };
}

async function singleUpdate(c, table, variant) {
  const t = performance.now();
  await c.query(`UPDATE ${table} SET ${setSql(variant)}`);
  return performance.now() - t;
}

/** A hand-written OFFSET-paged batch loop (each page: one UPDATE … WHERE id IN (… OFFSET k LIMIT 1000)). */
async function offsetLoop(c, table, variant) {
  const t = performance.now();
  for (let off = 0; ; off += 1000) {
    const r = await c.query(
      `UPDATE ${table} SET ${setSql(variant)} WHERE id IN (SELECT id FROM ${table} ORDER BY id OFFSET $1 LIMIT 1000)`,
      [off],
    );
    if (!r.rowCount) break;
  }
  return performance.now() - t;
}

/** Seed 004's loop: read the rows, then one UPDATE round trip per row. */
async function rowByRow(c, table, variant) {
  const t = performance.now();
  const cols = variant === 'wide' ? 'id, a, doc' : 'id, a';
  const rows = (await c.query(`SELECT ${cols} FROM ${table} ORDER BY id`)).rows;
  for (const r of rows) {
    const b = variant === 'wide' ? r.doc.n + r.a : r.a * 2;
    await c.query(`UPDATE ${table} SET b = $1 WHERE id = $2`, [b, r.id]);
  }
  return performance.now() - t;
}

async function latencyDuring(url, table, rows, fn) {
  const w = workload(url, table, rows);
  await new Promise((r) => setTimeout(r, 200));
  await fn();
  const lat = await w.stop();
  return { p50: pct(lat, 50), p99: pct(lat, 99), max: Math.max(...lat), n: lat.length };
}

export default async function bench(ctx) {
  const url = await ctx.createDatabase('tidemark_bench_backfill');
  const c = await client(url);
  const variants = (process.env.TIDEMARK_BENCH_VARIANTS ?? 'narrow,wide').split(',');
  const scale = ROWS / SAMPLE;
  const conf = (
    await c.query(
      `SELECT current_setting('server_version') AS v, current_setting('fsync') AS f, current_setting('synchronous_commit') AS s`,
    )
  ).rows[0];
  ctx.log(
    `server ${conf.v}, fsync=${conf.f}, synchronous_commit=${conf.s}${conf.f === 'off' ? ' (per-row commits cost no disk flush here, which flatters the row-by-row loop)' : ''}`,
  );
  ctx.log(
    `${ROWS.toLocaleString('en')} rows per table (100k-row sample for the OFFSET and row-by-row loops, extrapolated ×${scale}); target ${TARGET_MS} ms per batch; ${WORKLOAD_CLIENTS} workload clients`,
  );
  const summary = [];
  try {
    for (const variant of variants) {
      ctx.log(`\n--- ${variant} table ---`);
      await c.query(`DROP TABLE IF EXISTS tpl`);
      await c.query(`CREATE TABLE tpl (${VARIANTS[variant].columns})`);
      await c.query(VARIANTS[variant].fill(ROWS));

      // Throughput, each on its own fresh copy, nothing else running.
      await copy(c, 't_single', variant, ROWS);
      const single = await singleUpdate(c, 't_single', variant);
      ctx.log(`single UPDATE: ${secs(single)}`);
      await copy(c, 't_tm', variant, ROWS);
      const tm = await tidemark(url, 't_tm', variant);
      ctx.log(
        `Tidemark (default, concurrency auto): ${secs(tm.elapsed)} in ${tm.batches.length} batches — ${tm.width}`,
      );
      await copy(c, 't_tm1', variant, ROWS);
      const tm1 = await tidemark(url, 't_tm1', variant, 1);
      ctx.log(`Tidemark, batch.concurrency 1: ${secs(tm1.elapsed)} in ${tm1.batches.length} batches`);
      await copy(c, 't_tm_small', variant, SAMPLE);
      const tmSmall = await tidemark(url, 't_tm_small', variant);
      await copy(c, 't_off', variant, SAMPLE);
      const off = (await offsetLoop(c, 't_off', variant)) * scale;
      await copy(c, 't_rbr', variant, SAMPLE);
      const rbr = (await rowByRow(c, 't_rbr', variant)) * scale;
      ctx.log(`OFFSET loop (extrapolated): ${secs(off)} · row-by-row (extrapolated): ${secs(rbr)}`);

      // Latency of a concurrent workload: baseline, during Tidemark, during the single UPDATE.
      await copy(c, 't_lat', variant, ROWS);
      const base = await latencyDuring(url, 't_lat', ROWS, () => new Promise((r) => setTimeout(r, BASELINE_MS)));
      let tmLatRun;
      const during = await latencyDuring(
        url,
        't_lat',
        ROWS,
        async () => (tmLatRun = await tidemark(url, 't_lat', variant)),
      );
      await copy(c, 't_lat3', variant, ROWS);
      let tm2LatRun;
      const during2 = await latencyDuring(
        url,
        't_lat3',
        ROWS,
        async () => (tm2LatRun = await tidemark(url, 't_lat3', variant, 2)),
      );
      await copy(c, 't_lat2', variant, ROWS);
      let singleLatRun = 0;
      const duringSingle = await latencyDuring(
        url,
        't_lat2',
        ROWS,
        async () => (singleLatRun = await singleUpdate(c, 't_lat2', variant)),
      );

      ctx.report([
        {
          what: 'Tidemark backfill (default)',
          time: secs(tm.elapsed),
          'vs single UPDATE': (tm.elapsed / single).toFixed(2),
          note: `${tm.batches.length} batches, sizes ${Math.min(...tm.sizes)}…${Math.max(...tm.sizes)}; ${tm.width.replace('batch.concurrency auto: ', 'auto: ')}`,
        },
        {
          what: 'Tidemark, batch.concurrency: 1',
          time: secs(tm1.elapsed),
          'vs single UPDATE': (tm1.elapsed / single).toFixed(2),
          note: `one batch at a time; p99 batch ${ms(pct(tm1.batches, 99))}`,
        },
        {
          what: 'single UPDATE',
          time: secs(single),
          'vs single UPDATE': '1.00',
          note: 'one statement, every row locked until it ends',
        },
        {
          what: 'OFFSET-paged loop',
          time: `${secs(off)} (extrapolated)`,
          'vs single UPDATE': (off / single).toFixed(2),
          note: `timed on ${SAMPLE.toLocaleString('en')} rows ×${scale}`,
        },
        {
          what: 'row-by-row loop (seed 004)',
          time: `${secs(rbr)} (extrapolated)`,
          'vs single UPDATE': (rbr / single).toFixed(2),
          note: `timed on ${SAMPLE.toLocaleString('en')} rows ×${scale}; Tidemark is ${(rbr / tm.elapsed).toFixed(0)}× faster`,
        },
      ]);
      ctx.report([
        {
          measure: 'batch duration p50 / p99 / max',
          value: `${ms(pct(tm.batches, 50))} / ${ms(pct(tm.batches, 99))} / ${ms(Math.max(...tm.batches))}`,
          target: `p99 ≤ ${1.5 * TARGET_MS} ms`,
        },
        {
          measure: `runner peak RSS growth at ${SAMPLE.toLocaleString('en')} / ${ROWS.toLocaleString('en')} rows`,
          value: `${mb(tmSmall.rss)} / ${mb(tm.rss)}`,
          target: 'flat in table size',
        },
      ]);
      ctx.report([
        { workload: 'baseline', p50: ms(base.p50), p99: ms(base.p99), max: ms(base.max), ops: base.n },
        {
          workload: `during Tidemark, default (${secs(tmLatRun.elapsed)}; ${tmLatRun.width.replace('batch.concurrency auto: ', 'auto: ')})`,
          p50: ms(during.p50),
          p99: ms(during.p99),
          max: ms(during.max),
          ops: during.n,
        },
        {
          workload: `during Tidemark, concurrency 2 forced (${secs(tm2LatRun.elapsed)})`,
          p50: ms(during2.p50),
          p99: ms(during2.p99),
          max: ms(during2.max),
          ops: during2.n,
        },
        {
          workload: `during single UPDATE (${secs(singleLatRun)})`,
          p50: ms(duringSingle.p50),
          p99: ms(duringSingle.p99),
          max: ms(duringSingle.max),
          ops: duringSingle.n,
        },
      ]);
      summary.push({
        table: variant,
        'Tidemark ÷ UPDATE (≤ 1.0)': (tm.elapsed / single).toFixed(2),
        'concurrency 1 ÷ UPDATE': (tm1.elapsed / single).toFixed(2),
        'row-by-row ÷ Tidemark (≥ 80)': (rbr / tm.elapsed).toFixed(0),
        'p99 batch (≤ 300 ms)': ms(pct(tm.batches, 99)),
        'worst wait during Tidemark (≤ 300 ms)': ms(during.max),
        'median during ÷ baseline (≤ 1.5)': (during.p50 / base.p50).toFixed(2),
        'forced concurrency 2: worst wait / median ÷ baseline': `${ms(during2.max)} / ${(during2.p50 / base.p50).toFixed(2)}`,
        'worst wait during UPDATE': ms(duringSingle.max),
      });
      for (const t of ['t_single', 't_tm', 't_tm1', 't_tm_small', 't_off', 't_rbr', 't_lat', 't_lat2', 't_lat3', 'tpl'])
        await c.query(`DROP TABLE IF EXISTS ${t}`);
    }
    ctx.log('\n--- targets ---');
    ctx.report(summary);
  } finally {
    await c.end();
  }
}
