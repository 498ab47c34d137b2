/**
 * A rollback killed (kill -9) half way — the shadow column and its sync trigger of an
 * `op.convertToEnum` shadow conversion back already in place — leaves the step `rolling_back`:
 * `status` says so and names the command that finishes it, `rollback` again finishes it (original
 * type and data back, no shadow column, no trigger), and `run` refuses until it is finished.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readPlanStatus } from '../../src/index.js';
import { loadPlan } from '../../src/plan/load.js';
import { rollbackPlan } from '../../src/runner/rollback.js';
import { runPlan } from '../../src/runner/run.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('rollback_interrupted');
});

const config = { shadowThresholdRows: 0, backfill: { targetBatchMs: 2 } };

const SETUP = (t: string) => `
  CREATE TABLE ${t} (id bigserial PRIMARY KEY, stage varchar(32) NOT NULL DEFAULT 'open', amount int);
  INSERT INTO ${t} (stage, amount) SELECT (ARRAY['open', 'won', 'lost'])[1 + g % 3], g FROM generate_series(1, 5000) g;
  ANALYZE ${t};
`;

const PLAN = (id: string, t: string) =>
  `{ id: '${id}', expand: [op.convertToEnum({ id: 'stage-enum', table: '${t}', column: 'stage', enum: '${t}_stage', values: ['open', 'won', 'lost'], batch: { size: 100 } })] }`;

async function columns(t: string): Promise<Record<string, string>> {
  const rows = await query<{ attname: string; type: string }>(
    url,
    `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
    [t],
  );
  return Object.fromEntries(rows.map((r) => [r.attname, r.type]));
}

async function triggers(t: string): Promise<number> {
  return (
    await query<{ n: number }>(
      url,
      `SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal`,
      [t],
    )
  )[0].n;
}

/** Applies the plan, then rolls it back in a child process that kills itself (SIGKILL) after the first shadow batch. */
async function applyThenKillRollback(planId: string, t: string): Promise<string> {
  await query(url, SETUP(t));
  const dir = tempDir();
  const file = writePlan(dir, PLAN(planId, t));
  const applied = await runPlan(await loadPlan(file), { databaseUrl: url, config });
  expect(applied.exitCode, applied.message).toBe(0);
  expect((await columns(t)).stage).toBe(`${t}_stage`);
  const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
  const script = join(dir, 'rollback.mjs');
  writeFileSync(
    script,
    `
    const { loadPlan, rollbackPlan } = await import(${JSON.stringify(dist)});
    const plan = await loadPlan(process.argv[2]);
    await rollbackPlan(plan, { databaseUrl: process.argv[3], config: ${JSON.stringify(config)}, events: (e) => {
      // A batch of the shadow backfill back to varchar committed: shadow column and trigger exist.
      if (e.type === 'step.progress') process.kill(process.pid, 'SIGKILL');
    } });
    process.exit(3);
  `,
  );
  const child = spawn(process.execPath, [script, file, url], { stdio: 'ignore' });
  const signal = await new Promise((r) => child.once('exit', (_code, sig) => r(sig)));
  expect(signal).toBe('SIGKILL');
  // Free the dead runner's sessions (and so its run lock) at once rather than when the server notices.
  await query(
    url,
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'tidemark%'`,
  );
  // Half done: the column is still the enum, beside a shadow column kept in sync by a trigger.
  const cols = await columns(t);
  expect(cols.stage).toBe(`${t}_stage`);
  expect(Object.keys(cols).length).toBe(4);
  expect(await triggers(t)).toBe(1);
  return file;
}

describe('a rollback killed half way', () => {
  it('shows as interrupted in status, and a second rollback finishes it', async () => {
    const t = 'half_rb_a';
    const file = await applyThenKillRollback('half-rb-a', t);
    const plan = await loadPlan(file);
    const st = await readPlanStatus(plan, { databaseUrl: url });
    const line = st.steps.find((l) => l.stepId === 'stage-enum')!;
    expect(line.status).toBe('rolling_back');
    expect(line.last).toBe(
      `rollback interrupted — run \`npx tidemark rollback ${file} --to stage-enum\` again to finish`,
    );

    const r = await rollbackPlan(plan, { databaseUrl: url, config });
    expect(r.exitCode, r.message).toBe(0);
    expect(r.steps.map((s) => [s.stepId, s.outcome])).toEqual([['stage-enum', 'rolled-back']]);
    expect(await columns(t)).toEqual({ id: 'bigint', stage: 'character varying(32)', amount: 'integer' });
    expect(await triggers(t)).toBe(0);
    expect((await query(url, `SELECT to_regtype($1) AS t`, [`${t}_stage`]))[0].t).toBeNull();
    const wrong = await query<{ n: number }>(
      url,
      `SELECT count(*)::int AS n FROM ${t} WHERE stage <> (ARRAY['open', 'won', 'lost'])[1 + amount % 3]`,
    );
    expect(wrong[0].n).toBe(0);
    expect((await query(url, `SELECT status FROM tidemark.steps WHERE plan_id = 'half-rb-a'`))[0].status).toBe(
      'rolled_back',
    );
  });

  it('makes run refuse (exit 1, naming the step and the command), and run after the finished rollback applies again', async () => {
    const t = 'half_rb_b';
    const file = await applyThenKillRollback('half-rb-b', t);
    const plan = await loadPlan(file);
    const refused = await runPlan(plan, { databaseUrl: url, config });
    expect(refused.exitCode).toBe(1);
    expect(refused.message).toMatch(/rollback of step "stage-enum" was interrupted/);
    expect(refused.hint ?? refused.message).toMatch(/npx tidemark rollback .* --to stage-enum/);
    expect(await triggers(t)).toBe(1);

    expect((await rollbackPlan(plan, { databaseUrl: url, config, to: 'stage-enum' })).exitCode).toBe(0);
    const again = await runPlan(plan, { databaseUrl: url, config });
    expect(again.exitCode, again.message).toBe(0);
    expect(await columns(t)).toEqual({ id: 'bigint', stage: `${t}_stage`, amount: 'integer' });
    expect(await triggers(t)).toBe(0);
    expect((await query(url, `SELECT status FROM tidemark.steps WHERE plan_id = 'half-rb-b'`))[0].status).toBe(
      'completed',
    );
  });
});
