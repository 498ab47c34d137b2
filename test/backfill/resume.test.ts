import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

const SLOW = '(SELECT 0 FROM pg_sleep(0.03))';
const CHILD = fileURLToPath(new URL('./child-run.mjs', import.meta.url));
let url: string;

beforeAll(async () => {
  url = await createTestDatabase('backfill_resume');
  // SLOW (an uncorrelated subquery: evaluated once per statement) makes each batch sleep 30 ms inside
  // its transaction, so batches are in flight most of the time and a kill lands mid-batch.
});

function start(file: string): ChildProcess & { out: string[] } {
  const child = spawn(process.execPath, [CHILD, file, url], { stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & {
    out: string[];
  };
  child.out = [];
  child.stdout!.on('data', (d) => child.out.push(String(d)));
  child.stderr!.on('data', (d) => child.out.push(String(d)));
  return child;
}

async function until(fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const t = Date.now();
  while (!(await fn())) {
    if (Date.now() - t > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const batches = async (plan: string) => {
  const r = await query<{ n: number }>(url, `SELECT count(*)::int AS n FROM tidemark.batches WHERE plan_id = $1`, [
    plan,
  ]).catch(() => [{ n: 0 }]);
  return r[0].n;
};

function exited(c: ChildProcess): Promise<number | null> {
  return new Promise((r) =>
    c.exitCode !== null || c.signalCode !== null ? r(c.exitCode) : c.on('exit', (code) => r(code)),
  );
}

describe('crash and resume', () => {
  it('kill -9 mid-backfill, twice, then rerun: every row written exactly once', async () => {
    await query(url, `CREATE TABLE hits (id int PRIMARY KEY, hits int NOT NULL DEFAULT 0)`);
    await query(url, `INSERT INTO hits (id) SELECT g FROM generate_series(1, 20000) g`);
    const file = writePlan(
      tempDir(),
      `{ id: 'kill', backfill: [backfill.update({ id: 'h', table: 'hits', set: { hits: 'hits + 1 + ${SLOW}' }, batch: { size: 200 } })] }`,
    );
    for (const after of [5, 15]) {
      const child = start(file);
      await until(async () => (await batches('kill')) >= after);
      child.kill('SIGKILL');
      await exited(child);
      const done = await query<{ n: number }>(url, `SELECT count(*)::int n FROM hits WHERE hits = 1`);
      expect(done[0].n).toBeGreaterThan(0);
      expect(done[0].n).toBeLessThan(20000);
      expect((await query(url, `SELECT count(*)::int n FROM hits WHERE hits > 1`))[0].n).toBe(0);
      const st = await query(url, `SELECT status FROM tidemark.steps WHERE plan_id = 'kill'`);
      expect(st[0].status).toBe('running');
    }
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(r.events.find((e) => e.type === 'step.start')).toMatchObject({ resumed: true });
    expect(r.events.some((e) => e.type === 'notice' && e.message.startsWith('resuming after id='))).toBe(true);
    expect(await query(url, `SELECT hits, count(*)::int n FROM hits GROUP BY hits`)).toEqual([{ hits: 1, n: 20000 }]);
    const ledger = await query(
      url,
      `SELECT sum(rows)::int AS rows, sum(size)::int AS walked FROM tidemark.batches WHERE plan_id = 'kill'`,
    );
    expect(ledger[0]).toEqual({ rows: 20000, walked: 20000 });
    const runs = await query(url, `SELECT status FROM tidemark.runs WHERE plan_id = 'kill' ORDER BY run_id`);
    expect(runs.map((x) => x.status)).toEqual(['crashed', 'crashed', 'done']);
  });

  it('a second runner exits 3 while the first runs', async () => {
    await query(url, `CREATE TABLE two (id int PRIMARY KEY, v int)`);
    await query(url, `INSERT INTO two SELECT g, 0 FROM generate_series(1, 10000) g`);
    // Hold a row lock the first runner's batches will reach: it waits there (retrying) until we let go,
    // so the second runner meets it running whatever the machine's speed.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    await holder.query(`BEGIN`);
    await holder.query(`SELECT * FROM two WHERE id = 5000 FOR UPDATE`);
    const file = writePlan(
      tempDir(),
      `{ id: 'two', backfill: [backfill.update({ id: 'v', table: 'two', set: { v: 'v + 1' }, batch: { size: 500 } })] }`,
    );
    const child = start(file);
    try {
      await until(async () => (await batches('two')) >= 2);
      const second = await runFile(file, { databaseUrl: url });
      expect(second.exitCode).toBe(3);
      expect(second.message).toContain('is being run by another runner');
    } finally {
      await holder.query(`COMMIT`);
      await holder.end();
    }
    expect(await exited(child)).toBe(0);
    expect(await query(url, `SELECT v, count(*)::int n FROM two GROUP BY v`)).toEqual([{ v: 1, n: 10000 }]);
  });

  it('a dropped connection fails the step; the rerun resumes without writing a row twice', async () => {
    await query(url, `CREATE TABLE dropped (id int PRIMARY KEY, hits int NOT NULL DEFAULT 0)`);
    await query(url, `INSERT INTO dropped (id) SELECT g FROM generate_series(1, 10000) g`);
    const file = writePlan(
      tempDir(),
      `{ id: 'drop', backfill: [backfill.update({ id: 'h', table: 'dropped', set: { hits: 'hits + 1 + ${SLOW}' }, batch: { size: 200 } })] }`,
    );
    const running = runFile(file, { databaseUrl: url });
    await until(async () => (await batches('drop')) >= 3);
    await until(async () => {
      const t = await query<{ n: number }>(
        url,
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'UPDATE "dropped"%' AND pid <> pg_backend_pid()`,
      );
      return t[0].n > 0;
    });
    const first = await running;
    expect(first.exitCode).toBe(1);
    expect((await query(url, `SELECT count(*)::int n FROM dropped WHERE hits > 1`))[0].n).toBe(0);
    const again = await runFile(file, { databaseUrl: url });
    expect(again.message).toBeUndefined();
    expect(await query(url, `SELECT hits, count(*)::int n FROM dropped GROUP BY hits`)).toEqual([
      { hits: 1, n: 10000 },
    ]);
  });

  it('kill -9 mid insert backfill (1 → N, no unique constraint), then rerun: no duplicates', async () => {
    await query(url, `CREATE TABLE camp (id int PRIMARY KEY, n int NOT NULL)`);
    await query(url, `INSERT INTO camp SELECT g, g % 3 + 1 FROM generate_series(1, 3000) g`);
    await query(url, `CREATE TABLE ev (id bigserial PRIMARY KEY, camp int NOT NULL, k int NOT NULL)`);
    const file = writePlan(
      tempDir(),
      `{ id: 'kill-ins', backfill: [backfill.insert({ id: 'ev', from: 'camp', into: 'ev', select: ['n'], batch: { size: 100 },
      transform: async (rows) => { await new Promise((r) => setTimeout(r, 30)); return rows.flatMap((c) => Array.from({ length: c.n }, (_, k) => ({ camp: c.id, k }))); } })] }`,
    );
    const child = start(file);
    await until(async () => (await batches('kill-ins')) >= 5);
    child.kill('SIGKILL');
    await exited(child);
    const partial = (await query<{ n: number }>(url, `SELECT count(*)::int n FROM ev`))[0].n;
    expect(partial).toBeGreaterThan(0);
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect((await query(url, `SELECT count(*)::int n, count(DISTINCT (camp, k))::int d FROM ev`))[0]).toEqual({
      n: 6000,
      d: 6000,
    });
  });

  it('concurrent batches (commits in key order): kill -9 then rerun writes every row exactly once', async () => {
    await query(url, `CREATE TABLE conc (id int PRIMARY KEY, hits int NOT NULL DEFAULT 0)`);
    await query(url, `INSERT INTO conc (id) SELECT g FROM generate_series(1, 12000) g`);
    const file = writePlan(
      tempDir(),
      `{ id: 'conc', backfill: [backfill.update({ id: 'h', table: 'conc', set: { hits: 'hits + 1 + ${SLOW}' }, batch: { size: 150, concurrency: 3 } })] }`,
    );
    const child = start(file);
    await until(async () => (await batches('conc')) >= 12);
    child.kill('SIGKILL');
    await exited(child);
    // The committed rows are exactly a prefix of the key: commits happen in key order.
    const gap = await query(
      url,
      `SELECT count(*)::int n FROM conc WHERE hits = 1 AND id > (SELECT coalesce(min(id), 12001) FROM conc WHERE hits = 0)`,
    );
    expect(gap[0].n).toBe(0);
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(await query(url, `SELECT hits, count(*)::int n FROM conc GROUP BY hits`)).toEqual([{ hits: 1, n: 12000 }]);
    expect((await query(url, `SELECT sum(size)::int n FROM tidemark.batches WHERE plan_id = 'conc'`))[0].n).toBe(12000);
  });
});
