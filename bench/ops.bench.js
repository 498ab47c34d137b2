/**
 * Ops benchmark (`npm run bench -- ops`): what readers and writers of a 1M-row table (5M with
 * TIDEMARK_BENCH_LARGE=1) feel while a column becomes NOT NULL —
 *
 * - `plain`: one `ALTER TABLE … ALTER COLUMN … SET NOT NULL`, as a hand-written migration does it
 *   (no lock_timeout): it scans the table under ACCESS EXCLUSIVE;
 * - `op.setNotNull`: Tidemark's CHECK NOT VALID → VALIDATE → SET NOT NULL (no scan) → drop check,
 *   each blocking statement under lock_timeout (500 ms) with retries.
 *
 * Two situations: a quiet table, and one where a reporting transaction keeps the table for 2 s
 * (the lock queue: a waiting ALTER blocks every reader queued behind it). Four point-reader and one
 * writer connections run throughout; the table prints their latency percentiles and the ratio
 * plain ÷ op.setNotNull of the worst read. Times are from one run each (the effect is not subtle).
 */
import pg from 'pg';
import { definePlan, op, rollbackPlan, runPlan, validatePlan } from '../dist/index.js';

const LARGE = process.env.TIDEMARK_BENCH_LARGE === '1';
const ROWS = LARGE ? 5_000_000 : 1_000_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

/** Point readers and one writer until stopped; latencies in ms. */
function traffic(url) {
  let stop = false;
  const reads = [];
  const writes = [];
  const loop = async (sink, sql) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    for (let _i = 0; !stop; _i++) {
      const id = 1 + Math.floor(Math.random() * ROWS);
      const t = performance.now();
      await c.query(sql, [id]);
      sink.push(performance.now() - t);
      await sleep(2);
    }
    await c.end();
  };
  const loops = [
    ...Array.from({ length: 4 }, () => loop(reads, 'SELECT * FROM leads WHERE id = $1')),
    loop(writes, 'UPDATE leads SET email = email WHERE id = $1'),
  ];
  return {
    async stop() {
      stop = true;
      await Promise.all(loops);
      return { reads, writes };
    },
  };
}

/** A session that keeps the table in a 2 s transaction (a report, a forgotten psql), starting now. */
async function reportingTransaction(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('BEGIN');
  await c.query('SELECT count(*) FROM leads WHERE id < 1000');
  const done = (async () => {
    await sleep(2000);
    await c.query('COMMIT');
    await c.end();
  })();
  return { done };
}

export default async function opsBench(ctx) {
  const url = await ctx.createDatabase('tm_bench_ops');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    ctx.log(`building ${ROWS.toLocaleString('en')} leads…`);
    await admin.query(
      `CREATE TABLE leads (id bigint PRIMARY KEY, tenant_id int, email text NOT NULL, pad text NOT NULL)`,
    );
    await admin.query(
      `INSERT INTO leads SELECT g, 1 + g % 100, 'lead' || g || '@example.com', repeat('x', 120) FROM generate_series(1, ${ROWS}) g`,
    );
    await admin.query('VACUUM ANALYZE leads');

    const rows = [];
    let n = 0;
    for (const blocked of [false, true]) {
      const situation = blocked ? 'a 2 s transaction holds the table' : 'quiet table';
      const results = {};
      for (const contender of ['plain', 'op.setNotNull']) {
        const load = traffic(url);
        await sleep(300);
        const blocker = blocked ? await reportingTransaction(url) : undefined;
        const t = performance.now();
        let plan;
        if (contender === 'plain') {
          await admin.query('ALTER TABLE leads ALTER COLUMN tenant_id SET NOT NULL');
        } else {
          plan = await validatePlan(
            definePlan({
              id: `bench-nn-${++n}`,
              contract: [op.setNotNull({ id: 'nn', table: 'leads', column: 'tenant_id' })],
            }),
          );
          const r = await runPlan(plan, { databaseUrl: url });
          if (r.exitCode !== 0) throw new Error(r.message);
        }
        const ddlMs = performance.now() - t;
        await blocker?.done;
        await sleep(300);
        const { reads, writes } = await load.stop();
        results[contender] = { reads, writes };
        rows.push({
          situation,
          contender,
          'migration s': +(ddlMs / 1000).toFixed(2),
          'read p50 ms': +pct(reads, 50).toFixed(1),
          'read p99 ms': +pct(reads, 99).toFixed(1),
          'read max ms': +Math.max(...reads).toFixed(0),
          'reads > 500 ms': reads.filter((x) => x > 500).length,
          'write max ms': +Math.max(...writes).toFixed(0),
        });
        if (plan) await rollbackPlan(plan, { databaseUrl: url });
        else await admin.query('ALTER TABLE leads ALTER COLUMN tenant_id DROP NOT NULL');
      }
      const worst = (k) => Math.max(...results[k].reads);
      rows.push({
        situation,
        contender: 'ratio plain ÷ op (worst read)',
        'read max ms': +(worst('plain') / worst('op.setNotNull')).toFixed(1),
      });
    }
    ctx.report(rows);
  } finally {
    await admin.end();
  }
}
