/**
 * The proof through the runner: seed 003's acceptance checks as check.* steps; a failing validate
 * keeps the contract from running (naming the offending rows), and after the data is fixed a rerun
 * proceeds. A failing precondition changes nothing. Results are stored with the plan checksum.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { formatProof } from '../../src/checks/proof-format.js';
import { loadPlan } from '../../src/plan/load.js';
import { verifyPlan } from '../../src/runner/verify.js';
import { createTestDatabase, query } from '../helpers/db.js';
import { tempDir, writePlan } from '../helpers/plan-files.js';
import { runFile } from '../helpers/run.js';

let url: string;

beforeAll(async () => {
  url = await createTestDatabase('checks_proof_run');
  await query(
    url,
    `
    CREATE TABLE "Org" (id text PRIMARY KEY, name text NOT NULL);
    INSERT INTO "Org" VALUES ('org-1', 'One'), ('org-2', 'Two'), ('org-3', 'Three');
    CREATE TABLE "MessageNumber" (id int PRIMARY KEY, "orgId" text NOT NULL REFERENCES "Org", "numberClass" text NOT NULL, e164 text NOT NULL);
    INSERT INTO "MessageNumber" VALUES (1, 'org-1', 'front_desk', '+15550001'), (2, 'org-1', 'pool', '+15550002'),
      (3, 'org-2', 'front_desk', '+15550003'), (4, 'org-3', 'pool', '+15550004');
    CREATE TABLE "MessageThread" (id text PRIMARY KEY, "orgId" text NOT NULL REFERENCES "Org");
    INSERT INTO "MessageThread" VALUES ('t1', 'org-1'), ('t2', 'org-1'), ('t3', 'org-2'), ('t4', 'org-3'), ('t5', 'org-3');
  `,
  );
});

/** Seed 003, phase 1.4, as a plan: the proof script's checks are the validate phase. */
const seed003 = `{
  id: 'phase-1-4-numbers',
  title: 'Phase 1.4: number infrastructure',
  expand: [
    op.addColumn({ id: 'thread-number-id', table: 'MessageThread', column: 'messageNumberId', type: 'int', references: { table: 'MessageNumber', column: 'id' } }),
  ],
  backfill: [
    sql({ id: 'assign-front-desk', up: \`UPDATE "MessageThread" t SET "messageNumberId" = n.id FROM "MessageNumber" n
      WHERE n."orgId" = t."orgId" AND n."numberClass" = 'front_desk' AND t."messageNumberId" IS NULL\` }),
  ],
  validate: [
    check.perGroup({ id: 'front-desk-per-org', title: 'Front desk numbers per org', table: 'MessageNumber', groupBy: 'orgId',
      where: \`"numberClass" = 'front_desk'\`, equals: 1, groupsFrom: { table: 'Org', column: 'id' } }),
    check.noNulls({ id: 'threads-numbered', title: 'Threads missing messageNumberId', table: 'MessageThread', column: 'messageNumberId' }),
    check.allowedValues({ id: 'number-classes', table: 'MessageNumber', column: 'numberClass', values: ['front_desk', 'sitter', 'pool'] }),
    check.distribution({ id: 'threads-by-number', title: 'Threads by number', table: 'MessageThread', column: 'messageNumberId' }),
  ],
  contract: [
    op.setNotNull({ id: 'thread-number-required', table: 'MessageThread', column: 'messageNumberId' }),
  ],
}`;

describe('the proof through the runner (seed 003)', () => {
  let file: string;

  it('a failing validate stops before the contract and names the offending rows', async () => {
    file = writePlan(tempDir(), seed003);
    const r = await runFile(file, { databaseUrl: url });
    expect(r.exitCode).toBe(1);
    expect(r.status).toBe('failed');
    expect(r.message).toBe('the proof failed: front-desk-per-org, threads-numbered; the contract phase did not start');
    const byId = Object.fromEntries(r.checks.map((c) => [c.stepId, c]));
    expect(byId['front-desk-per-org']).toMatchObject({ status: 'fail', sample: [{ orgId: 'org-3', count: 0 }] });
    expect(byId['threads-numbered']).toMatchObject({
      status: 'fail',
      actual: 2,
      sample: [
        { id: 't4', messageNumberId: null },
        { id: 't5', messageNumberId: null },
      ],
    });
    expect(byId['number-classes'].status).toBe('pass');
    expect(r.steps.find((s) => s.stepId === 'thread-number-required')).toBeUndefined();
    const col = await query(
      url,
      `SELECT is_nullable FROM information_schema.columns WHERE table_name = 'MessageThread' AND column_name = 'messageNumberId'`,
    );
    expect(col[0].is_nullable).toBe('YES');
    const stored = await query(
      url,
      `SELECT step_id, status, sample FROM tidemark.check_results WHERE step_id = 'threads-numbered'`,
    );
    expect(stored).toEqual([
      {
        step_id: 'threads-numbered',
        status: 'fail',
        sample: [
          { id: 't4', messageNumberId: null },
          { id: 't5', messageNumberId: null },
        ],
      },
    ]);
    expect(r.events.filter((e) => e.type === 'proof.end')).toEqual([
      {
        type: 'proof.end',
        phase: 'validate',
        passed: false,
        failed: ['front-desk-per-org', 'threads-numbered'],
        warned: [],
      },
    ]);
  });

  it('verify prints the same proof; its results are recorded without a run', async () => {
    const v = await verifyPlan(await loadPlan(file), { databaseUrl: url });
    expect(v.exitCode).toBe(1);
    expect(formatProof(v.checks, { color: false })).toMatchSnapshot();
    // verify records its results (run_id NULL), so `status` shows the latest proof.
    const after = await query(url, `SELECT count(*)::int AS n FROM tidemark.check_results WHERE run_id IS NULL`);
    expect(after[0].n).toBe(4);
  });

  it('after the data is fixed, a rerun passes the proof first and applies the contract', async () => {
    await query(url, `INSERT INTO "MessageNumber" VALUES (5, 'org-3', 'front_desk', '+15550005')`);
    await query(url, `UPDATE "MessageThread" t SET "messageNumberId" = 5 WHERE "orgId" = 'org-3'`);
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(r.checks.map((c) => [c.stepId, c.status])).toEqual([
      ['front-desk-per-org', 'pass'],
      ['threads-numbered', 'pass'],
      ['number-classes', 'pass'],
      ['threads-by-number', 'pass'],
    ]);
    expect(r.checks[3].distribution).toEqual([
      { value: '1', count: 2 },
      { value: '5', count: 2 },
      { value: '3', count: 1 },
    ]);
    const col = await query(
      url,
      `SELECT is_nullable FROM information_schema.columns WHERE table_name = 'MessageThread' AND column_name = 'messageNumberId'`,
    );
    expect(col[0].is_nullable).toBe('NO');
    const v = await query(url, `SELECT passed, failed_checks FROM tidemark.validations ORDER BY id`);
    expect(v).toEqual([
      { passed: false, failed_checks: ['front-desk-per-org', 'threads-numbered'] },
      { passed: true, failed_checks: [] },
    ]);
  });

  it('a failed precondition stops with exit 1 and changes nothing', async () => {
    const dir = tempDir();
    const pre = writePlan(
      dir,
      `{
      id: 'needs-prisma',
      preconditions: [check.migrationApplied({ id: 'baseline', tool: 'prisma', name: '20260101000000_init' })],
      expand: [sql({ id: 'make-t', up: 'CREATE TABLE never_made (id int)', down: 'DROP TABLE never_made' })],
    }`,
    );
    const r = await runFile(pre, { databaseUrl: url });
    expect(r.exitCode).toBe(1);
    expect(r.message).toBe('precondition(s) failed: baseline; nothing was changed');
    expect(await query(url, `SELECT to_regclass('never_made') AS t`)).toEqual([{ t: null }]);
  });

  it('a warning does not fail the proof', async () => {
    const warn = writePlan(
      tempDir(),
      `{
      id: 'warn-only',
      validate: [check.allowedValues({ id: 'classes', table: 'MessageNumber', column: 'numberClass', values: ['front_desk'], severity: 'warn' })],
    }`,
    );
    const r = await runFile(warn, { databaseUrl: url });
    expect(r.exitCode).toBe(0);
    expect(r.checks[0]).toMatchObject({
      status: 'warn',
      actual: 2,
      sample: [
        { id: 2, numberClass: 'pool' },
        { id: 4, numberClass: 'pool' },
      ],
    });
  });
});

describe('superseded checks', () => {
  it('a check on a column the applied contract dropped is superseded, not failed', async () => {
    await query(
      url,
      `CREATE TABLE "Legacy" (id int PRIMARY KEY, model text, "modelUsed" text); INSERT INTO "Legacy" VALUES (1, 'gpt', 'gpt')`,
    );
    const file = writePlan(
      tempDir(),
      `{
      id: 'drop-legacy-model',
      validate: [
        check.columnsMatch({ id: 'model-copied', table: 'Legacy', column: 'modelUsed', equals: 'model' }),
        check.noNulls({ id: 'model-used-set', table: 'Legacy', column: 'modelUsed' }),
      ],
      contract: [op.dropColumn({ id: 'drop-model', table: 'Legacy', column: 'model' })],
    }`,
    );
    const r = await runFile(file, { databaseUrl: url });
    expect(r.message).toBeUndefined();
    expect(r.exitCode).toBe(0);
    const v = await verifyPlan(await loadPlan(file), { databaseUrl: url });
    expect(v.message).toBe('all 2 check(s) passed');
    expect(v.exitCode).toBe(0);
    expect(v.checks.map((c) => [c.stepId, c.status, c.message])).toEqual([
      ['model-copied', 'superseded', 'what it checks was removed by applied step "drop-model"'],
      ['model-used-set', 'pass', undefined],
    ]);
  });
});
