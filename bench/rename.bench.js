/**
 * Renames: `op.renameColumn` (copy column + trigger + fill through the backfill engine + unique
 * index repeated CONCURRENTLY + swap, then the completion that drops the copy) against a plain
 * `ALTER TABLE … RENAME COLUMN`, and `op.renameTable` (rename + updatable view, then the
 * completion that drops the view) against a plain `ALTER TABLE … RENAME TO`, on a table of
 * TIDEMARK_BENCH_ROWS rows (default 1,000,000). Reports each one's total time, the WAL it wrote
 * (pg_current_wal_lsn before and after: run it on a server nobody else writes to — the embedded
 * one is the default; the ledger is installed beforehand), the table's size afterwards (bloat left by the fill), and the ratios
 * Tidemark ÷ plain. `npm run bench -- rename`.
 */
import pg from 'pg';
import { definePlan, op, runPlan, sql, validatePlan } from '../dist/index.js';

const ROWS = Number(process.env.TIDEMARK_BENCH_ROWS ?? 1_000_000);

const SETUP = `
  DROP TABLE IF EXISTS bench_users, bench_accounts CASCADE;
  DROP VIEW IF EXISTS bench_users;
  DROP SCHEMA IF EXISTS tidemark CASCADE;
  CREATE TABLE bench_users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, n int NOT NULL DEFAULT 0, note text);
  INSERT INTO bench_users (email, n, note) SELECT 'user' || g || '@example.com', g % 100, md5(g::text) FROM generate_series(1, ${ROWS}) g;
`;

// The insert position: a small transaction's WAL is counted even before it is written out.
async function lsn(c) {
  return (await c.query('SELECT pg_current_wal_insert_lsn() AS l')).rows[0].l;
}

async function walSince(c, from) {
  return Number(
    (await c.query('SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1)::int8 AS b', [from])).rows[0].b,
  );
}

async function size(c, t) {
  return Number((await c.query('SELECT pg_total_relation_size($1)::int8 AS b', [t])).rows[0].b);
}

/** Time and WAL of `fn`, after a checkpoint so both start from the same state. */
async function measure(c, fn) {
  await c.query('CHECKPOINT');
  const l = await lsn(c);
  const t = performance.now();
  await fn();
  const ms = performance.now() - t;
  return { ms, wal: await walSince(c, l) };
}

async function runTidemark(url, def) {
  const plan = await validatePlan(definePlan(def));
  const r = await runPlan(plan, { databaseUrl: url, events: () => undefined });
  if (r.exitCode !== 0) throw new Error(`${def.id}: ${r.message}`);
}

/** What `--dry-run` says about the fill's duration (its estimate from a timed sample). */
async function dryRunEstimate(url, def) {
  const lines = [];
  const plan = await validatePlan(definePlan(def));
  await runPlan(plan, {
    databaseUrl: url,
    dryRun: true,
    events: (e) => e.type === 'step.dry-run' && lines.push(...e.lines),
  });
  return lines.find((l) => l.includes('expected to take')) ?? '(no estimate)';
}

const mb = (b) => +(b / 1024 / 1024).toFixed(2);

export default async function (ctx) {
  const url = await ctx.createDatabase('tm_bench_rename');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const rows = [];
  const add = (what, m, tableBytes) =>
    rows.push({ what, 'time s': +(m.ms / 1000).toFixed(3), 'WAL bytes': m.wal, 'table+indexes MB': mb(tableBytes) });
  try {
    const fresh = async () => {
      ctx.log(`loading ${ROWS} rows…`);
      await c.query(SETUP);
      await c.query('VACUUM ANALYZE bench_users');
      // The ledger is installed once per database, not per operation: install it before measuring.
      await runTidemark(url, { id: 'bench-warm-ledger', expand: [sql({ id: 'noop', up: 'SELECT 1' })] });
      return size(c, 'bench_users');
    };
    const base = await fresh();
    const plainCol = await measure(c, () => c.query('ALTER TABLE bench_users RENAME COLUMN email TO email_address'));
    add('plain RENAME COLUMN', plainCol, await size(c, 'bench_users'));

    await fresh();
    const estimate = await dryRunEstimate(url, {
      id: 'bench-rename-column',
      expand: [op.renameColumn({ id: 'rename-email', table: 'bench_users', from: 'email', to: 'email_address' })],
    });
    ctx.log(`--dry-run said: ${estimate}`);
    ctx.log('op.renameColumn (expand + completion)…');
    const tmCol = await measure(c, () =>
      runTidemark(url, {
        id: 'bench-rename-column',
        expand: [op.renameColumn({ id: 'rename-email', table: 'bench_users', from: 'email', to: 'email_address' })],
      }),
    );
    add('op.renameColumn', tmCol, await size(c, 'bench_users'));

    await fresh();
    const plainTab = await measure(c, () => c.query('ALTER TABLE bench_users RENAME TO bench_accounts'));
    add('plain RENAME TO', plainTab, await size(c, 'bench_accounts'));

    await fresh();
    ctx.log('op.renameTable (expand + completion)…');
    const tmTab = await measure(c, () =>
      runTidemark(url, {
        id: 'bench-rename-table',
        expand: [op.renameTable({ id: 'rename-users', table: 'bench_users', to: 'bench_accounts' })],
      }),
    );
    add('op.renameTable', tmTab, await size(c, 'bench_accounts'));

    const ratio = (what, a, b) =>
      rows.push({
        what,
        'time s': +(a.ms / b.ms).toFixed(1),
        'WAL bytes': +(a.wal / Math.max(b.wal, 1)).toFixed(1),
        'table+indexes MB': '',
      });
    ratio('column: Tidemark ÷ plain', tmCol, plainCol);
    ratio('table: Tidemark ÷ plain', tmTab, plainTab);
    ctx.log(`rows: ${ROWS}; table + indexes before: ${mb(base)} MB`);
  } finally {
    await c.end();
  }
  ctx.report(rows);
}
