/**
 * `run --wait`: while another runner holds the plan's lock, the waiting run says who holds it and
 * since when, at once and every few seconds, then runs when the lock is released.
 */
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireRunLock } from '../../src/runner/run-lock.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { BIN } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('cli_run_wait');
});

describe('run --wait', () => {
  it('prints the holder of the lock while it waits, then runs', async () => {
    const file = writePlan(
      tempDir(),
      `{ id: 'waiter', expand: [sql({ id: 'make', up: 'CREATE TABLE waited (id int)', down: 'DROP TABLE waited' })] }`,
    );
    const held = await acquireRunLock(url, 'tidemark', 'waiter');
    const child = spawn(process.execPath, [BIN, 'run', file, '--wait', '60', '--database-url', url], {
      env: { ...process.env, NO_COLOR: '1', CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    const waitingLines = () => stdout.split('\n').filter((l) => l.startsWith('⏳ waiting for plan "waiter"'));
    const end = Date.now() + 60_000;
    while (waitingLines().length < 2 && Date.now() < end && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
    await held.release();
    const code = await exited;
    expect(code, stderr).toBe(0);
    const lines = waitingLines();
    expect(lines.length, stdout).toBeGreaterThanOrEqual(2);
    // The holder as the exit-3 message names it: the lock connection's user@host pid, and since when.
    expect(lines[0]).toMatch(/\(0 s of 60 s\): held by tidemark:waiter \S+@\S+ pid \d+ since \d{4}-\d\d-\d\d /);
    expect(lines[0]).toContain(`pid ${process.pid}`);
    expect(Number(/\((\d+) s of 60 s\)/.exec(lines[1])?.[1])).toBeGreaterThanOrEqual(5);
    expect(stdout).toContain('✓ make');
    expect(await query(url, `SELECT to_regclass('waited') IS NOT NULL AS made`)).toEqual([{ made: true }]);
  }, 180_000);
});
