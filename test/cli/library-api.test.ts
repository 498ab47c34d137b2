/**
 * The library exports what the CLI uses. Everything here is imported from the package
 * entry (src/index.ts) and used against a real database the way an app's own script would: flags
 * (`flag set|list`), the ledger's status (`status`), plan/run/verify/report/rollback and lint.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildReport,
  describePlan,
  type FlagState,
  formatAction,
  type LedgerOptions,
  lint,
  lintEvents,
  listFlags,
  loadPlan,
  type PlanStatus,
  REPORT_FORMATS,
  readPlanStatus,
  readStatus,
  renderLintNdjson,
  renderReport,
  rollbackPlan,
  runPlan,
  setFlag,
  UsageError,
  verifyPlan,
} from '../../src/index.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';

let url: string;
let planFile: string;
let o: LedgerOptions;

const ledgerExists = async (schema: string) =>
  (await query(url, `SELECT to_regnamespace($1) AS n`, [schema]))[0].n !== null;

beforeAll(async () => {
  url = await createTestDatabase('cli_library_api');
  o = { databaseUrl: url, ledgerSchema: 'tm_api' };
  planFile = writePlan(
    tempDir(),
    `{
    id: 'api-wave',
    title: 'API wave',
    expand: [
      sql({ id: 'items', up: ["CREATE TABLE api_items (id int PRIMARY KEY, name text)", "INSERT INTO api_items SELECT g, 'n' || g FROM generate_series(1, 300) g"], down: 'DROP TABLE api_items' }),
      op.addColumn({ id: 'label', table: 'api_items', column: 'label', type: 'text' }),
    ],
    backfill: [backfill.update({ id: 'fill', table: 'api_items', set: { label: 'upper(name)' }, where: 'label IS NULL' })],
    validate: [check.noNulls({ id: 'filled', table: 'api_items', column: 'label' })],
    contract: [gate.flag({ id: 'readers', flag: 'api.readers' }), op.setNotNull({ id: 'not-null', table: 'api_items', column: 'label' })],
  }`,
  );
});

describe('the package entry exports what the CLI uses', () => {
  it('reads status and flags without a ledger, and creates none', async () => {
    expect(await readStatus(o)).toEqual({ schema: 'tm_api', ledger: false, plans: [] });
    const plan = await loadPlan(planFile);
    const s: PlanStatus = await readPlanStatus(plan, o);
    expect(s).toMatchObject({
      schema: 'tm_api',
      ledger: false,
      planId: 'api-wave',
      title: 'API wave',
      status: null,
      lastRun: null,
    });
    expect(s.steps.map((x) => [x.stepId, x.status])).toEqual([
      ['items', 'pending'],
      ['label', 'pending'],
      ['fill', 'pending'],
      ['filled', 'pending'],
      ['readers', 'pending'],
      ['not-null', 'pending'],
    ]);
    expect(await listFlags(o)).toEqual([]);
    expect(await ledgerExists('tm_api')).toBe(false);
  });

  it('describePlan + formatAction print the SQL; runPlan stops at the flag gate; setFlag opens it', async () => {
    const plan = await loadPlan(planFile);
    const d = await describePlan(plan, o);
    expect(formatAction(d.steps.find((s) => s.stepId === 'label')!.actions[0])).toContain(
      'ALTER TABLE "api_items" ADD COLUMN "label" text',
    );

    const stopped = await runPlan(plan, o);
    expect(stopped.exitCode).toBe(5);
    const waiting = await readPlanStatus(plan, o);
    expect(waiting).toMatchObject({
      ledger: true,
      status: 'waiting',
      lastRun: { command: 'run', status: 'gate', runBy: expect.any(String) },
    });
    expect(waiting.steps.find((x) => x.stepId === 'fill')).toMatchObject({
      status: 'completed',
      progress: { done: 300, total: 300, unit: 'rows' },
    });

    const on: FlagState = await setFlag('api.readers', true, { ...o, actor: 'dana' });
    expect(on).toMatchObject({ name: 'api.readers', enabled: true, setBy: 'dana', setAt: expect.any(Date) });
    expect(await listFlags(o)).toEqual([on]);
    expect(await query(url, `SELECT name, enabled, set_by FROM tm_api.flag_history`)).toEqual([
      { name: 'api.readers', enabled: true, set_by: 'dana' },
    ]);

    const done = await runPlan(plan, o);
    expect(done.exitCode, done.message).toBe(0);
    const all = await readStatus(o);
    expect(all).toMatchObject({
      ledger: true,
      plans: [
        {
          planId: 'api-wave',
          status: 'completed',
          stepsCompleted: 6,
          stepsTotal: 6,
          lastRun: { command: 'run', status: 'done' },
        },
      ],
    });
    expect(
      await query(
        url,
        `SELECT attnotnull FROM pg_attribute WHERE attrelid = 'api_items'::regclass AND attname = 'label'`,
      ),
    ).toEqual([{ attnotnull: true }]);
  });

  it('setFlag refuses a bad name before touching the database (UsageError, exit 2)', async () => {
    const err = await setFlag('bad name', true, { databaseUrl: 'postgres://nobody@127.0.0.1:1/none' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as UsageError).message).toContain('flag name "bad name"');
  });

  it('verifyPlan, buildReport + renderReport, rollbackPlan', async () => {
    const plan = await loadPlan(planFile);
    const v = await verifyPlan(plan, o);
    expect(v.exitCode).toBe(0);
    expect(v.checks.map((c) => [c.stepId, c.status])).toContainEqual(['filled', 'pass']);
    const model = await buildReport({ ...o, plan });
    expect(REPORT_FORMATS).toEqual(['md', 'html', 'json']);
    expect(JSON.parse(renderReport(model, 'json'))).toMatchObject({
      format: 'tidemark-report',
      status: { state: 'completed' },
    });
    const rb = await rollbackPlan(plan, { ...o, phase: 'contract' });
    expect(rb.exitCode, rb.message).toBe(0);
    expect(
      await query(
        url,
        `SELECT attnotnull FROM pg_attribute WHERE attrelid = 'api_items'::regclass AND attname = 'label'`,
      ),
    ).toEqual([{ attnotnull: false }]);
    expect((await readPlanStatus(plan, o)).steps.find((x) => x.stepId === 'not-null')?.status).toBe('rolled_back');
  });

  it('lint, with its NDJSON events', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'm.sql'), 'CREATE INDEX m_i ON api_items (name);\n');
    const result = await lint(['m.sql'], { cwd: dir });
    expect(result.exitCode).toBe(1);
    const events = lintEvents(result);
    expect(events.at(-1)).toMatchObject({ type: 'lint.end', exitCode: 1, counts: { errors: 1 } });
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'lint.finding', rule: 'index-not-concurrent', file: 'm.sql' }),
    );
    expect(
      renderLintNdjson(result)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(JSON.parse(JSON.stringify(events)));
  });
});
