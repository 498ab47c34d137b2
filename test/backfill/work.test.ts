/**
 * `tidemark work`: more workers on one backfill (docs/work.md). Two `work` processes started before
 * `run` wait, then join it on a 200k-row backfill whose `set` is not idempotent (`n = n + 1`): one
 * worker is killed with -9 mid-batch (its range is taken over after its short lease expires), the
 * other is stopped with SIGTERM (it releases its range at once) — every row is still written exactly
 * once, and the batches come from several runs. Plus the exits of a worker with nothing to do.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { BIN, cli } from '../helpers/run.js';

const ROWS = 200_000;
let url: string;

beforeAll(async () => {
  url = await createTestDatabase('backfill_work');
});

type Proc = ChildProcess & { out: string[]; code: Promise<number | null> };

function tidemark(args: string[]): Proc {
  const child = spawn(process.execPath, [BIN, ...args, '--database-url', url], {
    env: { ...process.env, NO_COLOR: '1', CI: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  }) as Proc;
  child.out = [];
  child.stdout!.on('data', (d) => child.out.push(String(d)));
  child.stderr!.on('data', (d) => child.out.push(String(d)));
  child.code = new Promise((r) => child.on('exit', (code) => r(code)));
  return child;
}

async function until(fn: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const t = Date.now();
  while (!(await fn())) {
    if (Date.now() - t > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The run id a `--json` worker announced in its run.start event. */
function runIdOf(p: Proc): number | undefined {
  for (const line of p.out.join('').split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line);
    if (e.type === 'run.start') return e.runId;
  }
  return undefined;
}

const batchesOf = async (runId: number) =>
  (
    await query<{ n: number }>(url, `SELECT count(*)::int AS n FROM tidemark.batches WHERE run_id = $1`, [runId]).catch(
      () => [{ n: 0 }],
    )
  )[0].n;

describe('tidemark work', () => {
  it('two workers and run: every row once across a kill -9 and a SIGTERM; batches from several runs', async () => {
    await query(url, `CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL DEFAULT 0)`);
    await query(url, `INSERT INTO counters (id) SELECT g FROM generate_series(1, ${ROWS}) g`);
    await query(url, `ANALYZE counters`);
    // Each batch sleeps 40 ms in its transaction (an uncorrelated subquery runs once per statement):
    // batches are in flight most of the time, so the kill lands mid-batch.
    const file = writePlan(
      tempDir(),
      `{ id: 'many', backfill: [backfill.update({ id: 'count', table: 'counters', set: { n: 'n + 1 + (SELECT 0 FROM pg_sleep(0.04))' }, batch: { size: 500 } })] }`,
    );
    // Started before `run`: they wait for the backfill to start.
    const killed = tidemark(['work', file, '--lease', '2', '--json']);
    const stopped = tidemark(['work', file, '--step', 'count', '--json']);
    await until(async () => killed.out.join('').includes('waiting for `run` to start'));
    await until(async () => stopped.out.join('').includes('waiting for `run` to start'));
    const run = tidemark(['run', file]);

    await until(async () => runIdOf(killed) !== undefined && (await batchesOf(runIdOf(killed)!)) >= 3);
    killed.kill('SIGKILL');
    await until(async () => runIdOf(stopped) !== undefined && (await batchesOf(runIdOf(stopped)!)) >= 3);
    stopped.kill('SIGTERM');
    expect(await stopped.code).toBe(0);
    expect(stopped.out.join('')).toContain('stopped: the batches in flight finished and the range was released');
    // Released, not left to expire: nothing of the stopped worker's is still leased.
    const held = await query<{ n: number }>(
      url,
      `SELECT count(*)::int AS n FROM tidemark.backfill_ranges WHERE holder_run_id = $1 AND state = 'open'`,
      [runIdOf(stopped)],
    );
    expect(held[0].n).toBe(0);
    const runCode = await run.code;
    expect(runCode, run.out.join('')).toBe(0);

    expect(await query(url, `SELECT n, count(*)::int AS rows FROM counters GROUP BY n`)).toEqual([
      { n: 1, rows: ROWS },
    ]);
    const b = await query<{ rows: number; walked: number; runs: number }>(
      url,
      `SELECT sum(rows)::int AS rows, sum(size)::int AS walked, count(DISTINCT run_id)::int AS runs FROM tidemark.batches WHERE plan_id = 'many'`,
    );
    expect(b[0]).toEqual({ rows: ROWS, walked: ROWS, runs: 3 });
    const ranges = await query<{ open: number; takeovers: number }>(
      url,
      `SELECT count(*) FILTER (WHERE state <> 'done')::int AS open, sum(takeovers)::int AS takeovers FROM tidemark.backfill_ranges WHERE plan_id = 'many'`,
    );
    // The killed worker's range was taken over after its lease expired; the stopped one's was released.
    expect(ranges[0].open).toBe(0);
    expect(ranges[0].takeovers).toBeGreaterThanOrEqual(1);
    const runs = await query<{ command: string; status: string }>(
      url,
      `SELECT command, status FROM tidemark.runs WHERE plan_id = 'many' ORDER BY run_id`,
    );
    expect(runs.filter((r) => r.command === 'work').length).toBe(2);
    expect(runs.find((r) => r.command === 'run')?.status).toBe('done');
    expect(
      await query(url, `SELECT status, rows_affected::int AS n FROM tidemark.steps WHERE plan_id = 'many'`),
    ).toEqual([{ status: 'completed', n: ROWS }]);

    // status shows each worker's share.
    const st = await cli(['status', file, '--database-url', url]);
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toMatch(/worker #\d+ work/);
    expect(st.stdout).toMatch(/worker #\d+ run/);

    const md = await cli(['report', file, '--database-url', url]);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toContain('Workers of `count`');

    // The plan is complete: a late worker has nothing to do.
    const late = await cli(['work', file, '--database-url', url]);
    expect(late.code).toBe(0);
    expect(late.stdout).toContain('backfill step "count" is complete: nothing to work on');
  }, 600_000);

  it('exits 0 on a plan without a backfill, and 2 on an unknown step (nothing written)', async () => {
    const dir = tempDir();
    const none = writePlan(
      dir,
      `{ id: 'no-fill', expand: [sql({ id: 'x', up: 'SELECT 1', down: 'SELECT 1' })] }`,
      'a.plan.ts',
    );
    const r = await cli(['work', none, '--database-url', url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('plan "no-fill" has no backfill step: nothing to work on');
    const fill = writePlan(
      dir,
      `{ id: 'one-fill', backfill: [backfill.update({ id: 'f', table: 'counters', set: { n: '0' } })] }`,
      'b.plan.ts',
    );
    const bad = await cli(['work', fill, '--step', 'nope', '--database-url', url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('plan "one-fill": --step "nope" is not a step of the plan');
    expect(bad.stderr).toContain('f');
    const runs = await query(
      url,
      `SELECT count(*)::int AS n FROM tidemark.runs WHERE plan_id IN ('no-fill', 'one-fill')`,
    );
    expect(runs[0].n).toBe(0);
  });
});
