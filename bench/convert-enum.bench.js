/**
 * convertToEnum: in place (one ALTER … TYPE under ACCESS EXCLUSIVE) vs through a shadow column, on
 * a table of TIDEMARK_BENCH_ROWS rows (default 1,000,000) with readers running point queries the
 * whole time. Reports each path's total time and the readers' latency (p50, p99, max, and how many
 * reads waited longer than the default lock_timeout), and the ratios shadow ÷ in place. The max is
 * the figure that matters: in place, every reader waits for the whole rewrite (few reads happen
 * meanwhile, so p99 hides it). `npm run bench -- convert-enum`.
 */
import pg from 'pg';
import { definePlan, op, runPlan, validatePlan } from '../dist/index.js';

const ROWS = Number(process.env.TIDEMARK_BENCH_ROWS ?? 1_000_000);
const READERS = 2;

const SETUP = `
  DROP TABLE IF EXISTS bench_leads CASCADE;
  DROP TYPE IF EXISTS bench_lead_status;
  CREATE TABLE bench_leads (id bigserial PRIMARY KEY, status varchar(20) NOT NULL DEFAULT 'new', amount int);
  INSERT INTO bench_leads (status, amount) SELECT (ARRAY['new', 'won', 'lost'])[1 + g % 3], g FROM generate_series(1, ${ROWS}) g;
  CREATE INDEX bench_leads_status_idx ON bench_leads (status);
`;

function percentile(sorted, p) {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Readers doing point lookups until stopped; returns their latencies (ms). */
function readers(url) {
  const pool = new pg.Pool({ connectionString: url, max: READERS });
  pool.on('error', () => undefined);
  const lat = [];
  let stop = false;
  const loop = async () => {
    while (!stop) {
      const t = performance.now();
      await pool.query('SELECT status FROM bench_leads WHERE id = $1', [1 + Math.floor(Math.random() * ROWS)]);
      lat.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 1));
    }
  };
  const loops = Array.from({ length: READERS }, loop);
  return {
    async stop() {
      stop = true;
      await Promise.all(loops);
      await pool.end();
      return lat.sort((a, b) => a - b);
    },
  };
}

async function convert(url, planId, shadowThresholdRows) {
  const plan = await validatePlan(
    definePlan({
      id: planId,
      expand: [
        op.convertToEnum({
          id: 'status-enum',
          table: 'bench_leads',
          column: 'status',
          enum: 'bench_lead_status',
          values: ['new', 'won', 'lost'],
        }),
      ],
    }),
  );
  const r = readers(url);
  await new Promise((res) => setTimeout(res, 300));
  const t = performance.now();
  const result = await runPlan(plan, { databaseUrl: url, config: { shadowThresholdRows } });
  const total = performance.now() - t;
  await new Promise((res) => setTimeout(res, 300));
  const lat = await r.stop();
  if (result.exitCode !== 0) throw new Error(`${planId}: ${result.message}`);
  return { total, lat };
}

export default async function (ctx) {
  const url = await ctx.createDatabase('tm_bench_convert_enum');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const rows = [];
  const results = {};
  try {
    for (const [path, threshold] of [
      ['in place', 1e12],
      ['shadow column', 0],
    ]) {
      ctx.log(`${path}: loading ${ROWS} rows…`);
      await admin.query(SETUP);
      await admin.query('VACUUM ANALYZE bench_leads');
      await admin.query('DROP SCHEMA IF EXISTS tidemark CASCADE');
      ctx.log(`${path}: converting with ${READERS} readers running…`);
      const { total, lat } = await convert(url, `bench-enum-${path === 'in place' ? 'inplace' : 'shadow'}`, threshold);
      results[path] = { total, p99: percentile(lat, 99), max: lat[lat.length - 1] ?? 0 };
      rows.push({
        path,
        'total s': +(total / 1000).toFixed(2),
        reads: lat.length,
        'reader p50 ms': +percentile(lat, 50).toFixed(2),
        'reader p99 ms': +percentile(lat, 99).toFixed(2),
        'reader max ms': +(lat[lat.length - 1] ?? 0).toFixed(1),
        'reads > 500 ms': lat.filter((x) => x > 500).length,
      });
    }
  } finally {
    await admin.end();
  }
  const a = results['in place'];
  const b = results['shadow column'];
  rows.push({
    path: 'shadow ÷ in place',
    'total s': +(b.total / a.total).toFixed(2),
    reads: '',
    'reader p50 ms': '',
    'reader p99 ms': +(b.p99 / a.p99).toFixed(3),
    'reader max ms': +(b.max / a.max).toFixed(3),
    'reads > 500 ms': '',
  });
  ctx.report(rows);
}
