/**
 * Regression: the README's plan failed when pasted (no `leads` table to run on, and
 * `rowCount({ unchanged: true })`, which fails on any live table). Its setup SQL and its plan are
 * run here as written: `plan` describes it, `run` completes it, `rollback` undoes it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';
import { describePlan } from '../../src/runner/describe.js';
import { rollbackPlan } from '../../src/runner/rollback.js';
import { runPlan } from '../../src/runner/run.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writeFiles } from '../helpers/plan-files.js';

let url: string;
beforeAll(async () => {
  url = await createTestDatabase('readme_examples');
});

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

describe('README: the plan works when pasted', () => {
  it('README plan failed when pasted: its setup SQL and plan run as written', async () => {
    const section = README.slice(README.indexOf('## A plan'));
    const setup = /```sql\n([\s\S]*?)```/.exec(section)![1];
    const body = /```ts\n([\s\S]*?)```/.exec(section)![1];
    expect(body).not.toMatch(/rowCount\([^)]*unchanged: true/);
    await query(url, setup);
    const plan = await loadPlan(writeFiles(tempDir(), { 'readme.plan.ts': body }));
    const d = await describePlan(plan, { databaseUrl: url });
    expect(d.steps.length).toBe(5);
    const r = await runPlan(plan, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect((await query(url, 'SELECT count(*)::int AS n FROM leads WHERE tenant_id IS NULL'))[0].n).toBe(0);
    expect((await rollbackPlan(plan, { databaseUrl: url })).exitCode).toBe(0);
  });
});
