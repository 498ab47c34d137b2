/**
 * Linting plans: raw `sql`/`sqlFile` up SQL knowing its phase and that Tidemark runs it, tables
 * and checks that op.* steps create, positions inside the plan file, `lintPlanForRun` for the
 * runner, and bad input (exit 2).
 */
import { describe, expect, it } from 'vitest';
import { lint, lintPlanForRun } from '../../src/lint/index.js';
import { PlanInvalidError, UsageError } from '../../src/model/errors.js';
import { loadPlan } from '../../src/plan/load.js';
import { tempDir, writeFiles, writePlan } from '../helpers/plan-files.js';
import { active, lintPlanBody } from './helpers.js';

describe('plans', () => {
  it('lintPlanForRun returns only unsuppressed error-level findings of raw SQL', async () => {
    const dir = tempDir();
    const file = writePlan(
      dir,
      `{
      id: 'w',
      expand: [
        sql({ id: 'idx', up: 'CREATE INDEX msg_tenant ON "Message"("tenantId")' }),
        sql({ id: 'idx-ok', up: 'CREATE INDEX CONCURRENTLY msg_org ON "Message"("orgId")', transaction: false }),
        sql({ id: 'idx-suppressed', up: '-- tidemark-ignore index-not-concurrent: 12-row table\\nCREATE INDEX c_code ON "Country"(code)' }),
        sql({ id: 'rewrite-warning', up: 'ALTER TABLE "Message" ADD COLUMN c text DEFAULT make_code()' }),
      ],
      backfill: [backfill.update({ id: 'fill', table: 'Message', set: { c: "'x'" } })],
    }`,
    );
    const plan = await loadPlan(file);
    const found = await lintPlanForRun(plan, { cwd: dir });
    expect(found.map((f) => [f.rule, f.stepId, f.phase, f.file, f.line])).toEqual([
      ['index-not-concurrent', 'idx', 'expand', 'test.plan.ts', 5],
    ]);
  });

  it('a transactional sql step with CONCURRENTLY is refused; transaction: false or the no-transaction header is fine', async () => {
    const r = await lintPlanBody(
      `{
      id: 'w',
      expand: [
        sql({ id: 'in-tx', up: 'CREATE INDEX CONCURRENTLY a ON "Message"(a)' }),
        sql({ id: 'no-tx', up: 'CREATE INDEX CONCURRENTLY b ON "Message"(b)', transaction: false }),
        sqlFile({ id: 'file-no-tx', up: 'sql/c.sql' }),
        sqlFile({ id: 'file-in-tx', up: 'sql/d.sql' }),
      ],
    }`,
      {
        files: {
          'sql/c.sql': '-- tidemark:no-transaction\nCREATE INDEX CONCURRENTLY c ON "Message"(c);\n',
          'sql/d.sql': '-- add d\n\nCREATE INDEX CONCURRENTLY d ON "Message"(d);\n',
        },
      },
    );
    const found = active(r, 'concurrently-in-transaction');
    expect(found.map((f) => [f.stepId, f.file, f.line])).toEqual([
      ['in-tx', 'wave.plan.ts', 5],
      ['file-in-tx', 'sql/d.sql', 3],
    ]);
    expect(found[0].help).toContain('Set transaction: false on step "in-tx"');
    expect(r.files).toEqual(['wave.plan.ts', 'sql/c.sql', 'sql/d.sql']);
  });

  it('tables created by op.createTable and checks validated by op.addCheck count', async () => {
    const r = await lintPlanBody(`{
      id: 'w',
      expand: [
        op.createTable({ id: 'customer', table: 'Customer', columns: { id: 'uuid primary key', phone: 'text' } }),
        sql({ id: 'customer-idx', up: 'CREATE INDEX customer_phone ON "Customer"(phone)' }),
        op.addCheck({ id: 'number-nn-check', table: 'MessageThread', name: 'thread_number_nn', expression: '"messageNumberId" IS NOT NULL' }),
      ],
      contract: [sql({ id: 'number-nn', up: 'ALTER TABLE "MessageThread" ALTER COLUMN "messageNumberId" SET NOT NULL' })],
    }`);
    expect(r.findings.filter((f) => !f.suppressed && f.level === 'error')).toEqual([]);
  });

  it('renames and drops in raw SQL are fine in contract, errors elsewhere', async () => {
    const r = await lintPlanBody(`{
      id: 'w',
      expand: [sql({ id: 'rename-early', up: 'ALTER TABLE "Conversation" RENAME COLUMN "intent" TO "legacyIntent"' })],
      contract: [sql({ id: 'drop-late', up: ['ALTER TABLE "Conversation" DROP COLUMN "legacyIntent"', 'DROP TABLE "Audit"'] })],
    }`);
    expect(active(r, 'rename-object').map((f) => f.stepId)).toEqual(['rename-early']);
    expect(active(r, 'drop-object')).toEqual([]);
  });

  it('a folder with a plan and SQL files is linted in path order', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'db/002_idx.sql': 'CREATE INDEX a ON "Lead"(email);',
      'db/001_table.sql': 'CREATE TABLE "Lead2" (id int);',
      'db/001_table.down.sql': 'DROP TABLE "Lead2";',
    });
    writePlan(dir, `{ id: 'w', expand: [sql({ id: 'x', up: 'SELECT 1' })] }`, 'db/wave.plan.ts');
    const r = await lint(['db'], { cwd: dir });
    expect(r.files).toEqual(['db/001_table.sql', 'db/002_idx.sql', 'db/wave.plan.ts']);
    expect(r.exitCode).toBe(1);
  });

  it('bad input: a missing target or an invalid plan is exit 2, nothing else is linted', async () => {
    const dir = tempDir();
    await expect(lint(['nope.sql'], { cwd: dir })).rejects.toBeInstanceOf(UsageError);
    await expect(lint([], { cwd: dir })).rejects.toBeInstanceOf(UsageError);
    writeFiles(dir, { 'notes.txt': 'x' });
    await expect(lint(['notes.txt'], { cwd: dir })).rejects.toThrow(/neither a .sql file nor a plan/);
    writePlan(dir, `{ id: 'Bad Id', expand: [sql({ id: 'x', up: 'SELEC 1' })] }`, 'bad.plan.ts');
    const e = await lint(['bad.plan.ts'], { cwd: dir }).catch((x) => x);
    expect(e).toBeInstanceOf(PlanInvalidError);
    expect(e.exitCode).toBe(2);
    await expect(lint(['bad.plan.ts'], { cwd: dir, config: { rules: { 'no-such': 'off' } } })).rejects.toThrow(
      /rules.no-such: unknown rule/,
    );
  });

  it('config can turn a rule off or change its level', async () => {
    const dir = tempDir();
    writeFiles(dir, { 'a.sql': 'CREATE INDEX a ON "Lead"(email);' });
    const off = await lint(['a.sql'], {
      cwd: dir,
      config: { rules: { 'index-not-concurrent': 'off', 'missing-timeout': 'off' } },
    });
    expect(off.findings).toEqual([]);
    const warn = await lint(['a.sql'], { cwd: dir, config: { rules: { 'index-not-concurrent': 'warning' } } });
    expect(warn.exitCode).toBe(0);
  });
});

describe('plans: new tables', () => {
  it('a table created anywhere earlier in the plan counts as new for later steps', async () => {
    const r = await lintPlanBody(`{
      id: 'w',
      expand: [sql({ id: 'create', up: 'CREATE TABLE "Customer" (id uuid PRIMARY KEY, phone text)' })],
      contract: [
        sql({ id: 'idx-later', up: 'CREATE INDEX customer_phone ON "Customer"(phone)' }),
        sql({ id: 'nn-later', up: 'ALTER TABLE "Customer" ALTER COLUMN phone SET NOT NULL' }),
      ],
    }`);
    expect(r.findings.filter((f) => f.level === 'error')).toEqual([]);
  });
});
