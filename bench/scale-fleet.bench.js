/**
 * Fleet benchmark (`npm run bench -- fleet`): a fleet of 50 small databases on one server
 * (TIDEMARK_BENCH_FLEET_TARGETS to change), one plan per measurement (its own table: create, a
 * 1,000-row backfill, a proof).
 *
 * - single: the plan run alone on each target, one after another (`runPlan`), times summed;
 * - fleet at concurrency C (1, 4, 8): `runFleet` with a coordinator database on the same server,
 *   wall time from the first claim to the last line;
 * - ratio = wall ÷ (sum of single-target times ÷ C): 1.0 is a perfect division of the work; above
 *   it is the fleet's overhead (claims, the coordinator's bookkeeping) plus what the one server
 *   and the machine's cores cannot run in parallel — on a 2-core machine the server is the limit
 *   long before C = 8, and the figure says so.
 *
 * Every target's ledger is installed before timing starts (by a warm-up plan), so no measurement
 * pays for it.
 */
import { availableParallelism } from 'node:os';
import { Coordinator } from '../dist/fleet/coordinator.js';
import { runFleet } from '../dist/fleet/run.js';
import { check, definePlan, runPlan, sql, validatePlan } from '../dist/index.js';

const N = Number(process.env.TIDEMARK_BENCH_FLEET_TARGETS ?? 50);
const LEVELS = (process.env.TIDEMARK_BENCH_FLEET_CONCURRENCY ?? '1,4,8').split(',').map(Number);

async function planOf(tag) {
  const t = `bench_${tag}`;
  return validatePlan(
    definePlan({
      id: `fleet-bench-${tag}`,
      expand: [sql({ id: 'create', up: `CREATE TABLE ${t} (id int PRIMARY KEY, v text)`, down: `DROP TABLE ${t}` })],
      backfill: [sql({ id: 'fill', up: `INSERT INTO ${t} SELECT g, 'v' || g FROM generate_series(1, 1000) g` })],
      validate: [
        check.noNulls({ id: 'v-set', table: t, column: 'v' }),
        check.rowCount({ id: 'rows', table: t, equals: 1000 }),
      ],
    }),
  );
}

export default async function fleetBench(ctx) {
  ctx.log(`${N} databases, one server; ${availableParallelism()} cores on this machine`);
  const targets = [];
  for (let i = 0; i < N; i++) {
    const name = `fleet_bench_${String(i).padStart(2, '0')}`;
    targets.push({ name, url: await ctx.createDatabase(name), line: i + 1 });
  }
  const warm = await planOf('warm');
  for (const t of targets) {
    const r = await runPlan(warm, { databaseUrl: t.url });
    if (r.exitCode !== 0) throw new Error(`warm-up on ${t.name}: ${r.message}`);
  }

  const single = await planOf('single');
  let sum = 0;
  for (const t of targets) {
    const t0 = performance.now();
    const r = await runPlan(single, { databaseUrl: t.url });
    sum += performance.now() - t0;
    if (r.exitCode !== 0) throw new Error(`single run on ${t.name}: ${r.message}`);
  }
  ctx.log(`single-target runs: ${(sum / 1000).toFixed(1)} s summed, ${(sum / N).toFixed(0)} ms each on average`);

  const coordinator = await Coordinator.open(await ctx.createDatabase('fleet_bench_coordinator'));
  const rows = [];
  try {
    for (const c of LEVELS) {
      const plan = await planOf(`c${c}`);
      const t0 = performance.now();
      const r = await runFleet({
        coordinator,
        plan,
        planFile: 'bench',
        targets,
        concurrency: c,
        continueOnError: false,
        leaseSeconds: 600,
      });
      const wall = performance.now() - t0;
      if (r.exitCode !== 0) throw new Error(`fleet at concurrency ${c} exited ${r.exitCode}`);
      const ideal = sum / c;
      rows.push({
        concurrency: c,
        'wall (s)': +(wall / 1000).toFixed(1),
        'sum of singles ÷ C (s)': +(ideal / 1000).toFixed(1),
        'wall ÷ (sum ÷ C)': +(wall / ideal).toFixed(2),
        'per target (ms)': Math.round(wall / N),
      });
    }
  } finally {
    await coordinator.close();
  }
  ctx.report(rows);
}
