/**
 * The default coordinator: an embedded PostgreSQL kept under `.tidemark/fleet/` in the working
 * directory, stopped when the command ends and started again (with its queue and history) by the
 * next one, so `fleet status` and a rerun see the earlier fleet run.
 */
import { chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { cli } from '../helpers/run.js';
import { ensureRole, fleetDatabase, fleetEnv, PASSWORD, writeTargets } from './fleet-helpers.js';

describe('fleet with the embedded coordinator', () => {
  it('keeps the queue under .tidemark/fleet/: run, status and a rerun that is a no-op', async () => {
    await ensureRole();
    const dir = tempDir('tidemark-fleet-embedded-');
    chmodSync(dir, 0o755); // as root the embedded server runs as "postgres", which must reach the folder
    const plan = writePlan(
      dir,
      `{ id: 'fleet-embedded', expand: [sql({ id: 'create', up: 'CREATE TABLE fleet_e (id int)', down: 'DROP TABLE fleet_e' })] }`,
    );
    const fleet = [];
    for (const name of ['emb_a', 'emb_b']) fleet.push({ name, ...(await fleetDatabase(`fleet_${name}`)) });
    const targets = writeTargets(dir, fleet);
    const run = await cli(['fleet', 'run', plan, '--targets', targets], {
      cwd: dir,
      env: fleetEnv,
      timeoutMs: 180_000,
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/2 targets: 2 completed/);
    expect(existsSync(join(dir, '.tidemark', 'fleet', 'PG_VERSION'))).toBe(true);

    const status = await cli(['fleet', 'status'], { cwd: dir, timeoutMs: 120_000 });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/fleet run 1 of plan "fleet-embedded" \(finished/);
    expect(status.stdout).toMatch(/emb_a\s+completed/);

    const again = await cli(['fleet', 'run', plan, '--targets', targets], {
      cwd: dir,
      env: fleetEnv,
      timeoutMs: 180_000,
    });
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout.match(/completed in an earlier fleet run/g)?.length).toBe(2);
    for (const out of [run, status, again]) expect(out.stdout + out.stderr).not.toContain(PASSWORD);
  }, 400_000);
});
