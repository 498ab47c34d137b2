/**
 * The replica-lag throttle against a real streaming replica: a primary and a standby started from
 * the machine's PostgreSQL server tools (pg_basebackup is not shipped by the embedded package).
 * Runs where those tools exist (this machine: /usr/lib/postgresql/15/bin).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded.js';
import type { TidemarkEvent } from '../../src/kind/events.js';
import { loadPlan } from '../../src/plan/load.js';
import { runPlan } from '../../src/runner/run.js';
import { query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';

function serverTools(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'pg_basebackup')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], 'bin') : undefined;
}

const BIN = serverTools();
const asRoot = userInfo().uid === 0;
let dir = '';
let primary = '';
let standby = '';
const started: string[] = [];

function pg(tool: string, args: string[]): void {
  const cmd = join(BIN!, tool);
  if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe', cwd: '/tmp' });
  else execFileSync(cmd, args, { stdio: 'pipe' });
}

function startServer(data: string, port: number): void {
  pg('pg_ctl', [
    '-D',
    data,
    '-o',
    `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir}`,
    '-w',
    '-t',
    '60',
    '-l',
    `${data}.log`,
    'start',
  ]);
  started.push(data);
}

describe.runIf(BIN)('replica lag throttle (real streaming replica)', () => {
  beforeAll(async () => {
    dir = mkdtempSync('/tmp/tm-replica-');
    if (asRoot)
      chownSync(
        dir,
        Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
        Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
      );
    const [p1, p2] = [await freePort(), await freePort()];
    pg('initdb', ['-D', join(dir, 'primary'), '-A', 'trust', '-U', 'postgres']);
    startServer(join(dir, 'primary'), p1);
    pg('pg_basebackup', ['-h', '127.0.0.1', '-p', String(p1), '-U', 'postgres', '-D', join(dir, 'standby'), '-R']);
    startServer(join(dir, 'standby'), p2);
    primary = `postgres://postgres@127.0.0.1:${p1}/postgres`;
    standby = `postgres://postgres@127.0.0.1:${p2}/postgres`;
  }, 120_000);

  afterAll(() => {
    for (const d of started.reverse()) {
      try {
        pg('pg_ctl', ['-D', d, '-m', 'immediate', 'stop']);
      } catch {
        /* already stopped */
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('pauses while replay lag exceeds maxReplicaLagMs and says so; resumes when the replica catches up', async () => {
    await query(primary, `CREATE TABLE lagged (id int PRIMARY KEY, v int, pad text)`);
    await query(primary, `INSERT INTO lagged SELECT g, NULL, repeat('x', 200) FROM generate_series(1, 20000) g`);
    await query(standby, `SELECT pg_wal_replay_pause()`);
    const file = writePlan(
      tempDir(),
      `{ id: 'lag', backfill: [backfill.update({ id: 'v', table: 'lagged', set: { v: 'id' }, batch: { size: 500 }, throttle: { maxReplicaLagMs: 300, checkEveryMs: 100 } })] }`,
    );
    const events: TidemarkEvent[] = [];
    const running = runPlan(await loadPlan(file), { databaseUrl: primary, events: (e) => events.push(e) });
    // Lag builds up from the WAL the batches write while replay is paused; the backfill must stop.
    const t0 = Date.now();
    while (!events.some((e) => e.type === 'step.progress' && e.note?.startsWith('paused: replica replay lag'))) {
      if (Date.now() - t0 > 30_000) throw new Error('the backfill never paused for replica lag');
      await query(
        primary,
        `INSERT INTO lagged SELECT -g, NULL, 'w' FROM generate_series(1, 10) g ON CONFLICT DO NOTHING`,
      ).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
    const stuckAt = (await query<{ n: number }>(primary, `SELECT count(v)::int n FROM lagged`))[0].n;
    await new Promise((r) => setTimeout(r, 600));
    expect((await query<{ n: number }>(primary, `SELECT count(v)::int n FROM lagged`))[0].n).toBe(stuckAt);
    await query(standby, `SELECT pg_wal_replay_resume()`);
    const r = await running;
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    const notes = events.flatMap((e) => (e.type === 'step.progress' && e.note ? [e.note] : []));
    expect(notes.find((n) => n.startsWith('paused: replica replay lag'))).toMatch(
      /^paused: replica replay lag \d+\.\d s > 0\.3 s; checking again every 100 ms$/,
    );
    expect(
      (await query(primary, `SELECT count(*)::int n FROM lagged WHERE id > 0 AND v IS DISTINCT FROM id`))[0].n,
    ).toBe(0);
  }, 60_000);
});
