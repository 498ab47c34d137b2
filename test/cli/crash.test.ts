import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { BIN, cli } from '../helpers/run.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('cli_crash');
  await query(url, 'CREATE TABLE crash_log (n serial primary key, step text)');
});

async function waitFor(fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}

describe('kill -9 of the runner mid-plan', () => {
  it('a rerun finishes without redoing committed work', async () => {
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{ id: 'crashy', expand: [
      sql({ id: 'one', up: "INSERT INTO crash_log (step) VALUES ('one')" }),
      sql({ id: 'slow', transaction: false, up: ["INSERT INTO crash_log (step) VALUES ('slow-a')", "SELECT pg_sleep(3)", "INSERT INTO crash_log (step) VALUES ('slow-b')"] }),
      sql({ id: 'three', up: "INSERT INTO crash_log (step) VALUES ('three')" }),
    ] }`,
    );
    const child = spawn(process.execPath, [BIN, 'run', file, '--database-url', url], { stdio: 'ignore' });
    await waitFor(async () => (await query(url, `SELECT 1 FROM crash_log WHERE step = 'slow-a'`)).length > 0);
    await waitFor(
      async () =>
        (
          await query(
            url,
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep(3)%'`,
          )
        ).length > 0,
    );
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    // The server notices the dead client and ends its session, which releases the run lock.
    await waitFor(
      async () =>
        (
          await query(
            url,
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep(3)%' AND state = 'active'`,
          )
        ).length === 0,
    );
    expect(
      (
        await query(url, `SELECT status, progress FROM tidemark.steps WHERE plan_id = 'crashy' AND step_id = 'slow'`)
      )[0],
    ).toEqual({ status: 'running', progress: { statementsDone: 1 } });
    const r = await cli(['run', file, '--database-url', url], { env: {} });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('resuming at statement 2 of 3');
    expect((await query(url, 'SELECT step FROM crash_log ORDER BY n')).map((x) => x.step)).toEqual([
      'one',
      'slow-a',
      'slow-b',
      'three',
    ]);
    const runs = await query<{ status: string }>(
      url,
      `SELECT status FROM tidemark.runs WHERE plan_id = 'crashy' ORDER BY run_id`,
    );
    expect(runs.map((x) => x.status)).toEqual(['crashed', 'done']);
  });
});
